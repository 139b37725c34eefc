package repository

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// appendAudit chains entries after the log's head, which the dialect reads
// and holds in tx, so concurrent appenders on every host take turns.
func (c *core) appendAudit(ctx context.Context, tx tx, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	prev, err := c.d.auditHead(ctx, tx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	// Microseconds: what TIMESTAMPTZ keeps, so a log copied between the
	// dialects still verifies.
	now := time.Now().UTC().Truncate(time.Microsecond)
	for i := range entries {
		e := &entries[i]
		e.At, e.PrevHash = now, prev
		e.Hash = auditHash(prev, e)
		prev = e.Hash
	}
	if err := c.d.writeAudit(ctx, tx, entries, prev); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// auditColumns are the audit columns writeAudit fills, in auditRow's order.
var auditColumns = []string{"at", "actor", "action", "uri", "version", "batch_id", "reason", "prev_hash", "hash", "consent_id", "purpose"}

// appendAuditRow appends e's values in auditColumns' order to dst.
func (c *core) appendAuditRow(dst []any, e *AuditEntry) []any {
	return append(dst, c.d.t(e.At), e.Actor, e.Action, e.URI, e.Version, e.BatchID, e.Reason, e.PrevHash, e.Hash, e.ConsentID, e.Purpose)
}

// AppendAudit implements Auditor.
func (c *core) AppendAudit(ctx context.Context, entries []AuditEntry) error {
	return c.inTx(ctx, func(tx tx) error { return c.appendAudit(ctx, tx, entries) })
}

// AuditLog implements Auditor. Since is compared in SQL to the second (the
// text times of old SQLite entries vary in width) and exactly here.
func (c *core) AuditLog(ctx context.Context, q AuditQuery, fn func(AuditEntry) error) error {
	from := orEpoch(q.Since)
	if !q.Since.IsZero() {
		from = q.Since.Truncate(time.Second).Add(-time.Second)
	}
	query, args := auditLogQuery(q, c.d.t(from))
	rs, err := c.d.query(ctx, query, args...)
	err = each(rs, err, func(r rows) error {
		var e AuditEntry
		if err := r.Scan(&e.ID, scanTime(&e.At), &e.Actor, &e.Action, &e.URI, &e.Version, &e.BatchID, &e.Reason,
			&e.PrevHash, &e.Hash, &e.ConsentID, &e.Purpose); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		e.At = e.At.UTC()
		if e.At.Before(q.Since) {
			return nil
		}
		return fn(e)
	})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// auditLogQuery is AuditLog's SELECT with only the filters q sets, so
// that the planner can use an index for them: with the filters written as
// optional (an empty $1 or uri = $1), SQLite scans the whole log whatever is
// set. A consent's entries are found through audit_consent, whose WHERE the
// query then repeats (a partial index serves only a query that implies its
// WHERE). A URI's are found by a scan on SQLite, which has no URI index
// (once pulls, most of the log, left it, it served no query), and through
// audit_uri on PostgreSQL.
func auditLogQuery(q AuditQuery, from any) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT id, at, actor, action, uri, version, batch_id, reason, prev_hash, hash, consent_id, purpose
		FROM audit WHERE at >= $1`)
	args := []any{from}
	if q.URI != "" {
		args = append(args, q.URI)
		b.WriteString(" AND uri = $" + strconv.Itoa(len(args)))
	}
	if q.ConsentID != "" {
		args = append(args, q.ConsentID)
		b.WriteString(" AND consent_id = $" + strconv.Itoa(len(args)) + " AND consent_id <> ''")
	}
	b.WriteString(" ORDER BY id")
	return b.String(), args
}

// VerifyAuditChain implements Auditor.
func (c *core) VerifyAuditChain(ctx context.Context) (int, string, error) {
	n, prev := 0, ""
	var lastID int64
	err := c.AuditLog(ctx, AuditQuery{}, func(e AuditEntry) error {
		if e.PrevHash != prev {
			return fmt.Errorf("%w: entry %d does not follow entry %d (an entry was removed or reordered)", ErrAuditTampered, e.ID, lastID)
		}
		if auditHash(prev, &e) != e.Hash {
			return fmt.Errorf("%w: entry %d was altered", ErrAuditTampered, e.ID)
		}
		n, prev, lastID = n+1, e.Hash, e.ID
		return nil
	})
	if err != nil {
		return n, prev, err
	}
	head, ok, err := c.d.recordedHead(ctx)
	if err != nil {
		return n, prev, fmt.Errorf("audit: %w", err)
	}
	if ok && head != prev {
		return n, prev, fmt.Errorf("%w: the log ends before its recorded head (entries were removed from the end)", ErrAuditTampered)
	}
	return n, prev, nil
}
