//go:build integration

package repository_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/jackc/pgx/v5"
)

// TestPreviousReleaseHomePostgres: a PostgreSQL catalog of the previous
// release (testdata/home-postgres-v2.sql, as pg_dump wrote it) opens,
// migrates, reads as it was written and takes the new tables.
func TestPreviousReleaseHomePostgres(t *testing.T) {
	ctx := context.Background()
	dsn := testenv.StartPostgres(t)
	restoreDump(t, dsn, filepath.Join("testdata", "home-postgres-v2.sql"))
	c, err := repository.OpenPostgres(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	checkPreviousHome(t, c)
	checkNewTables(t, c, 7)
}

// TestPreviousReleaseHomeCopied: a previous release's SQLite home, once
// migrated, copies into an empty PostgreSQL catalog (`catalog migrate`)
// with every table, and reads the same there.
func TestPreviousReleaseHomeCopied(t *testing.T) {
	ctx := context.Background()
	src, err := repository.OpenSQLite(ctx, previousSQLiteHome(t))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	checkNewTables(t, src, 7) // the new tables have rows to copy too
	dst, err := repository.OpenPostgres(ctx, testenv.StartPostgres(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	rep, err := repository.CopySQLiteToPostgres(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"documents": 3, "versions": 5, "audit": 9, "requesters": 1, "consent_uses": 1, "outbox": 3} {
		if rep.Rows[table] != want {
			t.Errorf("copied %d rows of %s, want %d", rep.Rows[table], table, want)
		}
	}
	_, head, err := src.VerifyAuditChain(ctx)
	if err != nil || rep.AuditHead != head {
		t.Fatalf("audit head on PostgreSQL %s, SQLite %s (%v)", rep.AuditHead, head, err)
	}
	if r, err := dst.Requester(ctx, "bank"); err != nil || r.AddedAt.IsZero() {
		t.Fatalf("copied requester = %+v, %v", r, err)
	}
	if ok, n, err := dst.UseConsent(ctx, "ca", time.Time{}, time.Now(), 2); err != nil || !ok || n != 2 {
		t.Fatalf("UseConsent after the copy = %v %d %v; want the copied use counted", ok, n, err)
	}
}

// restoreDump runs a plain pg_dump file on the database at dsn, leaving
// out psql's meta-commands.
func restoreDump(t *testing.T, dsn, path string) {
	t.Helper()
	ctx := context.Background()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sql []string
	for _, line := range strings.Split(string(data), "\n") {
		if !strings.HasPrefix(line, `\`) {
			sql = append(sql, line)
		}
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.PgConn().Exec(ctx, strings.Join(sql, "\n")).ReadAll(); err != nil {
		t.Fatalf("restore %s: %v", path, err)
	}
}
