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

// pgHistory is the PostgreSQL catalog's migrations before the schema was
// declared once (schema.go); sharedSteps follow them. Each is recorded in
// schema_migrations. Never edit one that has shipped.
var pgHistory = []string{
	`CREATE TABLE batches (
		id          TEXT PRIMARY KEY,
		profile     TEXT NOT NULL,
		doctype     TEXT NOT NULL,
		inputs      TEXT NOT NULL,
		state       TEXT NOT NULL,
		started_at  TIMESTAMPTZ NOT NULL,
		finished_at TIMESTAMPTZ,
		n_read      INTEGER NOT NULL DEFAULT 0,
		n_issued    INTEGER NOT NULL DEFAULT 0,
		n_updated   INTEGER NOT NULL DEFAULT 0,
		n_unchanged INTEGER NOT NULL DEFAULT 0,
		n_rejected  INTEGER NOT NULL DEFAULT 0,
		fingerprint TEXT NOT NULL DEFAULT '',
		mark_input  INTEGER NOT NULL DEFAULT 0,
		mark_seq    INTEGER NOT NULL DEFAULT -1,
		mark_rejects_path TEXT NOT NULL DEFAULT '',
		mark_rejects_size BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX batches_resume ON batches(profile, fingerprint, state);
	CREATE TABLE documents (
		uri           TEXT PRIMARY KEY,
		doctype       TEXT NOT NULL,
		doc_id        TEXT NOT NULL,
		version       INTEGER NOT NULL,
		object_key    TEXT NOT NULL,
		object_sha256 TEXT NOT NULL,
		content_hash  TEXT NOT NULL,
		status        TEXT NOT NULL,
		search_key    TEXT NOT NULL,
		uid_hash      TEXT,
		holder_name   TEXT NOT NULL,
		holder_dob    TEXT NOT NULL,
		issue_date    TEXT NOT NULL,
		batch_id      TEXT NOT NULL,
		updated_at    TIMESTAMPTZ NOT NULL
	);
	CREATE INDEX documents_search ON documents(doctype, search_key);
	CREATE INDEX documents_uid ON documents(doctype, uid_hash) WHERE uid_hash IS NOT NULL;
	CREATE TABLE versions (
		uri           TEXT NOT NULL,
		version       INTEGER NOT NULL,
		object_key    TEXT NOT NULL,
		object_sha256 TEXT NOT NULL,
		size          BIGINT NOT NULL,
		content_hash  TEXT NOT NULL,
		status        TEXT NOT NULL,
		batch_id      TEXT NOT NULL,
		created_at    TIMESTAMPTZ NOT NULL,
		PRIMARY KEY (uri, version)
	);
	CREATE TABLE outbox (
		id              BIGSERIAL PRIMARY KEY,
		uri             TEXT NOT NULL,
		version         INTEGER NOT NULL,
		action          TEXT NOT NULL CHECK (action IN ('A','U','D')),
		doctype         TEXT NOT NULL,
		doc_name        TEXT NOT NULL,
		doc_id          TEXT NOT NULL,
		issued_on       TEXT NOT NULL,
		valid_from      TEXT NOT NULL,
		valid_to        TEXT NOT NULL,
		aadhaar_enc     BYTEA NOT NULL,
		state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','pushed','dead')),
		attempts        INTEGER NOT NULL DEFAULT 0,
		next_attempt_at TIMESTAMPTZ NOT NULL,
		last_error      TEXT,
		lease_owner     TEXT,
		created_at      TIMESTAMPTZ NOT NULL,
		pushed_at       TIMESTAMPTZ
	);
	CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';
	CREATE INDEX outbox_uri ON outbox(uri, id);
	CREATE INDEX outbox_state ON outbox(state);
	CREATE TABLE audit (
		id        BIGSERIAL PRIMARY KEY,
		at        TIMESTAMPTZ NOT NULL,
		actor     TEXT NOT NULL,
		action    TEXT NOT NULL,
		uri       TEXT NOT NULL DEFAULT '',
		version   INTEGER NOT NULL DEFAULT 0,
		batch_id  TEXT NOT NULL DEFAULT '',
		reason    TEXT NOT NULL DEFAULT '',
		prev_hash TEXT NOT NULL,
		hash      TEXT NOT NULL
	);
	CREATE INDEX audit_uri ON audit(uri, id);
	CREATE TABLE audit_head (one SMALLINT PRIMARY KEY CHECK (one = 1), hash TEXT NOT NULL);
	INSERT INTO audit_head VALUES (1, '');`,
	// 2: documents held until a release time (SQLite's migration 7).
	`ALTER TABLE documents ADD COLUMN release_at TIMESTAMPTZ;
	ALTER TABLE batches ADD COLUMN release_at TIMESTAMPTZ;
	CREATE INDEX documents_held ON documents(release_at) WHERE release_at IS NOT NULL;`,
}

// pgMigrations is every PostgreSQL migration, the shared steps rendered in
// PostgreSQL.
var pgMigrations = migrationsOf(pgHistory, pgTypes)

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
	if t.IsZero() {
		return nil
	}
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
		rows[i] = c.auditRow(&entries[i])
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
