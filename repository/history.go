package repository

import "strings"

// The migrations each dialect shipped before the schema was declared once
// (schema.go); sharedSteps follow them. Never edit one that has shipped.
// Their common parts are written once here, with {time}, {big}, {bytes}
// and {serial} for the types each dialect spells its own way: they give
// the shipped statements back in each dialect.

// batchesV1 is the first batches table's columns.
const batchesV1 = `CREATE TABLE batches (
		id          TEXT PRIMARY KEY,
		profile     TEXT NOT NULL,
		doctype     TEXT NOT NULL,
		inputs      TEXT NOT NULL,
		state       TEXT NOT NULL,
		started_at  {time} NOT NULL,
		finished_at {time},
		n_read      INTEGER NOT NULL DEFAULT 0,
		n_issued    INTEGER NOT NULL DEFAULT 0,
		n_updated   INTEGER NOT NULL DEFAULT 0,
		n_unchanged INTEGER NOT NULL DEFAULT 0,
		n_rejected  INTEGER NOT NULL DEFAULT 0`

// documentsV1 is the first documents and versions tables.
const documentsV1 = `
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
		updated_at    {time} NOT NULL
	);
	CREATE INDEX documents_search ON documents(doctype, search_key);
	CREATE INDEX documents_uid ON documents(doctype, uid_hash) WHERE uid_hash IS NOT NULL;
	CREATE TABLE versions (
		uri           TEXT NOT NULL,
		version       INTEGER NOT NULL,
		object_key    TEXT NOT NULL,
		object_sha256 TEXT NOT NULL,
		size          {big} NOT NULL,
		content_hash  TEXT NOT NULL,
		status        TEXT NOT NULL,
		batch_id      TEXT NOT NULL,
		created_at    {time} NOT NULL,
		PRIMARY KEY (uri, version)
	);`

// outboxV1 is the first outbox table's columns up to last_error.
const outboxV1 = `
	CREATE TABLE outbox (
		id              {serial},
		uri             TEXT NOT NULL,
		version         INTEGER NOT NULL,
		action          TEXT NOT NULL CHECK (action IN ('A','U','D')),
		doctype         TEXT NOT NULL,
		doc_name        TEXT NOT NULL,
		doc_id          TEXT NOT NULL,
		issued_on       TEXT NOT NULL,
		valid_from      TEXT NOT NULL,
		valid_to        TEXT NOT NULL,
		aadhaar_enc     {bytes} NOT NULL,
		state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','pushed','dead')),
		attempts        INTEGER NOT NULL DEFAULT 0,
		next_attempt_at {time} NOT NULL,
		last_error      TEXT,`

// auditV1 is the first audit table.
const auditV1 = `CREATE TABLE audit (
		id        {serial},
		at        {time} NOT NULL,
		actor     TEXT NOT NULL,
		action    TEXT NOT NULL,
		uri       TEXT NOT NULL DEFAULT '',
		version   INTEGER NOT NULL DEFAULT 0,
		batch_id  TEXT NOT NULL DEFAULT '',
		reason    TEXT NOT NULL DEFAULT '',
		prev_hash TEXT NOT NULL,
		hash      TEXT NOT NULL
	);
	CREATE INDEX audit_uri ON audit(uri, id);`

// spelled fills a history statement's type names in for one dialect.
func (n typeNames) spelled(q string) string {
	return strings.NewReplacer("{time}", n[tTime], "{big}", n[tBigInt], "{bytes}", n[tBytes], "{serial}", n[tSerial]).Replace(q)
}

// sqliteHistory is the SQLite catalog's shipped migrations. PRAGMA
// user_version records how many ran.
var sqliteHistory = []string{
	sqliteTypes.spelled(batchesV1 + `
	);` + documentsV1 + outboxV1 + `
		created_at      TEXT NOT NULL,
		pushed_at       TEXT
	);
	CREATE INDEX outbox_due ON outbox(state, next_attempt_at);
	CREATE INDEX outbox_uri ON outbox(uri, id);`),
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
	sqliteTypes.spelled(auditV1),
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

// pgHistory is the PostgreSQL catalog's shipped migrations, each recorded
// in schema_migrations.
var pgHistory = []string{
	pgTypes.spelled(batchesV1 + `,
		fingerprint TEXT NOT NULL DEFAULT '',
		mark_input  INTEGER NOT NULL DEFAULT 0,
		mark_seq    INTEGER NOT NULL DEFAULT -1,
		mark_rejects_path TEXT NOT NULL DEFAULT '',
		mark_rejects_size BIGINT NOT NULL DEFAULT 0
	);
	CREATE INDEX batches_resume ON batches(profile, fingerprint, state);` + documentsV1 + outboxV1 + `
		lease_owner     TEXT,
		created_at      TIMESTAMPTZ NOT NULL,
		pushed_at       TIMESTAMPTZ
	);
	CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE state = 'pending';
	CREATE INDEX outbox_uri ON outbox(uri, id);
	CREATE INDEX outbox_state ON outbox(state);
	` + auditV1 + `
	CREATE TABLE audit_head (one SMALLINT PRIMARY KEY CHECK (one = 1), hash TEXT NOT NULL);
	INSERT INTO audit_head VALUES (1, '');`),
	// 2: documents held until a release time (SQLite's migration 7).
	`ALTER TABLE documents ADD COLUMN release_at TIMESTAMPTZ;
	ALTER TABLE batches ADD COLUMN release_at TIMESTAMPTZ;
	CREATE INDEX documents_held ON documents(release_at) WHERE release_at IS NOT NULL;`,
}
