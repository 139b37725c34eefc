package repository

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// MigrationReport is what CopySQLiteToPostgres copied and checked.
type MigrationReport struct {
	Rows      map[string]int `json:"rows"`       // per table
	Digest    string         `json:"digest"`     // of every version's URI, number and object hash, both sides
	AuditHead string         `json:"audit_head"` // the audit chain's head, verified on the target
}

// CopySQLiteToPostgres copies every row of every table of the schema from
// an SQLite catalog into an empty PostgreSQL one in one transaction, then
// checks row counts, a digest of every version and the audit chain on the
// target. Nothing is committed unless every check passes.
func CopySQLiteToPostgres(ctx context.Context, src *SQLite, dst *Postgres) (MigrationReport, error) {
	rep := MigrationReport{Rows: map[string]int{}}
	var n int
	if err := dst.d.queryRow(ctx, `SELECT (SELECT COUNT(*) FROM documents) + (SELECT COUNT(*) FROM audit)
		+ (SELECT COUNT(*) FROM requesters)`).Scan(&n); err != nil {
		return rep, err
	}
	if n > 0 {
		return rep, errors.New("the PostgreSQL catalog is not empty: migrate into a new database")
	}
	err := dst.inTx(ctx, func(t tx) error {
		for _, tb := range schema {
			rows, err := src.readTable(ctx, tb, dst.d)
			if err != nil {
				return fmt.Errorf("read %s: %w", tb.name, err)
			}
			if _, err := t.(pgTx).tx.CopyFrom(ctx, pgx.Identifier{tb.name}, tb.names(), pgx.CopyFromRows(rows)); err != nil {
				return fmt.Errorf("copy %s: %w", tb.name, err)
			}
			rep.Rows[tb.name] = len(rows)
		}
		if err := pgAfterCopy(ctx, t); err != nil {
			return err
		}
		return checkCopy(ctx, src.d, t, &rep)
	})
	if err != nil {
		return rep, err
	}
	_, head, err := dst.VerifyAuditChain(ctx)
	if err != nil {
		return rep, fmt.Errorf("the audit chain does not verify on PostgreSQL: %w", err)
	}
	rep.AuditHead = head
	return rep, nil
}

// names is t's column names.
func (t table) names() []string {
	out := make([]string, len(t.cols))
	for i, c := range t.cols {
		out[i] = c.name
	}
	return out
}

// order is the ORDER BY that reads t's rows as they were written.
func (t table) order() string {
	switch {
	case t.pk != "":
		return t.pk
	case t.cols[0].typ == tSerial:
		return t.cols[0].name
	}
	return strings.Join(t.names(), ", ")
}

// readTable reads every row of t, its values as the target dialect to
// takes them.
func (c *core) readTable(ctx context.Context, t table, to dialect) ([][]any, error) {
	var out [][]any
	rs, err := c.d.query(ctx, `SELECT `+strings.Join(t.names(), ", ")+` FROM `+t.name+` ORDER BY `+t.order())
	err = each(rs, err, func(r rows) error {
		vals, err := scanValues(r, t, to)
		out = append(out, vals)
		return err
	})
	return out, err
}

// scanValues scans one row of t: times through timeCol, booleans from
// SQLite's integers, everything else as the driver gives it.
func scanValues(r rows, t table, to dialect) ([]any, error) {
	vals := make([]any, len(t.cols))
	ptrs := make([]any, len(t.cols))
	times := make([]timeCol, len(t.cols))
	for i, c := range t.cols {
		ptrs[i] = &vals[i]
		if c.typ == tTime {
			times[i] = scanTime(new(time.Time))
			ptrs[i] = times[i]
		}
	}
	if err := r.Scan(ptrs...); err != nil {
		return nil, err
	}
	for i, c := range t.cols {
		switch c.typ {
		case tTime:
			vals[i] = to.t(*times[i].t)
		case tBool:
			if n, ok := vals[i].(int64); ok {
				vals[i] = n != 0
			}
		}
	}
	return vals, nil
}

// pgAfterCopy moves the sequences past the copied ids and the audit head
// to the last copied hash.
func pgAfterCopy(ctx context.Context, t tx) error {
	var qs []string
	for _, tb := range schema {
		if tb.cols[0].typ == tSerial {
			qs = append(qs, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', '%[2]s'),
				COALESCE((SELECT MAX(%[2]s) FROM %[1]s), 0) + 1, false)`, tb.name, tb.cols[0].name))
		}
	}
	qs = append(qs, `UPDATE audit_head SET hash = COALESCE((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '')`)
	for _, q := range qs {
		if _, err := t.exec(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// checkCopy compares row counts and the version digests of both sides,
// inside the copy's transaction.
func checkCopy(ctx context.Context, src querier, dst querier, rep *MigrationReport) error {
	for _, tb := range schema {
		var got int
		if err := dst.queryRow(ctx, `SELECT COUNT(*) FROM `+tb.name).Scan(&got); err != nil {
			return err
		}
		if got != rep.Rows[tb.name] {
			return fmt.Errorf("%s: %d rows copied, %d arrived", tb.name, rep.Rows[tb.name], got)
		}
	}
	srcDigest, err := versionDigest(ctx, src)
	if err != nil {
		return err
	}
	dstDigest, err := versionDigest(ctx, dst)
	if err != nil {
		return err
	}
	if srcDigest != dstDigest {
		return errors.New("the versions differ after the copy (digest mismatch)")
	}
	rep.Digest = dstDigest
	return nil
}

// versionDigest hashes every (uri, version, object hash) in order.
func versionDigest(ctx context.Context, q querier) (string, error) {
	h := sha256.New()
	rs, err := q.query(ctx, `SELECT uri, version, object_sha256 FROM versions ORDER BY uri, version`)
	err = each(rs, err, func(r rows) error {
		var uri, sum string
		var v int
		if err := r.Scan(&uri, &v, &sum); err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00%s\n", uri, v, sum)
		return nil
	})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
