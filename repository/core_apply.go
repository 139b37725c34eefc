package repository

import (
	"context"
	"fmt"
	"time"
)

// Apply implements Catalog: it plans the writes of every change, runs them
// in one transaction (SQLite: prepared statements; PostgreSQL: one
// pipelined batch), then chains their audit entries.
func (c *core) Apply(ctx context.Context, batchID string, changes []Change, mark *Watermark) error {
	if len(changes) == 0 && mark == nil {
		return nil
	}
	now := time.Now()
	stmts, audit := c.planApply(batchID, changes, mark, now)
	err := c.inTx(ctx, func(tx tx) error {
		if err := c.d.run(ctx, tx, stmts); err != nil {
			return err
		}
		if err := c.appendAudit(ctx, tx, audit); err != nil {
			return err
		}
		if len(changes) > 0 {
			return c.d.changed(ctx, tx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	return nil
}

// planApply lists the writes of changes and their audit entries.
func (c *core) planApply(batchID string, changes []Change, mark *Watermark, now time.Time) ([]stmt, []AuditEntry) {
	stmts := make([]stmt, 0, 3*len(changes)+1)
	audit := make([]AuditEntry, 0, len(changes))
	for i := range changes {
		ch := &changes[i]
		stmts = append(stmts, c.documentWrite(batchID, ch, now), c.versionWrite(batchID, ch, now))
		if ch.Outbox != nil {
			stmts = append(stmts, c.outboxWrite(ch, now))
		}
		audit = append(audit, changeEntry(batchID, ch))
	}
	if mark != nil {
		stmts = append(stmts, stmt{q: `UPDATE batches SET mark_input = $1, mark_seq = $2, mark_rejects_path = $3,
			mark_rejects_size = $4, n_read = $5, n_issued = $6, n_updated = $7, n_unchanged = $8, n_rejected = $9 WHERE id = $10`,
			args: []any{mark.InputIndex, mark.Seq, mark.RejectsPath, mark.RejectsSize, mark.Counts.Read, mark.Counts.Issued,
				mark.Counts.Updated, mark.Counts.Unchanged, mark.Counts.Rejected, batchID},
			about: "batch journal " + batchID, one: true, journal: true})
	}
	return stmts, audit
}

// changeEntry is the audit entry of a change: Action defaults to issue or
// update, Actor to "ingest".
func changeEntry(batchID string, ch *Change) AuditEntry {
	e := AuditEntry{Actor: ch.Actor, Action: ch.AuditAction, URI: ch.Doc.URI, Version: ch.Doc.Version, BatchID: batchID, Reason: ch.Reason}
	if e.Actor == "" {
		e.Actor = "ingest"
	}
	if e.Action == "" {
		e.Action = AuditIssue
		if ch.PrevVersion > 0 {
			e.Action = AuditUpdate
		}
	}
	return e
}

// documentWrite inserts a new URI or moves an existing one from
// PrevVersion to the new version; either must change exactly one row.
func (c *core) documentWrite(batchID string, ch *Change, now time.Time) stmt {
	d := &ch.Doc
	var uid any
	if d.UIDHash != "" {
		uid = d.UIDHash
	}
	s := stmt{about: fmt.Sprintf("%s v%d", d.URI, d.Version), one: true}
	if ch.PrevVersion == 0 {
		s.q = `INSERT INTO documents (uri, doctype, doc_id, version, object_key, object_sha256, content_hash, status,
			search_key, uid_hash, holder_name, holder_dob, issue_date, batch_id, updated_at, release_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) ON CONFLICT (uri) DO NOTHING`
		s.args = []any{d.URI, d.DocType, d.DocID, d.Version, d.ObjectKey, d.ObjectSHA256, d.ContentHash, string(d.Status),
			d.SearchKey, uid, d.HolderName, d.HolderDOB, d.IssueDate, batchID, c.d.t(now), c.d.t(d.ReleaseAt)}
		return s
	}
	s.q = `UPDATE documents SET version = $1, object_key = $2, object_sha256 = $3, content_hash = $4, status = $5,
		search_key = $6, uid_hash = $7, holder_name = $8, holder_dob = $9, issue_date = $10, batch_id = $11,
		updated_at = $12, release_at = $15 WHERE uri = $13 AND version = $14`
	s.args = []any{d.Version, d.ObjectKey, d.ObjectSHA256, d.ContentHash, string(d.Status), d.SearchKey, uid,
		d.HolderName, d.HolderDOB, d.IssueDate, batchID, c.d.t(now), d.URI, ch.PrevVersion, c.d.t(d.ReleaseAt)}
	return s
}

func (c *core) versionWrite(batchID string, ch *Change, now time.Time) stmt {
	d := &ch.Doc
	return stmt{q: `INSERT INTO versions (uri, version, object_key, object_sha256, size, content_hash, status, batch_id, created_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
		args:  []any{d.URI, d.Version, d.ObjectKey, d.ObjectSHA256, ch.Size, d.ContentHash, string(d.Status), batchID, c.d.t(now)},
		about: fmt.Sprintf("%s v%d", d.URI, d.Version)}
}

// outboxWrite queues the change's push, due at the document's release. A
// push of a URI whose earlier push is dead-lettered waits with it, so that
// it cannot overtake it.
func (c *core) outboxWrite(ch *Change, now time.Time) stmt {
	d, o := &ch.Doc, ch.Outbox
	return stmt{q: `INSERT INTO outbox (uri, version, action, doctype, doc_name, doc_id, issued_on, valid_from, valid_to,
		aadhaar_enc, state, last_error, next_attempt_at, created_at)
		SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,
		CASE WHEN blocked THEN 'dead' ELSE 'pending' END,
		CASE WHEN blocked THEN 'waits for an earlier dead-lettered push of this URI' END, $11, $12
		FROM (SELECT EXISTS (SELECT 1 FROM outbox WHERE uri = $1 AND state = 'dead') AS blocked) b`,
		args: []any{d.URI, d.Version, o.Action, d.DocType, o.DocName, d.DocID, o.IssuedOn, o.ValidFrom, o.ValidTo,
			o.AadhaarEnc, c.d.t(pushAfter(now, d.ReleaseAt)), c.d.t(now)},
		about: "outbox " + d.URI}
}

// Release implements Catalog.
func (c *core) Release(ctx context.Context, doctype string, at time.Time) (int, error) {
	now := time.Now()
	var release time.Time // public at once
	if at.After(now) {
		release = at
	}
	held := `SELECT uri FROM documents WHERE release_at > $1 AND ($2 = '' OR doctype = $2)`
	var n int64
	err := c.inTx(ctx, func(tx tx) error {
		if _, err := tx.exec(ctx, `UPDATE outbox SET next_attempt_at = $3
			WHERE state = 'pending' AND attempts = 0 AND uri IN (`+held+`)`, c.d.t(now), doctype, c.d.t(pushAfter(now, at))); err != nil {
			return err
		}
		var err error
		if n, err = tx.exec(ctx, `UPDATE documents SET release_at = $3 WHERE uri IN (`+held+`)`,
			c.d.t(now), doctype, c.d.t(release)); err != nil || n == 0 {
			return err
		}
		if err := c.appendAudit(ctx, tx, []AuditEntry{releaseEntry(doctype, int(n), at, now)}); err != nil {
			return err
		}
		return c.d.changed(ctx, tx)
	})
	if err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	return int(n), nil
}
