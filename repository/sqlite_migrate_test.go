package repository

import (
	"context"
	"database/sql"
	"path/filepath"
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
