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
//
// Several serve starting at once would race in CREATE TABLE IF NOT EXISTS
// (PostgreSQL then fails one with a unique violation in pg_type), so the
// statements run under a transaction-scoped advisory lock.
func (c *Postgres) PrepareReplayLog(ctx context.Context) error {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, replayLogLock); err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS replay_txns (
		key BYTEA PRIMARY KEY,
		expires TIMESTAMPTZ NOT NULL)`); err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE INDEX IF NOT EXISTS replay_txns_expires ON replay_txns(expires)`); err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	return nil
}

// replayLogLock names the advisory lock PrepareReplayLog holds.
const replayLogLock = 0x69_6b_72_70 // "ikrp"

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

// ForgetTxn deletes key.
func (c *Postgres) ForgetTxn(ctx context.Context, key []byte) error {
	if _, err := c.pool.Exec(ctx, `DELETE FROM replay_txns WHERE key = $1`, key); err != nil {
		return fmt.Errorf("replay log: %w", err)
	}
	return nil
}

// PruneTxns deletes the keys that expired before t.
func (c *Postgres) PruneTxns(ctx context.Context, t time.Time) (int64, error) {
	tag, err := c.pool.Exec(ctx, `DELETE FROM replay_txns WHERE expires < $1`, t)
	if err != nil {
		return 0, fmt.Errorf("replay log: %w", err)
	}
	return tag.RowsAffected(), nil
}
