package repository

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

const pushColumns = `id, uri, version, action, doctype, doc_name, doc_id, issued_on, valid_from, valid_to,
	aadhaar_enc, attempts, COALESCE(last_error, ''), created_at`

func scanPush(r row) (PushItem, error) {
	var p PushItem
	err := r.Scan(&p.ID, &p.URI, &p.Version, &p.Action, &p.DocType, &p.DocName, &p.DocID, &p.IssuedOn,
		&p.ValidFrom, &p.ValidTo, &p.AadhaarEnc, &p.Attempts, &p.LastError, scanTime(&p.CreatedAt))
	return p, err
}

// pushes collects the push rows of a query.
func pushes(rs rows, err error) ([]PushItem, error) {
	var out []PushItem
	err = each(rs, err, func(r rows) error {
		p, err := scanPush(r)
		out = append(out, p)
		return err
	})
	return out, err
}

// notBehind keeps the rows of outbox o that no earlier pending row of their
// URI waits before.
const notBehind = `NOT EXISTS (SELECT 1 FROM outbox e WHERE e.uri = o.uri AND e.id < o.id AND e.state = 'pending')`

// Claim implements Outbox in one statement. On PostgreSQL the due rows are
// locked FOR UPDATE SKIP LOCKED: concurrent claimers on any host skip each
// other's rows instead of waiting; SQLite's write lock lets one claimer in
// at a time.
func (c *core) Claim(ctx context.Context, owner string, max int, lease time.Duration, dueBy time.Time) ([]PushItem, error) {
	if max <= 0 {
		return nil, nil
	}
	now := time.Now()
	rs, err := c.d.query(ctx, `WITH due AS (
			SELECT id AS due_id FROM outbox o
			WHERE state = 'pending' AND next_attempt_at <= $1 AND `+notBehind+`
			ORDER BY next_attempt_at LIMIT $2`+c.d.skipLocked()+`)
		UPDATE outbox SET lease_owner = $3, next_attempt_at = $4 FROM due WHERE outbox.id = due.due_id
		RETURNING `+pushColumns, c.d.t(claimCutoff(now, dueBy)), max, owner, c.d.t(now.Add(lease)))
	items, err := pushes(rs, err)
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	// UPDATE … RETURNING has no order: hand rows out oldest first.
	slices.SortFunc(items, func(a, b PushItem) int { return cmp.Compare(a.ID, b.ID) })
	return items, nil
}

// settleSQL updates one claimed row by outcome; $1 is its id, $2 the owner.
var settleSQL = map[Outcome]string{
	Pushed:   `UPDATE outbox SET state = 'pushed', pushed_at = $3, attempts = attempts + 1, last_error = NULL, lease_owner = NULL`,
	Retry:    `UPDATE outbox SET next_attempt_at = $3, attempts = attempts + 1, last_error = $4, lease_owner = NULL`,
	Dead:     `UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = $3, lease_owner = NULL`,
	Released: `UPDATE outbox SET next_attempt_at = $3, lease_owner = NULL`,
}

// Settle implements Outbox.
func (c *core) Settle(ctx context.Context, owner string, outcomes []Settlement) (int, error) {
	if len(outcomes) == 0 {
		return 0, nil
	}
	now := time.Now()
	lost := 0
	err := c.inTx(ctx, func(tx tx) error {
		lost = 0
		var audit []AuditEntry
		for _, o := range outcomes {
			held, e, err := c.settleOne(ctx, tx, owner, o, now)
			if err != nil {
				return fmt.Errorf("settle #%d: %w", o.ID, err)
			}
			if !held {
				lost++
			}
			if e != nil {
				audit = append(audit, *e)
			}
		}
		return c.appendAudit(ctx, tx, audit)
	})
	if err != nil {
		return 0, fmt.Errorf("outbox: %w", err)
	}
	return lost, nil
}

// settleOne settles one row if owner still holds it (held), and returns
// the audit entry of a push or a dead letter.
func (c *core) settleOne(ctx context.Context, tx tx, owner string, o Settlement, now time.Time) (held bool, _ *AuditEntry, _ error) {
	q, ok := settleSQL[o.Outcome]
	if !ok {
		return false, nil, fmt.Errorf("unknown outcome %d", o.Outcome)
	}
	args := []any{o.ID, owner}
	switch o.Outcome {
	case Pushed, Released:
		args = append(args, c.d.t(now))
	case Retry:
		args = append(args, c.d.t(o.Next), o.Error)
	case Dead:
		args = append(args, o.Error)
	}
	n, err := tx.exec(ctx, q+` WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`, args...)
	if err != nil || n != 1 {
		return false, nil, err
	}
	switch o.Outcome {
	case Pushed:
		return true, &AuditEntry{Actor: "push", Action: AuditPush, URI: o.URI, Version: o.Version, Reason: o.Action}, nil
	case Dead:
		// Later pushes of the URI wait with it in the dead letters.
		if _, err := tx.exec(ctx, `UPDATE outbox SET state = 'dead', last_error = $1
			WHERE uri = (SELECT uri FROM outbox WHERE id = $2) AND id > $2 AND state = 'pending'`,
			fmt.Sprintf("waits for dead-lettered push #%d of this URI", o.ID), o.ID); err != nil {
			return false, nil, err
		}
		return true, &AuditEntry{Actor: "push", Action: AuditPushDead, URI: o.URI, Version: o.Version, Reason: o.Action + ": " + o.Error}, nil
	}
	return true, nil, nil
}

// NextDue implements Outbox.
func (c *core) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next time.Time
	if err := c.d.queryRow(ctx, `SELECT MIN(next_attempt_at) FROM outbox o
		WHERE state = 'pending' AND `+notBehind).Scan(scanTime(&next)); err != nil {
		return time.Time{}, false, fmt.Errorf("outbox: %w", err)
	}
	return next, !next.IsZero(), nil
}

// RetryDead implements Outbox.
func (c *core) RetryDead(ctx context.Context) (int, error) {
	n, err := c.d.exec(ctx, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_owner = NULL
		WHERE state = 'dead'`, c.d.t(time.Now()))
	if err != nil {
		return 0, fmt.Errorf("outbox: retry dead: %w", err)
	}
	return int(n), nil
}

// DeadLetters implements Outbox.
func (c *core) DeadLetters(ctx context.Context, limit int) ([]PushItem, error) {
	rs, err := c.d.query(ctx, `SELECT `+pushColumns+` FROM outbox WHERE state = 'dead' ORDER BY id LIMIT $1`, limit)
	out, err := pushes(rs, err)
	if err != nil {
		return nil, fmt.Errorf("outbox: dead letters: %w", err)
	}
	return out, nil
}

// LastPush implements Outbox.
func (c *core) LastPush(ctx context.Context, uri string) (PushItem, error) {
	p, err := scanPush(c.d.queryRow(ctx, `SELECT `+pushColumns+` FROM outbox WHERE uri = $1 ORDER BY id DESC LIMIT 1`, uri))
	if err != nil {
		return PushItem{}, fmt.Errorf("outbox: %s: %w", uri, err) // ErrNotFound when there is none
	}
	return p, nil
}
