package repository_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

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

// TestSQLiteCheckpointsBesideCommits: the catalog's commits leave the WAL
// to its checkpointer, which copies it into the database soon after.
func TestSQLiteCheckpointsBesideCommits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	c, err := repository.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peek, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer peek.Close()
	for i := range 50 {
		if err := c.AppendAudit(ctx, []repository.AuditEntry{{Actor: "test", Action: "note", Reason: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var busy, frames, copied int
		if err := peek.QueryRow("PRAGMA wal_checkpoint(NOOP)").Scan(&busy, &frames, &copied); err != nil {
			t.Fatal(err)
		}
		if frames >= 50 && copied == frames {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after 50 commits: %d of the WAL's %d frames copied", copied, frames)
		}
	}
}
