package repository

import "errors"

// The shared base of the object Store and the Catalog: the two errors both
// report. Neither side knows the other's types; check with errors.Is.
var (
	// ErrNotFound: no object under that key, no document, batch, push or
	// requester of that id.
	ErrNotFound = errors.New("not found")
	// ErrExists: a record with that id is already there (for a Store: a
	// different object under that key; objects are write-once).
	ErrExists = errors.New("already exists")
)
