package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Errors every Store maps its backend's own errors to (besides the shared
// ErrNotFound and ErrExists of errors.go); check with errors.Is.
var (
	// ErrInvalidKey: the key could escape the store or is malformed.
	ErrInvalidKey = errors.New("invalid object key")
)

// ObjectInfo describes one stored object.
type ObjectInfo struct {
	Key     string
	Size    int64
	ModTime time.Time
}

// Store holds objects under slash-separated keys. Implementations are safe
// for concurrent use. Every method takes ctx first and returns early with
// ctx.Err() once it is done.
type Store interface {
	// Put stores data under key, durably once it returns nil. Objects are
	// write-once: if key already holds exactly these bytes Put succeeds (a
	// retry is harmless); if it holds other bytes Put returns ErrExists and
	// changes nothing.
	Put(ctx context.Context, key string, data []byte) error
	// Get returns the object's bytes, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Stat returns the object's size and time, or ErrNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
	// List calls fn once for every object whose key starts with prefix, in
	// lexical order of the keys' path segments; an error from fn stops the
	// listing and is returned (wrapped).
	List(ctx context.Context, prefix string, fn func(ObjectInfo) error) error
	// Delete removes the object; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// Close releases the store's resources.
	Close() error
}

// ValidateKey rejects keys that are empty, absolute, contain a backslash or
// NUL, or have an empty, "." or ".." segment.
func ValidateKey(key string) error {
	if key == "" || len(key) > 1024 {
		return fmt.Errorf("%w: key must be 1-1024 bytes", ErrInvalidKey)
	}
	if strings.ContainsAny(key, "\\\x00") {
		return fmt.Errorf("%w: %q contains a backslash or NUL", ErrInvalidKey, key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q has an empty, '.' or '..' segment", ErrInvalidKey, key)
		}
		if strings.HasPrefix(seg, tempPrefix) {
			return fmt.Errorf("%w: %q has a segment starting with %q", ErrInvalidKey, key, tempPrefix)
		}
	}
	return nil
}
