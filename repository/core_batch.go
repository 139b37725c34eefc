package repository

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ResumableBatch implements Catalog.
func (c *core) ResumableBatch(ctx context.Context, profile, fingerprint string) (Batch, error) {
	var b Batch
	err := c.d.queryRow(ctx, `SELECT id, profile, doctype, inputs, state, started_at, n_read, n_issued, n_updated,
		n_unchanged, n_rejected, fingerprint, mark_input, mark_seq, mark_rejects_path, mark_rejects_size, release_at
		FROM batches WHERE profile = $1 AND fingerprint = $2 AND state IN ('running','interrupted','failed')
		ORDER BY started_at DESC, id DESC LIMIT 1`, profile, fingerprint).Scan(&b.ID, &b.Profile, &b.DocType, &b.Inputs,
		&b.State, scanTime(&b.StartedAt), &b.Read, &b.Issued, &b.Updated, &b.Unchanged, &b.Rejected, &b.Fingerprint,
		&b.Mark.InputIndex, &b.Mark.Seq, &b.Mark.RejectsPath, &b.Mark.RejectsSize, scanTime(&b.ReleaseAt))
	if errors.Is(err, ErrNotFound) {
		return Batch{}, ErrNotFound
	}
	if err != nil {
		return Batch{}, fmt.Errorf("catalog: resumable batch: %w", err)
	}
	b.Mark.Counts = b.Counts
	return b, nil
}

// StartBatch implements Catalog. Starting a batch that exists (a resume)
// marks it running again.
func (c *core) StartBatch(ctx context.Context, b Batch) error {
	_, err := c.d.exec(ctx, `INSERT INTO batches (id, profile, doctype, inputs, state, started_at, fingerprint, release_at)
		VALUES ($1,$2,$3,$4,'running',$5,$6,$7) ON CONFLICT (id) DO UPDATE SET state = 'running'`,
		b.ID, b.Profile, b.DocType, b.Inputs, c.d.t(b.StartedAt), b.Fingerprint, c.d.t(b.ReleaseAt))
	if err != nil {
		return fmt.Errorf("catalog: start batch: %w", err)
	}
	return nil
}

// FinishBatch implements Catalog.
func (c *core) FinishBatch(ctx context.Context, b Batch) error {
	_, err := c.d.exec(ctx, `UPDATE batches SET state = $1, finished_at = $2, n_read = $3, n_issued = $4, n_updated = $5,
		n_unchanged = $6, n_rejected = $7 WHERE id = $8`, b.State, c.d.t(b.FinishedAt), b.Counts.Read, b.Counts.Issued,
		b.Counts.Updated, b.Counts.Unchanged, b.Counts.Rejected, b.ID)
	if err != nil {
		return fmt.Errorf("catalog: finish batch: %w", err)
	}
	return nil
}

// Stats implements Catalog.
func (c *core) Stats(ctx context.Context, lastBatches int) (Stats, error) {
	s := newStats()
	if err := c.statsDocuments(ctx, &s); err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	if err := c.statsOutbox(ctx, &s); err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	rs, err := c.d.query(ctx, `SELECT id, profile, doctype, inputs, state, started_at, finished_at,
		n_read, n_issued, n_updated, n_unchanged, n_rejected FROM batches ORDER BY started_at DESC, id DESC LIMIT $1`, lastBatches)
	err = each(rs, err, func(r rows) error {
		var b Batch
		if err := r.Scan(&b.ID, &b.Profile, &b.DocType, &b.Inputs, &b.State, scanTime(&b.StartedAt), scanTime(&b.FinishedAt),
			&b.Counts.Read, &b.Counts.Issued, &b.Counts.Updated, &b.Counts.Unchanged, &b.Counts.Rejected); err != nil {
			return err
		}
		s.Batches = append(s.Batches, b)
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	return s, nil
}

// statsDocuments counts documents by doctype and status, and the held ones.
func (c *core) statsDocuments(ctx context.Context, s *Stats) error {
	rs, err := c.d.query(ctx, `SELECT doctype, status, COUNT(*) FROM documents GROUP BY doctype, status`)
	err = each(rs, err, func(r rows) error {
		var dt, st string
		var n int
		if err := r.Scan(&dt, &st, &n); err != nil {
			return err
		}
		s.add(dt, st, n)
		return nil
	})
	if err != nil {
		return err
	}
	var next time.Time
	if err := c.d.queryRow(ctx, `SELECT COUNT(*), MIN(release_at),
		(SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND uri IN (SELECT uri FROM documents WHERE release_at > $1))
		FROM documents WHERE release_at > $1`, c.d.t(time.Now())).Scan(&s.Held, scanTime(&next), &s.Outbox.Held); err != nil {
		return err
	}
	if !next.IsZero() {
		s.NextRelease = &next
	}
	return nil
}

// statsOutbox counts outbox rows by state.
func (c *core) statsOutbox(ctx context.Context, s *Stats) error {
	rs, err := c.d.query(ctx, `SELECT state, COUNT(*) FROM outbox GROUP BY state`)
	return each(rs, err, func(r rows) error {
		var st string
		var n int
		if err := r.Scan(&st, &n); err != nil {
			return err
		}
		switch st {
		case "pending":
			s.Outbox.Pending = n
		case "pushed":
			s.Outbox.Pushed = n
		case "dead":
			s.Outbox.Dead = n
		}
		return nil
	})
}
