package repository

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestMigrateOutboxTimes: a catalog written before migration 3 (outbox
// times in variable-width RFC 3339) still hands out its pending pushes.
func TestMigrateOutboxTimes(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range migrations[:2] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Minute).UTC().Truncate(time.Second).Format(time.RFC3339Nano) // no fraction: "…05Z"
	if _, err := db.Exec(`PRAGMA user_version = 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO outbox (uri, version, action, doctype, doc_name, doc_id, issued_on, valid_from,
		valid_to, aadhaar_enc, next_attempt_at, created_at) VALUES ('in.gov.t-SSCER-1', 1, 'A', 'SSCER', 'n', '1', '', '', '', x'01', ?, ?)`, past, past); err != nil {
		t.Fatal(err)
	}
	db.Close()
	c, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	items, err := c.Claim(ctx, "p", 10, time.Minute, time.Time{})
	if err != nil || len(items) != 1 {
		t.Fatalf("Claim after migration: %d items, %v", len(items), err)
	}
	due, ok, err := c.NextDue(ctx)
	if err != nil || !ok || time.Until(due) < 50*time.Second {
		t.Fatalf("NextDue = %v %v %v", due, ok, err)
	}
}

// TestMigrateDropsAuditURI: a catalog from before the migration that drops
// audit_uri, with the index and an audit entry, loses the index and keeps
// the entry, and its chain verifies with one more appended; a new catalog
// never has it. The audit log's indexes on SQLite are then audit_consent
// alone.
func TestMigrateDropsAuditURI(t *testing.T) {
	ctx := context.Background()
	auditIndexes := func(db *sql.DB) []string {
		t.Helper()
		rs, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit' ORDER BY name`)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		var out []string
		for rs.Next() {
			var n string
			if err := rs.Scan(&n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		return out
	}
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Index(migrations, "DROP INDEX IF EXISTS audit_uri;")
	if before < 0 {
		t.Fatal("no migration drops audit_uri")
	}
	for _, m := range migrations[:before] {
		if _, err := db.Exec(m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, before)); err != nil {
		t.Fatal(err)
	}
	// An entry written before the migration, chained as the catalog chains.
	old := AuditEntry{At: time.Unix(1e9, 0).UTC(), Actor: "t", Action: AuditIssue, URI: "in.gov.t-SSCER-0"}
	if _, err := db.Exec(`INSERT INTO audit (at, actor, action, uri, prev_hash, hash) VALUES (?, ?, ?, ?, '', ?)`,
		tsFixed(old.At), old.Actor, old.Action, old.URI, auditHash("", &old)); err != nil {
		t.Fatal(err)
	}
	if got := auditIndexes(db); !slices.Contains(got, "audit_uri") {
		t.Fatalf("before the migration: audit's indexes %v lack audit_uri", got)
	}
	db.Close()
	c, err := OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AppendAudit(ctx, []AuditEntry{{Actor: "t", Action: AuditIssue, URI: "in.gov.t-SSCER-1"}}); err != nil {
		t.Fatal(err)
	}
	if got := auditIndexes(c.db.db); !slices.Equal(got, []string{"audit_consent"}) {
		t.Errorf("after the migration: audit's indexes %v, want [audit_consent]", got)
	}
	if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != 2 {
		t.Errorf("audit chain after the migration: %d entries, %v", n, err)
	}
	fresh, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "new.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if got := auditIndexes(fresh.db.db); !slices.Equal(got, []string{"audit_consent"}) {
		t.Errorf("a new catalog: audit's indexes %v, want [audit_consent]", got)
	}
}
