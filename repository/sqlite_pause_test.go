package repository

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestPauseWritersHoldsTransactions: while the checkpoint's second pass
// has the writers paused no transaction of the process begins, and once
// it resumes they all do.
func TestPauseWritersHoldsTransactions(t *testing.T) {
	ctx := context.Background()
	c, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resume, err := c.db.pauseWriters(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wrote := make(chan error, 1)
	go func() { wrote <- c.AppendAudit(ctx, []AuditEntry{{Actor: "test", Action: "note"}}) }()
	select {
	case err := <-wrote:
		t.Fatalf("a transaction committed while the writers were paused (%v)", err)
	case <-time.After(100 * time.Millisecond):
	}
	resume()
	select {
	case err := <-wrote:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("10 s after resume the transaction has not committed: the writer slot was not given back")
	}
	for range 3 { // the slot is back for every writer after
		if err := c.AppendAudit(ctx, []AuditEntry{{Actor: "test", Action: "note"}}); err != nil {
			t.Fatal(err)
		}
	}
}
