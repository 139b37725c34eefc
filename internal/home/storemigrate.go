package home

import (
	"context"
	"fmt"

	"github.com/issuerkit/issuerkit/repository/store"
)

// MigrateStore copies every object of the home's fs store to the store sc
// describes, verifying each (store.CopyStore), and only then switches
// the config to sc. It returns how many objects were copied; after an
// error, how many were copied and verified before it (run it again to
// continue). The fs store is left in place.
func (h *Home) MigrateStore(ctx context.Context, sc StoreConfig) (int, error) {
	if h.Config.Store.Type != "fs" && h.Config.Store.Type != "" {
		return 0, fmt.Errorf("store migrate: this home's store is already %s", h.Config.Store.Type)
	}
	src, err := h.OpenStore(ctx)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := OpenStore(ctx, h, sc)
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	copied, err := store.CopyStore(ctx, dst, src)
	if err != nil {
		return copied, fmt.Errorf("store migrate: %d objects copied and verified before: %w (run the command again to continue)", copied, err)
	}
	h.Config.Store = sc
	if err := h.Save(); err != nil {
		return copied, fmt.Errorf("store migrate: objects copied but the config was not updated: %w", err)
	}
	return copied, nil
}

// Where names the home's store for people: fs and its directory, or s3
// with its endpoint, bucket and prefix.
func (h *Home) Where() string {
	sc := h.Config.Store
	if sc.Type == "s3" {
		return fmt.Sprintf("s3 %s bucket %s prefix %q", sc.Endpoint, sc.Bucket, sc.Prefix)
	}
	return "fs " + h.Path(sc.Path)
}
