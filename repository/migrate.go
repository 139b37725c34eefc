package repository

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// MigrationReport is what CopySQLiteToPostgres copied and checked.
type MigrationReport struct {
	Rows      map[string]int `json:"rows"`       // per table
	Digest    string         `json:"digest"`     // of every version's URI, number and object hash, both sides
	AuditHead string         `json:"audit_head"` // the audit chain's head, verified on the target
}

// migrationTables lists what moves, in dependency order, with the columns
// that hold times (TEXT in SQLite, TIMESTAMPTZ in PostgreSQL).
var migrationTables = []struct {
	name  string
	cols  []string
	times map[string]bool
}{
	{"batches", []string{"id", "profile", "doctype", "inputs", "state", "started_at", "finished_at", "n_read", "n_issued",
		"n_updated", "n_unchanged", "n_rejected", "fingerprint", "mark_input", "mark_seq", "mark_rejects_path", "mark_rejects_size",
		"release_at"},
		map[string]bool{"started_at": true, "finished_at": true, "release_at": true}},
	{"documents", []string{"uri", "doctype", "doc_id", "version", "object_key", "object_sha256", "content_hash", "status",
		"search_key", "uid_hash", "holder_name", "holder_dob", "issue_date", "batch_id", "updated_at", "release_at"},
		map[string]bool{"updated_at": true, "release_at": true}},
	{"versions", []string{"uri", "version", "object_key", "object_sha256", "size", "content_hash", "status", "batch_id", "created_at"},
		map[string]bool{"created_at": true}},
	{"outbox", []string{"id", "uri", "version", "action", "doctype", "doc_name", "doc_id", "issued_on", "valid_from", "valid_to",
		"aadhaar_enc", "state", "attempts", "next_attempt_at", "last_error", "lease_owner", "created_at", "pushed_at"},
		map[string]bool{"next_attempt_at": true, "created_at": true, "pushed_at": true}},
	{"audit", []string{"id", "at", "actor", "action", "uri", "version", "batch_id", "reason", "prev_hash", "hash"},
		map[string]bool{"at": true}},
}

// CopySQLiteToPostgres copies every row of an SQLite catalog into an empty
// PostgreSQL one in one transaction, then checks row counts, a digest of
// every version and the audit chain on the target. Nothing is committed
// unless every check passes.
func CopySQLiteToPostgres(ctx context.Context, src *SQLite, dst *Postgres) (MigrationReport, error) {
	rep := MigrationReport{Rows: map[string]int{}}
	var n int
	if err := dst.pool.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM documents) + (SELECT COUNT(*) FROM audit)`).Scan(&n); err != nil {
		return rep, err
	}
	if n > 0 {
		return rep, errors.New("the PostgreSQL catalog is not empty: migrate into a new database")
	}
	tx, err := dst.pool.Begin(ctx)
	if err != nil {
		return rep, err
	}
	defer tx.Rollback(ctx)
	for _, t := range migrationTables {
		rows, err := readTable(ctx, src.db, t.name, t.cols, t.times)
		if err != nil {
			return rep, fmt.Errorf("read %s: %w", t.name, err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, pgx.CopyFromRows(rows)); err != nil {
			return rep, fmt.Errorf("copy %s: %w", t.name, err)
		}
		rep.Rows[t.name] = len(rows)
	}
	// Sequences continue after the copied ids; the audit head is the last hash.
	for _, q := range []string{
		`SELECT setval(pg_get_serial_sequence('outbox', 'id'), COALESCE((SELECT MAX(id) FROM outbox), 0) + 1, false)`,
		`SELECT setval(pg_get_serial_sequence('audit', 'id'), COALESCE((SELECT MAX(id) FROM audit), 0) + 1, false)`,
		`UPDATE audit_head SET hash = COALESCE((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '')`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return rep, err
		}
	}
	// Check inside the transaction, before committing.
	for _, t := range migrationTables {
		var got int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+t.name).Scan(&got); err != nil {
			return rep, err
		}
		if got != rep.Rows[t.name] {
			return rep, fmt.Errorf("%s: %d rows copied, %d arrived", t.name, rep.Rows[t.name], got)
		}
	}
	srcDigest, err := versionDigest(func(q string) (rowsScanner, error) { return src.db.QueryContext(ctx, q) })
	if err != nil {
		return rep, err
	}
	dstDigest, err := versionDigest(func(q string) (rowsScanner, error) {
		r, err := tx.Query(ctx, q)
		return pgRows{r}, err
	})
	if err != nil {
		return rep, err
	}
	if srcDigest != dstDigest {
		return rep, errors.New("the versions differ after the copy (digest mismatch)")
	}
	rep.Digest = dstDigest
	if err := tx.Commit(ctx); err != nil {
		return rep, err
	}
	_, head, err := dst.VerifyAuditChain(ctx)
	if err != nil {
		return rep, fmt.Errorf("the audit chain does not verify on PostgreSQL: %w", err)
	}
	rep.AuditHead = head
	return rep, nil
}

func readTable(ctx context.Context, db *sql.DB, table string, cols []string, times map[string]bool) ([][]any, error) {
	q := "SELECT "
	for i, c := range cols {
		if i > 0 {
			q += ", "
		}
		q += c
	}
	rows, err := db.QueryContext(ctx, q+" FROM "+table+" ORDER BY rowid")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range cols {
			if !times[c] || vals[i] == nil {
				continue
			}
			s, _ := vals[i].(string)
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return nil, fmt.Errorf("%s.%s: bad time %q", table, c, s)
			}
			vals[i] = t
		}
		out = append(out, vals)
	}
	return out, rows.Err()
}

type rowsScanner interface {
	Next() bool
	Scan(...any) error
	Close() error
	Err() error
}

type pgRows struct{ pgx.Rows }

func (r pgRows) Close() error { r.Rows.Close(); return nil }

// versionDigest hashes every (uri, version, object hash) in order.
func versionDigest(query func(string) (rowsScanner, error)) (string, error) {
	rows, err := query(`SELECT uri, version, object_sha256 FROM versions ORDER BY uri, version`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	h := sha256.New()
	for rows.Next() {
		var uri, sum string
		var v int
		if err := rows.Scan(&uri, &v, &sum); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", uri, v, sum)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
