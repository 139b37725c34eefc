package store

import "errors"

// The errors every Store reports (the catalog reports the same ones: see
// repository.ErrNotFound); check with errors.Is.
var (
	// ErrNotFound: no object under that key.
	ErrNotFound = errors.New("not found")
	// ErrExists: a different object is already under that key (objects are
	// write-once).
	ErrExists = errors.New("already exists")
)
