package repository

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the Catalog for several issuerkit processes on several hosts:
// they coordinate only through it (row locks, SKIP LOCKED leases on the
// outbox, a locked head row for the audit chain, a locked row per consent
// artifact).
type Postgres struct {
	core
	pool *pgxpool.Pool
}

var _ Catalog = (*Postgres)(nil)

// pgMigrations is every PostgreSQL migration, the shared steps rendered in
// PostgreSQL.
var pgMigrations = migrationsOf(pgHistory, pgTypes, pgOwn)

// pgOwn is a shared step's statements of PostgreSQL alone.
func pgOwn(s step) string { return s.pg }

// OpenPostgres connects to the catalog at dsn (a libpq URL or key=value
// string; a password may come from PGPASSWORD or ~/.pgpass rather than the
// DSN) and applies pending migrations.
func OpenPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("catalog DSN: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	c := &Postgres{core: core{d: &pgDB{pgRun: pgRun{pool}, pool: pool}}, pool: pool}
	if err := c.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("catalog %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	return c, nil
}

func (c *Postgres) migrate(ctx context.Context) error {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// One migrator at a time, across hosts.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(72730001)`); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	var have int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return err
	}
	if have > len(pgMigrations) {
		return fmt.Errorf("catalog schema version %d is newer than this issuerkit (%d): upgrade issuerkit", have, len(pgMigrations))
	}
	for i := have; i < len(pgMigrations); i++ {
		if _, err := tx.Exec(ctx, pgMigrations[i]); err != nil {
			return fmt.Errorf("migration %d: %w", i+1, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations VALUES ($1)`, i+1); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// pgDB is the PostgreSQL dialect, over a pgx pool (which prepares and keeps
// every statement itself).
type pgDB struct {
	pgRun
	pool *pgxpool.Pool
}

// pgConn is what a pool and a transaction share.
type pgConn interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgRun is a querier over a pool or one transaction.
type pgRun struct{ c pgConn }

func (r pgRun) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := r.c.Exec(ctx, q, args...)
	return tag.RowsAffected(), err
}

func (r pgRun) query(ctx context.Context, q string, args ...any) (rows, error) {
	return r.c.Query(ctx, q, args...)
}

func (r pgRun) queryRow(ctx context.Context, q string, args ...any) row {
	return pgRow{r.c.QueryRow(ctx, q, args...)}
}

// pgRow maps pgx.ErrNoRows to ErrNotFound.
type pgRow struct{ pgx.Row }

func (r pgRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

type pgTx struct {
	pgRun
	tx pgx.Tx
}

func (t pgTx) commit(ctx context.Context) error { return t.tx.Commit(ctx) }
func (t pgTx) rollback(ctx context.Context)     { t.tx.Rollback(ctx) }

func (p *pgDB) begin(ctx context.Context) (tx, error) {
	t, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return pgTx{pgRun{t}, t}, nil
}

// t passes times as they are (TIMESTAMPTZ keeps microseconds).
func (p *pgDB) t(t time.Time) any {
	return t.UTC()
}

func (p *pgDB) lockRows() string   { return " FOR UPDATE" }
func (p *pgDB) skipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// run sends every write to the server in one pipelined batch, then reads
// and checks the outcomes in order.
func (p *pgDB) run(ctx context.Context, t tx, stmts []stmt) error {
	b := &pgx.Batch{}
	for _, s := range stmts {
		b.Queue(s.q, s.args...)
	}
	res := t.(pgTx).tx.SendBatch(ctx, b)
	for _, s := range stmts {
		tag, err := res.Exec()
		if err == nil {
			err = s.check(tag.RowsAffected())
		}
		if err != nil {
			res.Close()
			return err
		}
	}
	return res.Close()
}

// auditHead reads the head row and locks it: appenders on every host take
// turns.
func (p *pgDB) auditHead(ctx context.Context, t tx) (string, error) {
	var prev string
	err := t.queryRow(ctx, `SELECT hash FROM audit_head WHERE one = 1 FOR UPDATE`).Scan(&prev)
	return prev, err
}

// writeAudit copies the entries in (COPY) and moves the head.
func (p *pgDB) writeAudit(ctx context.Context, t tx, entries []AuditEntry, head string) error {
	c := core{d: p}
	rows := make([][]any, len(entries))
	for i := range entries {
		rows[i] = c.appendAuditRow(make([]any, 0, len(auditColumns)), &entries[i])
	}
	if _, err := t.(pgTx).tx.CopyFrom(ctx, pgx.Identifier{"audit"}, auditColumns, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	_, err := t.exec(ctx, `UPDATE audit_head SET hash = $1 WHERE one = 1`, head)
	return err
}

// recordedHead is the head row, which catches entries cut from the end.
func (p *pgDB) recordedHead(ctx context.Context) (string, bool, error) {
	var head string
	err := p.queryRow(ctx, `SELECT hash FROM audit_head WHERE one = 1`).Scan(&head)
	return head, err == nil, err
}

// changed does nothing: PostgreSQL counts no generation (CacheReads leaves
// it uncached).
func (p *pgDB) changed(context.Context, tx) error { return nil }

func (p *pgDB) close() error {
	p.pool.Close()
	return nil
}
