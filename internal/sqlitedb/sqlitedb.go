// Package sqlitedb opens issuerkit's embedded SQLite databases (the
// catalog, the reference locker's store) the same way: WAL, FULL sync, a
// busy timeout, IMMEDIATE write transactions, a pool that keeps its
// connections, and numbered migrations recorded in PRAGMA user_version.
// Their WAL is checkpointed by SQLite in their commits, or beside them by
// a Checkpointer.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"slices"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// pragmas are set on every connection.
var pragmas = []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)"}

// Checkpoints says who checkpoints a database's WAL: copies the pages it
// holds back into the database, so that it can start afresh.
type Checkpoints int

const (
	// OnCommit: every commit that finds the WAL past 4,000 pages (16 MB)
	// checkpoints it before it returns, SQLite's own way. 4,000 rather
	// than SQLite's 1,000: a checkpoint copies each page once however
	// often the WAL holds it, and the catalog's commits rewrite the same
	// index pages again and again (BenchmarkUseConsentsAudited: 12% less
	// CPU a batch).
	OnCommit Checkpoints = iota
	// Beside: no commit does; the caller's Checkpointer does, beside the
	// commits.
	Beside
)

// autocheckpoint is the wal_autocheckpoint pragma of ck.
func autocheckpoint(ck Checkpoints) string {
	if ck == Beside {
		return "wal_autocheckpoint(0)"
	}
	return "wal_autocheckpoint(4000)"
}

// Open opens (creating if needed) the database at path, readable by its
// owner only (see private), with up to conns connections, checkpointed as ck says, and applies the migrations it has
// not applied yet. migrations are applied in order; never edit one that
// has shipped.
func Open(ctx context.Context, path string, conns int, migrations []string, ck Checkpoints) (*sql.DB, error) {
	if err := private(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range slices.Concat(pragmas, []string{autocheckpoint(ck)}) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	// Keep them: a new connection starts with a cold page cache and re-runs
	// the pragmas (database/sql keeps only 2 idle connections by default).
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(0)
	if err := migrate(ctx, db, migrations); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB, migrations []string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var have int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this issuerkit (%d): upgrade issuerkit", have, len(migrations))
	}
	for i := have; i < len(migrations); i++ {
		if _, err := tx.ExecContext(ctx, migrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}

// private makes the database at path readable by its owner only: every
// database issuerkit keeps holds personal data or secrets (the catalog's
// names and dates of birth; the locker's issuer keys, OTPs and KYC). It
// is created 0600 before SQLite opens it (SQLite gives its -wal and -shm
// files the database's mode), or narrowed to 0600, with those two, when
// it was made with a wider mode (an older issuerkit's 0644).
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			return err
		}
	}
	for _, side := range []string{path + "-wal", path + "-shm"} {
		if fi, err := os.Stat(side); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(side, 0o600); err != nil {
				return err
			}
		}
	}
	return nil
}
