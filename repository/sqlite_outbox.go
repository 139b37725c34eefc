package repository

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// tsFixed formats outbox times with a fixed width so that they order as text.
func tsFixed(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

const pushColumns = `id, uri, version, action, doctype, doc_name, doc_id, issued_on, valid_from, valid_to,
	aadhaar_enc, attempts, COALESCE(last_error, ''), created_at`

func scanPush(rows *sql.Rows) (PushItem, error) {
	var p PushItem
	var created string
	err := rows.Scan(&p.ID, &p.URI, &p.Version, &p.Action, &p.DocType, &p.DocName, &p.DocID, &p.IssuedOn,
		&p.ValidFrom, &p.ValidTo, &p.AadhaarEnc, &p.Attempts, &p.LastError, &created)
	p.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return p, err
}

// Claim implements Outbox.
func (c *SQLite) Claim(ctx context.Context, owner string, max int, lease time.Duration, dueBy time.Time) ([]PushItem, error) {
	if max <= 0 {
		return nil, nil
	}
	tx, err := c.db.BeginTx(ctx, nil) // IMMEDIATE: one claimer at a time
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	defer tx.Rollback()
	now := time.Now()
	rows, err := tx.QueryContext(ctx, `SELECT `+pushColumns+` FROM outbox
		WHERE state = 'pending' AND next_attempt_at <= ?
		AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.uri = outbox.uri AND o.id < outbox.id AND o.state = 'pending')
		ORDER BY next_attempt_at LIMIT ?`, tsFixed(claimCutoff(now, dueBy)), max)
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	var items []PushItem
	for rows.Next() {
		p, err := scanPush(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("outbox: claim: %w", err)
		}
		items = append(items, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	if len(items) == 0 {
		return nil, nil
	}
	st, err := tx.PrepareContext(ctx, `UPDATE outbox SET lease_owner = ?, next_attempt_at = ? WHERE id = ?`)
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	defer st.Close()
	until := tsFixed(now.Add(lease))
	for _, p := range items {
		if _, err := st.ExecContext(ctx, owner, until, p.ID); err != nil {
			return nil, fmt.Errorf("outbox: claim: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return items, nil
}

// Settle implements Outbox.
func (c *SQLite) Settle(ctx context.Context, owner string, outcomes []Settlement) error {
	if len(outcomes) == 0 {
		return nil
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("outbox: settle: %w", err)
	}
	defer tx.Rollback()
	now := time.Now()
	const mine = ` WHERE id = ? AND lease_owner = ? AND state = 'pending'`
	stmts := map[Outcome]string{
		Pushed:   `UPDATE outbox SET state = 'pushed', pushed_at = ?, attempts = attempts + 1, last_error = NULL, lease_owner = NULL` + mine,
		Retry:    `UPDATE outbox SET next_attempt_at = ?, attempts = attempts + 1, last_error = ?, lease_owner = NULL` + mine,
		Dead:     `UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, lease_owner = NULL` + mine,
		Released: `UPDATE outbox SET next_attempt_at = ?, lease_owner = NULL` + mine,
	}
	prepared := map[Outcome]*sql.Stmt{}
	defer func() {
		for _, st := range prepared {
			st.Close()
		}
	}()
	var audit []AuditEntry
	for _, o := range outcomes {
		st := prepared[o.Outcome]
		if st == nil {
			q, ok := stmts[o.Outcome]
			if !ok {
				return fmt.Errorf("outbox: settle #%d: unknown outcome %d", o.ID, o.Outcome)
			}
			if st, err = tx.PrepareContext(ctx, q); err != nil {
				return fmt.Errorf("outbox: settle: %w", err)
			}
			prepared[o.Outcome] = st
		}
		var args []any
		switch o.Outcome {
		case Pushed:
			args = []any{ts(now)}
		case Retry:
			args = []any{tsFixed(o.Next), o.Error}
		case Dead:
			args = []any{o.Error}
		case Released:
			args = []any{tsFixed(now)}
		}
		res, err := st.ExecContext(ctx, append(args, o.ID, owner)...)
		if err != nil {
			return fmt.Errorf("outbox: settle #%d: %w", o.ID, err)
		}
		n, _ := res.RowsAffected()
		if n == 1 && (o.Outcome == Pushed || o.Outcome == Dead) {
			e := AuditEntry{Actor: "push", Action: AuditPush, URI: o.URI, Version: o.Version, Reason: o.Action}
			if o.Outcome == Dead {
				e.Action, e.Reason = AuditPushDead, o.Action+": "+o.Error
			}
			audit = append(audit, e)
		}
		if n == 1 && o.Outcome == Dead {
			// Later pushes of the URI wait with it in the dead letters.
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'dead', last_error = ?
				WHERE uri = (SELECT uri FROM outbox WHERE id = ?) AND id > ? AND state = 'pending'`,
				fmt.Sprintf("waits for dead-lettered push #%d of this URI", o.ID), o.ID, o.ID); err != nil {
				return fmt.Errorf("outbox: settle #%d: %w", o.ID, err)
			}
		}
	}
	if err := c.appendAudit(ctx, tx, audit); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("outbox: settle: %w", err)
	}
	return nil
}

// NextDue implements Outbox.
func (c *SQLite) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullString
	if err := c.db.QueryRowContext(ctx, `SELECT MIN(next_attempt_at) FROM outbox
		WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.uri = outbox.uri AND o.id < outbox.id AND o.state = 'pending')`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("outbox: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	t, err := time.Parse(time.RFC3339Nano, next.String)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("outbox: bad time %q: %w", next.String, err)
	}
	return t, true, nil
}

// RetryDead implements Outbox.
func (c *SQLite) RetryDead(ctx context.Context) (int, error) {
	res, err := c.db.ExecContext(ctx, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, lease_owner = NULL
		WHERE state = 'dead'`, tsFixed(time.Now()))
	if err != nil {
		return 0, fmt.Errorf("outbox: retry dead: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeadLetters implements Outbox.
func (c *SQLite) DeadLetters(ctx context.Context, limit int) ([]PushItem, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+pushColumns+` FROM outbox WHERE state = 'dead' ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: dead letters: %w", err)
	}
	defer rows.Close()
	var out []PushItem
	for rows.Next() {
		p, err := scanPush(rows)
		if err != nil {
			return nil, fmt.Errorf("outbox: dead letters: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
