package repository_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/catalogtest"
)

func TestSQLiteConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) repository.Catalog {
		c, err := repository.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
		if err != nil {
			t.Fatal(err)
		}
		return c
	})
}

func TestSQLiteReopenKeepsSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	for range 2 {
		c, err := repository.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.SchemaVersion(ctx)
		if err != nil || v != repository.LatestSchemaVersion() || v < 5 {
			t.Fatalf("SchemaVersion = %d, %v", v, err)
		}
		c.Close()
	}
}

// TestCachedSQLiteConformance runs the suite through the read-cache
// decorator, as `serve` uses the catalog.
func TestCachedSQLiteConformance(t *testing.T) {
	catalogtest.Run(t, func(t *testing.T) repository.Catalog {
		c, err := repository.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "catalog.db"))
		if err != nil {
			t.Fatal(err)
		}
		return repository.CacheReads(c)
	})
}
