package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// auditPerStmt is how many entries one INSERT writes: executing a
// statement is most of the cost of a row.
const auditPerStmt = 100

// auditInsertSQL is the INSERT of n audit rows.
func auditInsertSQL(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT INTO audit (at, actor, action, uri, version, batch_id, reason, prev_hash, hash) VALUES `)
	for i := range n {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteString("(?,?,?,?,?,?,?,?,?)")
	}
	return q.String()
}

// appendAudit appends entries inside tx. The chain's head is read in the
// same (IMMEDIATE) transaction, so concurrent writers chain in order.
func (c *SQLite) appendAudit(ctx context.Context, tx *sql.Tx, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("audit: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond) // microseconds: what PostgreSQL keeps, so a migrated log still verifies
	args := make([]any, 0, 9*auditPerStmt)
	var full *sql.Stmt // the prepared INSERT of auditPerStmt rows, on this transaction
	for lo := 0; lo < len(entries); lo += auditPerStmt {
		hi := min(lo+auditPerStmt, len(entries))
		args = args[:0]
		for i := lo; i < hi; i++ {
			e := &entries[i]
			e.At, e.PrevHash = now, prev
			e.Hash = auditHash(prev, e)
			prev = e.Hash
			args = append(args, ts(e.At), e.Actor, e.Action, e.URI, e.Version, e.BatchID, e.Reason, e.PrevHash, e.Hash)
		}
		if hi-lo < auditPerStmt {
			_, err = tx.ExecContext(ctx, auditInsertSQL(hi-lo), args...)
		} else {
			if full == nil {
				full = tx.StmtContext(ctx, c.auditInsert)
				defer full.Close()
			}
			_, err = full.ExecContext(ctx, args...)
		}
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
	}
	return nil
}

// AppendAudit implements Auditor.
func (c *SQLite) AppendAudit(ctx context.Context, entries []AuditEntry) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback()
	if err := c.appendAudit(ctx, tx, entries); err != nil {
		return err
	}
	return tx.Commit()
}

// AuditLog implements Auditor.
func (c *SQLite) AuditLog(ctx context.Context, q AuditQuery, fn func(AuditEntry) error) error {
	query := `SELECT id, at, actor, action, uri, version, batch_id, reason, prev_hash, hash FROM audit WHERE 1=1`
	var args []any
	if q.URI != "" {
		query += ` AND uri = ?`
		args = append(args, q.URI)
	}
	rows, err := c.db.QueryContext(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.URI, &e.Version, &e.BatchID, &e.Reason, &e.PrevHash, &e.Hash); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
			return fmt.Errorf("audit entry %d: bad time %q", e.ID, at)
		}
		if !q.Since.IsZero() && e.At.Before(q.Since) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// VerifyAuditChain implements Auditor.
func (c *SQLite) VerifyAuditChain(ctx context.Context) (int, string, error) {
	n, prev := 0, ""
	err := c.AuditLog(ctx, AuditQuery{}, func(e AuditEntry) error {
		if e.PrevHash != prev {
			return fmt.Errorf("%w: entry %d does not follow entry %d (an entry was removed or reordered)", ErrAuditTampered, e.ID, e.ID-1)
		}
		if auditHash(prev, &e) != e.Hash {
			return fmt.Errorf("%w: entry %d was altered", ErrAuditTampered, e.ID)
		}
		n, prev = n+1, e.Hash
		return nil
	})
	return n, prev, err
}

// History implements Catalog.
func (c *SQLite) History(ctx context.Context, uri string) ([]Version, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT version, status, batch_id, created_at FROM versions WHERE uri = ? ORDER BY version`, uri)
	if err != nil {
		return nil, fmt.Errorf("catalog: history %s: %w", uri, err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var st, at string
		if err := rows.Scan(&v.Version, &st, &v.BatchID, &at); err != nil {
			return nil, err
		}
		v.Status = xmlschema.Status(st)
		v.CreatedAt, _ = time.Parse(time.RFC3339Nano, at)
		out = append(out, v)
	}
	return out, rows.Err()
}

// LastPush implements Outbox.
func (c *SQLite) LastPush(ctx context.Context, uri string) (PushItem, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+pushColumns+` FROM outbox WHERE uri = ? ORDER BY id DESC LIMIT 1`, uri)
	if err != nil {
		return PushItem{}, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	if !rows.Next() {
		return PushItem{}, fmt.Errorf("outbox: %s: %w", uri, ErrNotFound)
	}
	return scanPush(rows)
}
