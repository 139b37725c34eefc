package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/issuerkit/issuerkit/internal/sqlitedb"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// SQLite is the embedded Catalog: one file, WAL mode, FULL sync.
type SQLite struct {
	db *sql.DB
	// Prepared lookups of the read paths the API serves.
	bySearch, byUID, byURI *sql.Stmt
	auditInsert            *sql.Stmt // auditPerStmt rows
}

var _ Catalog = (*SQLite)(nil)

// migrations are applied in order; PRAGMA user_version records how many ran.
// Never edit one that has shipped: append a new one.
var migrations = []string{
	`CREATE TABLE batches (
		id          TEXT PRIMARY KEY,
		profile     TEXT NOT NULL,
		doctype     TEXT NOT NULL,
		inputs      TEXT NOT NULL,
		state       TEXT NOT NULL,
		started_at  TEXT NOT NULL,
		finished_at TEXT,
		n_read      INTEGER NOT NULL DEFAULT 0,
		n_issued    INTEGER NOT NULL DEFAULT 0,
		n_updated   INTEGER NOT NULL DEFAULT 0,
		n_unchanged INTEGER NOT NULL DEFAULT 0,
		n_rejected  INTEGER NOT NULL DEFAULT 0
	);
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
		updated_at    TEXT NOT NULL
	);
	CREATE INDEX documents_search ON documents(doctype, search_key);
	CREATE INDEX documents_uid ON documents(doctype, uid_hash) WHERE uid_hash IS NOT NULL;
	CREATE TABLE versions (
		uri           TEXT NOT NULL,
		version       INTEGER NOT NULL,
		object_key    TEXT NOT NULL,
		object_sha256 TEXT NOT NULL,
		size          INTEGER NOT NULL,
		content_hash  TEXT NOT NULL,
		status        TEXT NOT NULL,
		batch_id      TEXT NOT NULL,
		created_at    TEXT NOT NULL,
		PRIMARY KEY (uri, version)
	);
	CREATE TABLE outbox (
		id              INTEGER PRIMARY KEY AUTOINCREMENT,
		uri             TEXT NOT NULL,
		version         INTEGER NOT NULL,
		action          TEXT NOT NULL CHECK (action IN ('A','U','D')),
		doctype         TEXT NOT NULL,
		doc_name        TEXT NOT NULL,
		doc_id          TEXT NOT NULL,
		issued_on       TEXT NOT NULL,
		valid_from      TEXT NOT NULL,
		valid_to        TEXT NOT NULL,
		aadhaar_enc     BLOB NOT NULL,
		state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','pushed','dead')),
		attempts        INTEGER NOT NULL DEFAULT 0,
		next_attempt_at TEXT NOT NULL,
		last_error      TEXT,
		created_at      TEXT NOT NULL,
		pushed_at       TEXT
	);
	CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
	CREATE INDEX outbox_uri ON outbox(uri, id);`,
	// 2: the batch journal, so a rerun resumes where a killed run stopped.
	`ALTER TABLE batches ADD COLUMN fingerprint TEXT NOT NULL DEFAULT '';
	ALTER TABLE batches ADD COLUMN mark_input INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE batches ADD COLUMN mark_seq INTEGER NOT NULL DEFAULT -1;
	ALTER TABLE batches ADD COLUMN mark_rejects_path TEXT NOT NULL DEFAULT '';
	ALTER TABLE batches ADD COLUMN mark_rejects_size INTEGER NOT NULL DEFAULT 0;
	CREATE INDEX batches_resume ON batches(profile, fingerprint, state);`,
	// 3: outbox leases, so concurrent pushers never send the same row. A
	// claim moves next_attempt_at to the lease's end: a row is due when
	// next_attempt_at has passed, whether it waited for a backoff or for a
	// dead pusher's lease. Outbox times are fixed-width (tsFixed) so that
	// they compare as text.
	`ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
	UPDATE outbox SET next_attempt_at = strftime('%Y-%m-%dT%H:%M:%f000000Z', next_attempt_at);`,
	// 4: the hash-chained audit log (see audit.go).
	`CREATE TABLE audit (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		at        TEXT NOT NULL,
		actor     TEXT NOT NULL,
		action    TEXT NOT NULL,
		uri       TEXT NOT NULL DEFAULT '',
		version   INTEGER NOT NULL DEFAULT 0,
		batch_id  TEXT NOT NULL DEFAULT '',
		reason    TEXT NOT NULL DEFAULT '',
		prev_hash TEXT NOT NULL,
		hash      TEXT NOT NULL
	);
	CREATE INDEX audit_uri ON audit(uri, id);`,
	// 5: a generation counter that every Apply bumps, so that read caches
	// notice document changes (and only those) made by other processes.
	`CREATE TABLE generation (one INTEGER PRIMARY KEY CHECK (one = 1), n INTEGER NOT NULL);
	INSERT INTO generation VALUES (1, 0);`,
	// 6: pulls leave the URI index. They are most of the log, arrive in
	// random URI order, and indexing them rewrote most of the index's pages
	// at every flush of the API's audit writer; `audit --uri` finds them by
	// a scan instead.
	`DROP INDEX audit_uri;
	CREATE INDEX audit_uri ON audit(uri, id) WHERE action <> 'pull';`,
	// 7: documents held until a release time (results day): NULL for
	// public ones. Times are fixed-width (tsFixed) so that they compare as
	// text. A batch remembers its release time, so that a resumed run
	// holds the rest of its documents too.
	`ALTER TABLE documents ADD COLUMN release_at TEXT;
	ALTER TABLE batches ADD COLUMN release_at TEXT;
	CREATE INDEX documents_held ON documents(release_at) WHERE release_at IS NOT NULL;`,
}

// OpenSQLite opens (creating and migrating if needed) the catalog at path.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	db, err := sqlitedb.Open(ctx, path, 8, migrations)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	c := &SQLite{db: db}
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&c.bySearch, `SELECT ` + docColumns + ` FROM documents WHERE doctype = ? AND search_key = ? LIMIT 1`},
		{&c.byUID, `SELECT ` + docColumns + ` FROM documents WHERE doctype = ? AND uid_hash = ? ORDER BY updated_at DESC, uri LIMIT 1`},
		{&c.byURI, `SELECT ` + docColumns + ` FROM documents WHERE uri = ?`},
		{&c.auditInsert, auditInsertSQL(auditPerStmt)},
	} {
		if *p.st, err = db.PrepareContext(ctx, p.q); err != nil {
			db.Close()
			return nil, fmt.Errorf("open catalog %s: %w", path, err)
		}
	}
	return c, nil
}

// LatestSchemaVersion is the schema version this issuerkit migrates to.
func LatestSchemaVersion() int { return len(migrations) }

// SchemaVersion returns the number of migrations applied.
func (c *SQLite) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := c.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

const docColumns = `uri, doctype, doc_id, version, object_key, object_sha256, content_hash, status,
	search_key, COALESCE(uid_hash, ''), holder_name, holder_dob, issue_date, batch_id, updated_at,
	COALESCE(release_at, '')`

func scanDoc(row interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var status, updated, release string
	err := row.Scan(&d.URI, &d.DocType, &d.DocID, &d.Version, &d.ObjectKey, &d.ObjectSHA256, &d.ContentHash,
		&status, &d.SearchKey, &d.UIDHash, &d.HolderName, &d.HolderDOB, &d.IssueDate, &d.BatchID, &updated, &release)
	if errors.Is(err, sql.ErrNoRows) {
		return Document{}, ErrNotFound
	}
	if err != nil {
		return Document{}, err
	}
	d.Status = xmlschema.Status(status)
	d.UpdatedAt, _ = time.Parse(time.RFC3339Nano, updated)
	d.ReleaseAt = parseOptionalTime(release)
	return d, nil
}

// parseOptionalTime reads a time column that may be empty (NULL).
func parseOptionalTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// optionalFixed is t as a fixed-width time column, or NULL for the zero time.
func optionalFixed(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return tsFixed(t)
}

// Current implements Catalog.
func (c *SQLite) Current(ctx context.Context, uri string) (Document, error) {
	d, err := scanDoc(c.byURI.QueryRowContext(ctx, uri))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: %s: %w", uri, err)
	}
	return d, nil
}

// FindBySearchKey implements Catalog.
func (c *SQLite) FindBySearchKey(ctx context.Context, doctype, searchKey string) (Document, error) {
	d, err := scanDoc(c.bySearch.QueryRowContext(ctx, doctype, searchKey))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: search %s: %w", doctype, err)
	}
	return d, nil
}

// FindByUID implements Catalog.
func (c *SQLite) FindByUID(ctx context.Context, doctype, uidHash string) (Document, error) {
	d, err := scanDoc(c.byUID.QueryRowContext(ctx, doctype, uidHash))
	if err != nil {
		return Document{}, fmt.Errorf("catalog: search %s by holder: %w", doctype, err)
	}
	return d, nil
}

// ForEachURI implements Catalog.
func (c *SQLite) ForEachURI(ctx context.Context, doctype string, fn func(uri string) error) error {
	rows, err := c.db.QueryContext(ctx, `SELECT uri FROM documents WHERE doctype = ?`, doctype)
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
func (c *SQLite) HasVersion(ctx context.Context, uri string, version int) (bool, error) {
	var one int
	err := c.db.QueryRowContext(ctx, `SELECT 1 FROM versions WHERE uri = ? AND version = ?`, uri, version).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Apply implements Catalog.
func (c *SQLite) Apply(ctx context.Context, batchID string, changes []Change, mark *Watermark) error {
	if len(changes) == 0 && mark == nil {
		return nil
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("catalog: begin: %w", err)
	}
	defer tx.Rollback()
	nowT := time.Now()
	now := ts(nowT)
	stmts := map[string]*sql.Stmt{}
	prep := func(q string) (*sql.Stmt, error) {
		if st, ok := stmts[q]; ok {
			return st, nil
		}
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		stmts[q] = st
		return st, nil
	}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	exec := func(q string, args ...any) (sql.Result, error) {
		st, err := prep(q)
		if err != nil {
			return nil, err
		}
		return st.ExecContext(ctx, args...)
	}
	audit := make([]AuditEntry, 0, len(changes))
	for i := range changes {
		ch := &changes[i]
		d := &ch.Doc
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
		var uid any
		if d.UIDHash != "" {
			uid = d.UIDHash
		}
		var res sql.Result
		if ch.PrevVersion == 0 {
			res, err = exec(`INSERT INTO documents (uri, doctype, doc_id, version, object_key, object_sha256,
				content_hash, status, search_key, uid_hash, holder_name, holder_dob, issue_date, batch_id, updated_at,
				release_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (uri) DO NOTHING`,
				d.URI, d.DocType, d.DocID, d.Version, d.ObjectKey, d.ObjectSHA256, d.ContentHash, string(d.Status),
				d.SearchKey, uid, d.HolderName, d.HolderDOB, d.IssueDate, batchID, now, optionalFixed(d.ReleaseAt))
		} else {
			res, err = exec(`UPDATE documents SET version = ?, object_key = ?, object_sha256 = ?,
				content_hash = ?, status = ?, search_key = ?, uid_hash = ?, holder_name = ?, holder_dob = ?,
				issue_date = ?, batch_id = ?, updated_at = ?, release_at = ? WHERE uri = ? AND version = ?`,
				d.Version, d.ObjectKey, d.ObjectSHA256, d.ContentHash, string(d.Status), d.SearchKey, uid,
				d.HolderName, d.HolderDOB, d.IssueDate, batchID, now, optionalFixed(d.ReleaseAt), d.URI, ch.PrevVersion)
		}
		if err != nil {
			return fmt.Errorf("catalog: %s: %w", d.URI, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("catalog: %s v%d: %w", d.URI, d.Version, ErrConflict)
		}
		if _, err := exec(`INSERT INTO versions (uri, version, object_key, object_sha256, size,
			content_hash, status, batch_id, created_at) VALUES (?,?,?,?,?,?,?,?,?)`,
			d.URI, d.Version, d.ObjectKey, d.ObjectSHA256, ch.Size, d.ContentHash, string(d.Status), batchID, now); err != nil {
			return fmt.Errorf("catalog: %s v%d: %w", d.URI, d.Version, err)
		}
		if o := ch.Outbox; o != nil {
			// A push of a URI whose earlier push is dead-lettered waits
			// with it, so that it cannot overtake it.
			if _, err := exec(`INSERT INTO outbox (uri, version, action, doctype, doc_name, doc_id,
				issued_on, valid_from, valid_to, aadhaar_enc, state, last_error, next_attempt_at, created_at)
				SELECT ?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,
				CASE WHEN blocked THEN 'dead' ELSE 'pending' END,
				CASE WHEN blocked THEN 'waits for an earlier dead-lettered push of this URI' END, ?11, ?12
				FROM (SELECT EXISTS (SELECT 1 FROM outbox WHERE uri = ?1 AND state = 'dead') AS blocked)`,
				d.URI, d.Version, o.Action, d.DocType, o.DocName, d.DocID, o.IssuedOn, o.ValidFrom, o.ValidTo,
				o.AadhaarEnc, tsFixed(pushAfter(nowT, d.ReleaseAt)), now); err != nil {
				return fmt.Errorf("catalog: outbox %s: %w", d.URI, err)
			}
		}
	}
	if err := c.appendAudit(ctx, tx, audit); err != nil {
		return err
	}
	if len(changes) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE generation SET n = n + 1`); err != nil {
			return fmt.Errorf("catalog: %w", err)
		}
	}
	if mark != nil {
		res, err := tx.ExecContext(ctx, `UPDATE batches SET mark_input = ?, mark_seq = ?, mark_rejects_path = ?,
			mark_rejects_size = ?, n_read = ?, n_issued = ?, n_updated = ?, n_unchanged = ?, n_rejected = ? WHERE id = ?`,
			mark.InputIndex, mark.Seq, mark.RejectsPath, mark.RejectsSize, mark.Counts.Read, mark.Counts.Issued,
			mark.Counts.Updated, mark.Counts.Unchanged, mark.Counts.Rejected, batchID)
		if err != nil {
			return fmt.Errorf("catalog: batch journal: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("catalog: batch journal: no batch %s", batchID)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("catalog: commit: %w", err)
	}
	return nil
}

// Release implements Catalog.
func (c *SQLite) Release(ctx context.Context, doctype string, at time.Time) (int, error) {
	now := time.Now()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	defer tx.Rollback()
	held := `SELECT uri FROM documents WHERE release_at > ?1 AND (?2 = '' OR doctype = ?2)`
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ?3
		WHERE state = 'pending' AND attempts = 0 AND uri IN (`+held+`)`,
		tsFixed(now), doctype, tsFixed(pushAfter(now, at))); err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	var release time.Time // public at once
	if at.After(now) {
		release = at
	}
	res, err := tx.ExecContext(ctx, `UPDATE documents SET release_at = ?3 WHERE uri IN (`+held+`)`,
		tsFixed(now), doctype, optionalFixed(release))
	if err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := c.appendAudit(ctx, tx, []AuditEntry{releaseEntry(doctype, int(n), at, now)}); err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE generation SET n = n + 1`); err != nil {
			return 0, fmt.Errorf("catalog: release: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("catalog: release: %w", err)
	}
	return int(n), nil
}

// Generation implements Generationer: migration 5's counter, which Apply
// bumps in the transaction of every change.
func (c *SQLite) Generation(ctx context.Context) (int64, error) {
	var n int64
	if err := c.db.QueryRowContext(ctx, "SELECT n FROM generation").Scan(&n); err != nil {
		return 0, fmt.Errorf("catalog: generation: %w", err)
	}
	return n, nil
}

// ResumableBatch implements Catalog.
func (c *SQLite) ResumableBatch(ctx context.Context, profile, fingerprint string) (Batch, error) {
	var b Batch
	var started string
	var release string
	err := c.db.QueryRowContext(ctx, `SELECT id, profile, doctype, inputs, state, started_at, n_read, n_issued,
		n_updated, n_unchanged, n_rejected, fingerprint, mark_input, mark_seq, mark_rejects_path, mark_rejects_size,
		COALESCE(release_at, '')
		FROM batches WHERE profile = ? AND fingerprint = ? AND state IN ('running','interrupted','failed')
		ORDER BY started_at DESC, id DESC LIMIT 1`, profile, fingerprint).Scan(&b.ID, &b.Profile, &b.DocType,
		&b.Inputs, &b.State, &started, &b.Read, &b.Issued, &b.Updated, &b.Unchanged, &b.Rejected, &b.Fingerprint,
		&b.Mark.InputIndex, &b.Mark.Seq, &b.Mark.RejectsPath, &b.Mark.RejectsSize, &release)
	if errors.Is(err, sql.ErrNoRows) {
		return Batch{}, ErrNotFound
	}
	if err != nil {
		return Batch{}, fmt.Errorf("catalog: resumable batch: %w", err)
	}
	b.StartedAt, _ = time.Parse(time.RFC3339Nano, started)
	b.ReleaseAt = parseOptionalTime(release)
	b.Mark.Counts = b.Counts
	return b, nil
}

// StartBatch implements Catalog. Starting a batch that exists (a resume)
// marks it running again.
func (c *SQLite) StartBatch(ctx context.Context, b Batch) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO batches (id, profile, doctype, inputs, state, started_at, fingerprint,
		release_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET state = 'running'`,
		b.ID, b.Profile, b.DocType, b.Inputs, "running", ts(b.StartedAt), b.Fingerprint, optionalFixed(b.ReleaseAt))
	if err != nil {
		return fmt.Errorf("catalog: start batch: %w", err)
	}
	return nil
}

// FinishBatch implements Catalog.
func (c *SQLite) FinishBatch(ctx context.Context, b Batch) error {
	_, err := c.db.ExecContext(ctx, `UPDATE batches SET state = ?, finished_at = ?, n_read = ?, n_issued = ?,
		n_updated = ?, n_unchanged = ?, n_rejected = ? WHERE id = ?`, b.State, ts(b.FinishedAt),
		b.Counts.Read, b.Counts.Issued, b.Counts.Updated, b.Counts.Unchanged, b.Counts.Rejected, b.ID)
	if err != nil {
		return fmt.Errorf("catalog: finish batch: %w", err)
	}
	return nil
}

// Stats implements Catalog.
func (c *SQLite) Stats(ctx context.Context, lastBatches int) (Stats, error) {
	s := newStats()
	rows, err := c.db.QueryContext(ctx, `SELECT doctype, status, COUNT(*) FROM documents GROUP BY doctype, status`)
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
	if err := rows.Err(); err != nil {
		return s, err
	}
	var next string
	if err := c.db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MIN(release_at), ''),
		(SELECT COUNT(*) FROM outbox WHERE state = 'pending' AND uri IN (SELECT uri FROM documents WHERE release_at > ?1))
		FROM documents WHERE release_at > ?1`, tsFixed(time.Now())).Scan(&s.Held, &next, &s.Outbox.Held); err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	if t := parseOptionalTime(next); !t.IsZero() {
		s.NextRelease = &t
	}
	rows, err = c.db.QueryContext(ctx, `SELECT state, COUNT(*) FROM outbox GROUP BY state`)
	if err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return s, err
		}
		switch st {
		case "pending":
			s.Outbox.Pending = n
		case "pushed":
			s.Outbox.Pushed = n
		case "dead":
			s.Outbox.Dead = n
		}
	}
	rows.Close()
	rows, err = c.db.QueryContext(ctx, `SELECT id, profile, doctype, inputs, state, started_at, COALESCE(finished_at, ''),
		n_read, n_issued, n_updated, n_unchanged, n_rejected FROM batches ORDER BY started_at DESC, id DESC LIMIT ?`, lastBatches)
	if err != nil {
		return s, fmt.Errorf("catalog: stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b Batch
		var started, finished string
		if err := rows.Scan(&b.ID, &b.Profile, &b.DocType, &b.Inputs, &b.State, &started, &finished,
			&b.Counts.Read, &b.Counts.Issued, &b.Counts.Updated, &b.Counts.Unchanged, &b.Counts.Rejected); err != nil {
			return s, err
		}
		b.StartedAt, _ = time.Parse(time.RFC3339Nano, started)
		b.FinishedAt, _ = time.Parse(time.RFC3339Nano, finished)
		s.Batches = append(s.Batches, b)
	}
	return s, rows.Err()
}

// Close implements Catalog.
func (c *SQLite) Close() error {
	for _, st := range []*sql.Stmt{c.bySearch, c.byUID, c.byURI} {
		st.Close()
	}
	return c.db.Close()
}
