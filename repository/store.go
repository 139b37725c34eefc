package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// Errors every Store maps its backend's own errors to; check with errors.Is.
var (
	// ErrNotFound: no object under that key.
	ErrNotFound = errors.New("object not found")
	// ErrExists: a different object already exists under that key. Objects
	// are write-once.
	ErrExists = errors.New("a different object already exists under that key")
	// ErrInvalidKey: the key could escape the store or is malformed.
	ErrInvalidKey = errors.New("invalid object key")
	// ErrCorrupt: an object's bytes differ from what the catalog recorded.
	ErrCorrupt = errors.New("object is corrupt: its SHA-256 differs from the catalog's")
)

// GetVerified reads d's current object and checks it against the SHA-256
// the catalog recorded, so a corrupt object is reported and never served.
func GetVerified(ctx context.Context, s Store, d Document) ([]byte, error) {
	data, err := s.Get(ctx, d.ObjectKey)
	if err != nil {
		return nil, fmt.Errorf("%s v%d: %w", d.URI, d.Version, err)
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != d.ObjectSHA256 {
		return nil, fmt.Errorf("%s v%d (%s): %w", d.URI, d.Version, d.ObjectKey, ErrCorrupt)
	}
	return data, nil
}

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

// ObjectKey is the CONTRACT key of one document version:
// {IssuerID}/{DocType}/{DocID}/v{N}.xml, N from 1.
func ObjectKey(u xmlschema.URI, version int) string {
	return u.IssuerID + "/" + u.DocType + "/" + u.DocID + "/v" + strconv.Itoa(version) + ".xml"
}
