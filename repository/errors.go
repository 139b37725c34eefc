package repository

import "github.com/issuerkit/issuerkit/repository/store"

// The catalog reports the object store's two errors as its own, so one
// errors.Is answers for both halves of a repository.
var (
	// ErrNotFound: no object, document, batch, push or requester of that id.
	ErrNotFound = store.ErrNotFound
	// ErrExists: a record with that id is already there.
	ErrExists = store.ErrExists
)
