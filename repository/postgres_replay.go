package repository

import (
	"context"
	"fmt"
	"time"
)

var _ ReplayLog = (*Postgres)(nil)

// PrepareReplayLog creates the replay_txns table. It is not a numbered
// migration: only `serve` with a replay window uses it, and a catalog
// without it is no older than one with it.
func (c *Postgres) PrepareReplayLog(ctx context.Context) error {
	_, err := c.pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS replay_txns (
		key BYTEA PRIMARY KEY,
		expires TIMESTAMPTZ NOT NULL);
	CREATE INDEX IF NOT EXISTS replay_txns_expires ON replay_txns(expires)`)
	if err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	return nil
}

// RecordTxn inserts key, or takes over a row of the same key that has
// expired; a live row means a repeat.
func (c *Postgres) RecordTxn(ctx context.Context, key []byte, now, expires time.Time) (bool, error) {
	tag, err := c.pool.Exec(ctx, `INSERT INTO replay_txns (key, expires) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET expires = excluded.expires WHERE replay_txns.expires < $3`, key, expires, now)
	if err != nil {
		return false, fmt.Errorf("replay log: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// PruneTxns deletes the keys that expired before t.
func (c *Postgres) PruneTxns(ctx context.Context, t time.Time) (int64, error) {
	tag, err := c.pool.Exec(ctx, `DELETE FROM replay_txns WHERE expires < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("replay log: %w", err)
	}
	return tag.RowsAffected(), nil
}
