package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/issuerkit/issuerkit/repository/store"
)

// This file joins the two halves: the catalog's documents name objects of
// the Store. The Store itself knows nothing of documents.

// ErrCorrupt: an object's bytes differ from what the catalog recorded.
var ErrCorrupt = errors.New("object is corrupt: its SHA-256 differs from the catalog's")

// GetVerified reads d's current object and checks it against the SHA-256
// the catalog recorded, so a corrupt object is reported and never served.
func GetVerified(ctx context.Context, s store.Store, d Document) ([]byte, error) {
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
