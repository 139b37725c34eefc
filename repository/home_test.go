package repository_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestPreviousReleaseHomeSQLite: a catalog written by the previous release
// (testdata/README.md) opens, migrates to the latest schema, reads as it
// was written, and takes the new tables.
func TestPreviousReleaseHomeSQLite(t *testing.T) {
	ctx := context.Background()
	c, err := repository.OpenSQLite(ctx, previousSQLiteHome(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if v, err := c.SchemaVersion(ctx); err != nil || v != repository.LatestSchemaVersion() || v <= 7 {
		t.Fatalf("SchemaVersion = %d, %v; want %d", v, err, repository.LatestSchemaVersion())
	}
	checkPreviousHome(t, c)
	checkNewTables(t, c, 7)
}

// previousSQLiteHome copies testdata's SQLite home of the previous release
// into a temporary directory and returns the copy's path.
func previousSQLiteHome(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "catalog.db")
	data, err := os.ReadFile(filepath.Join("testdata", "home-sqlite-v7.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// checkPreviousHome reads what testdata's homes hold.
func checkPreviousHome(t *testing.T, c repository.Catalog) {
	t.Helper()
	ctx := context.Background()
	if d, err := c.Current(ctx, "in.gov.test-SSCER-001"); err != nil || d.Version != 2 || d.Status != xmlschema.StatusRevoked ||
		d.UpdatedAt.Year() < 2026 || d.HolderName != "Holder 001" {
		t.Fatalf("Current(001) = %+v, %v", d, err)
	}
	release := time.Date(2099, 6, 1, 9, 0, 0, 0, time.UTC)
	if d, err := c.Current(ctx, "in.gov.test-SSCER-003"); err != nil || !d.ReleaseAt.Equal(release) || !d.Held(time.Now()) {
		t.Fatalf("Current(003) = %+v, %v; want held until %v", d, err, release)
	}
	if d, err := c.FindBySearchKey(ctx, "SSCER", "RollNo=002\x1fYear=2025"); err != nil || d.URI != "in.gov.test-SSCER-002" {
		t.Fatalf("FindBySearchKey(002) = %+v, %v", d, err)
	}
	if d, err := c.FindByUID(ctx, "SSCER", "u002"); err != nil || d.DocID != "002" {
		t.Fatalf("FindByUID(u002) = %+v, %v", d, err)
	}
	if h, err := c.History(ctx, "in.gov.test-SSCER-001"); err != nil || len(h) != 2 || h[1].Status != xmlschema.StatusRevoked {
		t.Fatalf("History(001) = %+v, %v", h, err)
	}
	st, err := c.Stats(ctx, 5)
	if err != nil || st.Documents != 3 || st.Held != 1 || st.NextRelease == nil || !st.NextRelease.Equal(release) ||
		st.Outbox != (repository.OutboxStats{Pending: 1, Pushed: 1, Dead: 1, Held: 1}) || len(st.Batches) != 2 {
		t.Fatalf("Stats = %+v, %v", st, err)
	}
	if b := st.Batches[0]; b.ID != "b2" || b.State != "running" || !b.FinishedAt.IsZero() {
		t.Fatalf("newest batch = %+v; want b2 running, not finished", b)
	}
	if b := st.Batches[1]; b.ID != "b1" || b.State != "done" || !b.FinishedAt.Equal(time.Date(2025, 5, 1, 10, 5, 0, 0, time.UTC)) || b.Issued != 3 {
		t.Fatalf("older batch = %+v; want b1 done at 10:05", b)
	}
	if b, err := c.ResumableBatch(ctx, "cbse", "fp2"); err != nil || b.ID != "b2" {
		t.Fatalf("ResumableBatch(fp2) = %+v, %v", b, err)
	}
	if dead, err := c.DeadLetters(ctx, 10); err != nil || len(dead) != 1 || dead[0].LastError != "locker said no" {
		t.Fatalf("DeadLetters = %+v, %v", dead, err)
	}
	if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != 7 {
		t.Fatalf("VerifyAuditChain = %d, %v; want the 7 entries written", n, err)
	}
}

// checkNewTables writes to what the migration added: a requester, a
// consent use and an audit entry with its consent, after the old ones.
func checkNewTables(t *testing.T, c repository.Catalog, oldEntries int) {
	t.Helper()
	ctx := context.Background()
	if err := c.AddRequester(ctx, repository.Requester{ID: "bank", KeyHash: []byte{1}, AddedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Requester(ctx, "bank"); err != nil {
		t.Fatal(err)
	}
	if ok, n, err := c.UseConsent(ctx, "ca", time.Time{}, time.Now(), 1); err != nil || !ok || n != 1 {
		t.Fatalf("UseConsent = %v %d %v", ok, n, err)
	}
	if err := c.AppendAudit(ctx, []repository.AuditEntry{{Actor: "apisetu:bank", Action: repository.AuditAPISetu,
		URI: "in.gov.test-SSCER-002", ConsentID: "ca", Purpose: "loan"}}); err != nil {
		t.Fatal(err)
	}
	if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != oldEntries+1 {
		t.Fatalf("VerifyAuditChain = %d, %v; want %d", n, err, oldEntries+1)
	}
	d, err := c.Current(ctx, "in.gov.test-SSCER-002")
	if err != nil {
		t.Fatal(err)
	}
	next := d
	next.Version = 2
	if err := c.Apply(ctx, "b3", []repository.Change{{Doc: next, PrevVersion: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, "b3", []repository.Change{{Doc: next, PrevVersion: 1}}, nil); !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("a stale change: %v, want ErrConflict", err)
	}
}
