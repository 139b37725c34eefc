package repository

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is the Catalog for several issuerkit processes on several hosts:
// they coordinate only through it (row locks, SKIP LOCKED leases on the
// outbox, a locked head row for the audit chain).
type Postgres struct {
	pool *pgxpool.Pool
}

var _ Catalog = (*Postgres)(nil)

// pgMigrations are applied in order, each recorded in schema_migrations.
// Never edit one that has shipped: append a new one.
var pgMigrations = []string{
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
	c := &Postgres{pool: pool}
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

// Close implements Catalog.
func (c *Postgres) Close() error {
	c.pool.Close()
	return nil
}

const pgDocColumns = `uri, doctype, doc_id, version, object_key, object_sha256, content_hash, status,
	search_key, COALESCE(uid_hash, ''), holder_name, holder_dob, issue_date, batch_id, updated_at, release_at`

func pgScanDoc(row pgx.Row) (Document, error) {
	var d Document
	var status string
	var release *time.Time
	err := row.Scan(&d.URI, &d.DocType, &d.DocID, &d.Version, &d.ObjectKey, &d.ObjectSHA256, &d.ContentHash,
		&status, &d.SearchKey, &d.UIDHash, &d.HolderName, &d.HolderDOB, &d.IssueDate, &d.BatchID, &d.UpdatedAt, &release)
	if errors.Is(err, pgx.ErrNoRows) {
		return Document{}, ErrNotFound
	}
	d.Status = xmlschema.Status(status)
	if release != nil {
		d.ReleaseAt = *release
	}
	return d, err
}

// pgOptionalTime is t for a nullable TIMESTAMPTZ: NULL for the zero time.
func pgOptionalTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// Current implements Catalog.
func (c *Postgres) Current(ctx context.Context, uri string) (Document, error) {
	d, err := pgScanDoc(c.pool.QueryRow(ctx, `SELECT `+pgDocColumns+` FROM documents WHERE uri = $1`, uri))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: %s: %w", uri, err)
	}
	return d, nil
}

// FindBySearchKey implements Catalog.
func (c *Postgres) FindBySearchKey(ctx context.Context, doctype, searchKey string) (Document, error) {
	d, err := pgScanDoc(c.pool.QueryRow(ctx, `SELECT `+pgDocColumns+` FROM documents WHERE doctype = $1 AND search_key = $2 LIMIT 1`, doctype, searchKey))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: search %s: %w", doctype, err)
	}
	return d, nil
}

// FindByUID implements Catalog.
func (c *Postgres) FindByUID(ctx context.Context, doctype, uidHash string) (Document, error) {
	d, err := pgScanDoc(c.pool.QueryRow(ctx, `SELECT `+pgDocColumns+` FROM documents WHERE doctype = $1 AND uid_hash = $2
		ORDER BY updated_at DESC, uri LIMIT 1`, doctype, uidHash))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: search %s by holder: %w", doctype, err)
	}
	return d, nil
}

// ForEachURI implements Catalog.
func (c *Postgres) ForEachURI(ctx context.Context, doctype string, fn func(uri string) error) error {
	rows, err := c.pool.Query(ctx, `SELECT uri FROM documents WHERE doctype = $1`, doctype)
	if err != nil {
		return fmt.Errorf("catalog: list %s: %w", doctype, err)
	}
	defer rows.Close()
	for rows.Next() {
		var uri string
		if err := rows.Scan(&uri); err != nil {
			return err
		}
		if err := fn(uri); err != nil {
			return err
		}
	}
	return rows.Err()
}

// HasVersion implements Catalog.
func (c *Postgres) HasVersion(ctx context.Context, uri string, version int) (bool, error) {
	var one int
	err := c.pool.QueryRow(ctx, `SELECT 1 FROM versions WHERE uri = $1 AND version = $2`, uri, version).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Apply implements Catalog. The statements go to the server in one batch.
func (c *Postgres) Apply(ctx context.Context, batchID string, changes []Change, mark *Watermark) error {
	if len(changes) == 0 && mark == nil {
		return nil
	}
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("catalog: begin: %w", err)
	}
	defer tx.Rollback(ctx)
	now := time.Now().UTC()
	b := &pgx.Batch{}
	type check struct {
		i     int
		what  string
		batch bool // the journal: a miss means no such batch, not a conflict
	}
	var checks []check // statements that must change exactly one row
	audit := make([]AuditEntry, 0, len(changes))
	for i := range changes {
		ch := &changes[i]
		d := &ch.Doc
		var uid any
		if d.UIDHash != "" {
			uid = d.UIDHash
		}
		if ch.PrevVersion == 0 {
			b.Queue(`INSERT INTO documents (uri, doctype, doc_id, version, object_key, object_sha256, content_hash, status,
				search_key, uid_hash, holder_name, holder_dob, issue_date, batch_id, updated_at, release_at)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) ON CONFLICT (uri) DO NOTHING`,
				d.URI, d.DocType, d.DocID, d.Version, d.ObjectKey, d.ObjectSHA256, d.ContentHash, string(d.Status),
				d.SearchKey, uid, d.HolderName, d.HolderDOB, d.IssueDate, batchID, now, pgOptionalTime(d.ReleaseAt))
		} else {
			b.Queue(`UPDATE documents SET version = $1, object_key = $2, object_sha256 = $3, content_hash = $4, status = $5,
				search_key = $6, uid_hash = $7, holder_name = $8, holder_dob = $9, issue_date = $10, batch_id = $11,
				updated_at = $12, release_at = $15 WHERE uri = $13 AND version = $14`,
				d.Version, d.ObjectKey, d.ObjectSHA256, d.ContentHash, string(d.Status), d.SearchKey, uid,
				d.HolderName, d.HolderDOB, d.IssueDate, batchID, now, d.URI, ch.PrevVersion, pgOptionalTime(d.ReleaseAt))
		}
		checks = append(checks, check{i: b.Len() - 1, what: fmt.Sprintf("%s v%d", d.URI, d.Version)})
		b.Queue(`INSERT INTO versions (uri, version, object_key, object_sha256, size, content_hash, status, batch_id, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, d.URI, d.Version, d.ObjectKey, d.ObjectSHA256, ch.Size, d.ContentHash,
			string(d.Status), batchID, now)
		if o := ch.Outbox; o != nil {
			// A push of a URI whose earlier push is dead-lettered waits
			// with it, so that it cannot overtake it.
			b.Queue(`INSERT INTO outbox (uri, version, action, doctype, doc_name, doc_id, issued_on, valid_from, valid_to,
				aadhaar_enc, state, last_error, next_attempt_at, created_at)
				SELECT $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,
				CASE WHEN blocked THEN 'dead' ELSE 'pending' END,
				CASE WHEN blocked THEN 'waits for an earlier dead-lettered push of this URI' END, $12, $11
				FROM (SELECT EXISTS (SELECT 1 FROM outbox WHERE uri = $1 AND state = 'dead') AS blocked) b`,
				d.URI, d.Version, o.Action, d.DocType, o.DocName, d.DocID, o.IssuedOn, o.ValidFrom, o.ValidTo, o.AadhaarEnc, now,
				pushAfter(now, d.ReleaseAt).UTC())
		}
		e := AuditEntry{Actor: ch.Actor, Action: ch.AuditAction, URI: d.URI, Version: d.Version, BatchID: batchID, Reason: ch.Reason}
		if e.Actor == "" {
			e.Actor = "ingest"
		}
		if e.Action == "" {
			e.Action = AuditIssue
			if ch.PrevVersion > 0 {
				e.Action = AuditUpdate
			}
		}
		audit = append(audit, e)
	}
	if mark != nil {
		b.Queue(`UPDATE batches SET mark_input = $1, mark_seq = $2, mark_rejects_path = $3, mark_rejects_size = $4,
			n_read = $5, n_issued = $6, n_updated = $7, n_unchanged = $8, n_rejected = $9 WHERE id = $10`,
			mark.InputIndex, mark.Seq, mark.RejectsPath, mark.RejectsSize, mark.Counts.Read, mark.Counts.Issued,
			mark.Counts.Updated, mark.Counts.Unchanged, mark.Counts.Rejected, batchID)
		checks = append(checks, check{i: b.Len() - 1, what: "batch journal " + batchID, batch: true})
	}
	res := tx.SendBatch(ctx, b)
	next := 0
	for i := range b.Len() {
		tag, err := res.Exec()
		if err != nil {
			res.Close()
			return fmt.Errorf("catalog: %w", err)
		}
		if next < len(checks) && checks[next].i == i {
			if tag.RowsAffected() != 1 {
				res.Close()
				if checks[next].batch {
					return fmt.Errorf("catalog: %s: no such batch", checks[next].what)
				}
				return fmt.Errorf("catalog: %s: %w", checks[next].what, ErrConflict)
			}
			next++
		}
	}
	if err := res.Close(); err != nil {
		return fmt.Errorf("catalog: %w", err)
	}
	if err := pgAppendAudit(ctx, tx, audit); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("catalog: commit: %w", err)
	}
	return nil
}

// pgAppendAudit chains entries after the head, which it locks: appenders
// on every host take turns.
func pgAppendAudit(ctx context.Context, tx pgx.Tx, entries []AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var prev string
	if err := tx.QueryRow(ctx, `SELECT hash FROM audit_head WHERE one = 1 FOR UPDATE`).Scan(&prev); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	now := time.Now().UTC().Truncate(time.Microsecond) // what TIMESTAMPTZ keeps
	rows := make([][]any, len(entries))
	for i := range entries {
		e := &entries[i]
		e.At, e.PrevHash = now, prev
		e.Hash = auditHash(prev, e)
		rows[i] = []any{e.At, e.Actor, e.Action, e.URI, e.Version, e.BatchID, e.Reason, e.PrevHash, e.Hash}
		prev = e.Hash
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit"},
		[]string{"at", "actor", "action", "uri", "version", "batch_id", "reason", "prev_hash", "hash"}, pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET hash = $1 WHERE one = 1`, prev); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// ResumableBatch implements Catalog.
func (c *Postgres) ResumableBatch(ctx context.Context, profile, fingerprint string) (Batch, error) {
	var b Batch
	var release *time.Time
	err := c.pool.QueryRow(ctx, `SELECT id, profile, doctype, inputs, state, started_at, n_read, n_issued, n_updated,
		n_unchanged, n_rejected, fingerprint, mark_input, mark_seq, mark_rejects_path, mark_rejects_size, release_at
		FROM batches WHERE profile = $1 AND fingerprint = $2 AND state IN ('running','interrupted','failed')
		ORDER BY started_at DESC, id DESC LIMIT 1`, profile, fingerprint).Scan(&b.ID, &b.Profile, &b.DocType, &b.Inputs,
		&b.State, &b.StartedAt, &b.Read, &b.Issued, &b.Updated, &b.Unchanged, &b.Rejected, &b.Fingerprint,
		&b.Mark.InputIndex, &b.Mark.Seq, &b.Mark.RejectsPath, &b.Mark.RejectsSize, &release)
	if errors.Is(err, pgx.ErrNoRows) {
		return Batch{}, ErrNotFound
	}
	if err != nil {
		return Batch{}, fmt.Errorf("catalog: resumable batch: %w", err)
	}
	if release != nil {
		b.ReleaseAt = *release
	}
	b.Mark.Counts = b.Counts
	return b, nil
}

// StartBatch implements Catalog.
func (c *Postgres) StartBatch(ctx context.Context, b Batch) error {
	_, err := c.pool.Exec(ctx, `INSERT INTO batches (id, profile, doctype, inputs, state, started_at, fingerprint, release_at)
		VALUES ($1,$2,$3,$4,'running',$5,$6,$7) ON CONFLICT (id) DO UPDATE SET state = 'running'`,
		b.ID, b.Profile, b.DocType, b.Inputs, b.StartedAt.UTC(), b.Fingerprint, pgOptionalTime(b.ReleaseAt))
	if err != nil {
		return fmt.Errorf("catalog: start batch: %w", err)
	}
	return nil
}

// FinishBatch implements Catalog.
func (c *Postgres) FinishBatch(ctx context.Context, b Batch) error {
	_, err := c.pool.Exec(ctx, `UPDATE batches SET state = $1, finished_at = $2, n_read = $3, n_issued = $4, n_updated = $5,
		n_unchanged = $6, n_rejected = $7 WHERE id = $8`, b.State, b.FinishedAt.UTC(), b.Counts.Read, b.Counts.Issued,
		b.Counts.Updated, b.Counts.Unchanged, b.Counts.Rejected, b.ID)
	if err != nil {
		return fmt.Errorf("catalog: finish batch: %w", err)
	}
	return nil
}

// Stats implements Catalog.
func (c *Postgres) Stats(ctx context.Context, lastBatches int) (Stats, error) {
	s := newStats()
	rows, err := c.pool.Query(ctx, `SELECT doctype, status, COUNT(*) FROM documents GROUP BY doctype, status`)
	if err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	for rows.Next() {
		var dt, st string
		var n int
		if err := rows.Scan(&dt, &st, &n); err != nil {
			rows.Close()
			return s, err
		}
		s.add(dt, st, n)
	}
	rows.Close()
	if err := c.pool.QueryRow(ctx, `SELECT COUNT(*), MIN(release_at),
		(SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND uri IN (SELECT uri FROM documents WHERE release_at > $1))
		FROM documents WHERE release_at > $1`, time.Now().UTC()).Scan(&s.Held, &s.NextRelease, &s.Outbox.Held); err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	if err := c.pool.QueryRow(ctx, `SELECT COUNT(*) FILTER (WHERE state = 'pending'), COUNT(*) FILTER (WHERE state = 'pushed'),
		COUNT(*) FILTER (WHERE state = 'dead') FROM outbox`).Scan(&s.Outbox.Pending, &s.Outbox.Pushed, &s.Outbox.Dead); err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	rows, err = c.pool.Query(ctx, `SELECT id, profile, doctype, inputs, state, started_at, COALESCE(finished_at, 'epoch'),
		n_read, n_issued, n_updated, n_unchanged, n_rejected FROM batches ORDER BY started_at DESC, id DESC LIMIT $1`, lastBatches)
	if err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b Batch
		if err := rows.Scan(&b.ID, &b.Profile, &b.DocType, &b.Inputs, &b.State, &b.StartedAt, &b.FinishedAt,
			&b.Counts.Read, &b.Counts.Issued, &b.Counts.Updated, &b.Counts.Unchanged, &b.Counts.Rejected); err != nil {
			return s, err
		}
		if b.FinishedAt.Unix() == 0 {
			b.FinishedAt = time.Time{}
		}
		s.Batches = append(s.Batches, b)
	}
	return s, rows.Err()
}

// Release implements Catalog.
func (c *Postgres) Release(ctx context.Context, doctype string, at time.Time) (int, error) {
	now := time.Now().UTC()
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	defer tx.Rollback(ctx)
	held := `SELECT uri FROM documents WHERE release_at > $1 AND ($2 = '' OR doctype = $2)`
	if _, err := tx.Exec(ctx, `UPDATE outbox SET next_attempt_at = $3
		WHERE state = 'pending' AND attempts = 0 AND uri IN (`+held+`)`, now, doctype, pushAfter(now, at).UTC()); err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	var release time.Time // public at once
	if at.After(now) {
		release = at
	}
	tag, err := tx.Exec(ctx, `UPDATE documents SET release_at = $3 WHERE uri IN (`+held+`)`, now, doctype, pgOptionalTime(release))
	if err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	n := int(tag.RowsAffected())
	if n > 0 {
		if err := pgAppendAudit(ctx, tx, []AuditEntry{releaseEntry(doctype, n, at, now)}); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	return n, nil
}

// History implements Catalog.
func (c *Postgres) History(ctx context.Context, uri string) ([]Version, error) {
	rows, err := c.pool.Query(ctx, `SELECT version, status, batch_id, created_at FROM versions WHERE uri = $1 ORDER BY version`, uri)
	if err != nil {
		return nil, fmt.Errorf("catalog: history %s: %w", uri, err)
	}
	defer rows.Close()
	var out []Version
	for rows.Next() {
		var v Version
		var st string
		if err := rows.Scan(&v.Version, &st, &v.BatchID, &v.CreatedAt); err != nil {
			return nil, err
		}
		v.Status = xmlschema.Status(st)
		out = append(out, v)
	}
	return out, rows.Err()
}

const pgPushColumns = `id, uri, version, action, doctype, doc_name, doc_id, issued_on, valid_from, valid_to,
	aadhaar_enc, attempts, COALESCE(last_error, ''), created_at`

func pgScanPush(row pgx.Row) (PushItem, error) {
	var p PushItem
	err := row.Scan(&p.ID, &p.URI, &p.Version, &p.Action, &p.DocType, &p.DocName, &p.DocID, &p.IssuedOn,
		&p.ValidFrom, &p.ValidTo, &p.AadhaarEnc, &p.Attempts, &p.LastError, &p.CreatedAt)
	return p, err
}

// Claim implements Outbox with FOR UPDATE SKIP LOCKED: concurrent
// claimers on any host skip each other's rows instead of waiting.
func (c *Postgres) Claim(ctx context.Context, owner string, max int, lease time.Duration, dueBy time.Time) ([]PushItem, error) {
	if max <= 0 {
		return nil, nil
	}
	now := time.Now().UTC()
	rows, err := c.pool.Query(ctx, `WITH due AS (
			SELECT id FROM outbox o
			WHERE state = 'pending' AND next_attempt_at <= $1
			AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.uri = o.uri AND e.id < o.id AND e.state = 'pending')
			ORDER BY next_attempt_at LIMIT $2
			FOR UPDATE SKIP LOCKED)
		UPDATE outbox SET lease_owner = $3, next_attempt_at = $4 FROM due WHERE outbox.id = due.id
		RETURNING outbox.id, outbox.uri, outbox.version, outbox.action, outbox.doctype, outbox.doc_name, outbox.doc_id,
			outbox.issued_on, outbox.valid_from, outbox.valid_to, outbox.aadhaar_enc, outbox.attempts,
			COALESCE(outbox.last_error, ''), outbox.created_at`, claimCutoff(now, dueBy).UTC(), max, owner, now.Add(lease))
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	defer rows.Close()
	var items []PushItem
	for rows.Next() {
		p, err := pgScanPush(rows)
		if err != nil {
			return nil, fmt.Errorf("outbox: claim: %w", err)
		}
		items = append(items, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	// UPDATE … RETURNING has no order: hand rows out oldest first.
	slices.SortFunc(items, func(a, b PushItem) int { return cmp.Compare(a.ID, b.ID) })
	return items, nil
}

// Settle implements Outbox.
func (c *Postgres) Settle(ctx context.Context, owner string, outcomes []Settlement) error {
	if len(outcomes) == 0 {
		return nil
	}
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("outbox: settle: %w", err)
	}
	defer tx.Rollback(ctx)
	now := time.Now().UTC()
	const mine = ` WHERE id = $1 AND lease_owner = $2 AND state = 'pending'`
	var audit []AuditEntry
	for _, o := range outcomes {
		var tag pgconn.CommandTag
		switch o.Outcome {
		case Pushed:
			tag, err = tx.Exec(ctx, `UPDATE outbox SET state = 'pushed', pushed_at = $3, attempts = attempts + 1, last_error = NULL, lease_owner = NULL`+mine, o.ID, owner, now)
		case Retry:
			tag, err = tx.Exec(ctx, `UPDATE outbox SET next_attempt_at = $3, attempts = attempts + 1, last_error = $4, lease_owner = NULL`+mine, o.ID, owner, o.Next.UTC(), o.Error)
		case Dead:
			tag, err = tx.Exec(ctx, `UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = $3, lease_owner = NULL`+mine, o.ID, owner, o.Error)
		case Released:
			tag, err = tx.Exec(ctx, `UPDATE outbox SET next_attempt_at = $3, lease_owner = NULL`+mine, o.ID, owner, now)
		default:
			return fmt.Errorf("outbox: settle #%d: unknown outcome %d", o.ID, o.Outcome)
		}
		if err != nil {
			return fmt.Errorf("outbox: settle #%d: %w", o.ID, err)
		}
		if tag.RowsAffected() != 1 {
			continue
		}
		switch o.Outcome {
		case Pushed:
			audit = append(audit, AuditEntry{Actor: "push", Action: AuditPush, URI: o.URI, Version: o.Version, Reason: o.Action})
		case Dead:
			audit = append(audit, AuditEntry{Actor: "push", Action: AuditPushDead, URI: o.URI, Version: o.Version, Reason: o.Action + ": " + o.Error})
			if _, err := tx.Exec(ctx, `UPDATE outbox SET state = 'dead', last_error = $1
				WHERE uri = (SELECT uri FROM outbox WHERE id = $2) AND id > $2 AND state = 'pending'`,
				fmt.Sprintf("waits for dead-lettered push #%d of this URI", o.ID), o.ID); err != nil {
				return fmt.Errorf("outbox: settle #%d: %w", o.ID, err)
			}
		}
	}
	if err := pgAppendAudit(ctx, tx, audit); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("outbox: settle: %w", err)
	}
	return nil
}

// NextDue implements Outbox.
func (c *Postgres) NextDue(ctx context.Context) (time.Time, bool, error) {
	var next *time.Time
	if err := c.pool.QueryRow(ctx, `SELECT MIN(next_attempt_at) FROM outbox o
		WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.uri = o.uri AND e.id < o.id AND e.state = 'pending')`).Scan(&next); err != nil {
		return time.Time{}, false, fmt.Errorf("outbox: %w", err)
	}
	if next == nil {
		return time.Time{}, false, nil
	}
	return *next, true, nil
}

// RetryDead implements Outbox.
func (c *Postgres) RetryDead(ctx context.Context) (int, error) {
	tag, err := c.pool.Exec(ctx, `UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = $1, lease_owner = NULL
		WHERE state = 'dead'`, time.Now().UTC())
	if err != nil {
		return 0, fmt.Errorf("outbox: retry dead: %w", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeadLetters implements Outbox.
func (c *Postgres) DeadLetters(ctx context.Context, limit int) ([]PushItem, error) {
	rows, err := c.pool.Query(ctx, `SELECT `+pgPushColumns+` FROM outbox WHERE state = 'dead' ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox: dead letters: %w", err)
	}
	defer rows.Close()
	var out []PushItem
	for rows.Next() {
		p, err := pgScanPush(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// LastPush implements Outbox.
func (c *Postgres) LastPush(ctx context.Context, uri string) (PushItem, error) {
	p, err := pgScanPush(c.pool.QueryRow(ctx, `SELECT `+pgPushColumns+` FROM outbox WHERE uri = $1 ORDER BY id DESC LIMIT 1`, uri))
	if errors.Is(err, pgx.ErrNoRows) {
		return PushItem{}, fmt.Errorf("outbox: %s: %w", uri, ErrNotFound)
	}
	return p, err
}

// AppendAudit implements Auditor.
func (c *Postgres) AppendAudit(ctx context.Context, entries []AuditEntry) error {
	tx, err := c.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback(ctx)
	if err := pgAppendAudit(ctx, tx, entries); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// AuditLog implements Auditor.
func (c *Postgres) AuditLog(ctx context.Context, q AuditQuery, fn func(AuditEntry) error) error {
	rows, err := c.pool.Query(ctx, `SELECT id, at, actor, action, uri, version, batch_id, reason, prev_hash, hash FROM audit
		WHERE ($1 = '' OR uri = $1) AND at >= $2 ORDER BY id`, q.URI, q.Since.UTC())
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.Action, &e.URI, &e.Version, &e.BatchID, &e.Reason, &e.PrevHash, &e.Hash); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		e.At = e.At.UTC()
		if err := fn(e); err != nil {
			return err
		}
	}
	return rows.Err()
}

// VerifyAuditChain implements Auditor.
func (c *Postgres) VerifyAuditChain(ctx context.Context) (int, string, error) {
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
	var head string
	if err := c.pool.QueryRow(ctx, `SELECT hash FROM audit_head WHERE one = 1`).Scan(&head); err != nil {
		return n, prev, fmt.Errorf("audit: %w", err)
	}
	if head != prev {
		return n, prev, fmt.Errorf("%w: the log ends before its recorded head (entries were removed from the end)", ErrAuditTampered)
	}
	return n, prev, nil
}
