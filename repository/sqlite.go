package repository

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/issuerkit/issuerkit/internal/sqlitedb"
)

// SQLite is the embedded Catalog: one file, WAL mode, FULL sync. Its
// transactions begin IMMEDIATE, so writers take turns.
type SQLite struct {
	core
	db *sqliteDB
}

var _ Catalog = (*SQLite)(nil)

// migrations is every SQLite migration, the shared steps rendered in SQLite.
var migrations = migrationsOf(sqliteHistory, sqliteTypes, sqliteOwn)

// sqliteOwn is a shared step's statements of SQLite alone.
func sqliteOwn(s step) string { return s.sqlite }

// checkpointEvery is how long after the first write since the last
// checkpoint began the catalog's WAL is checkpointed again
// (sqlitedb.Checkpointer); under sustained writes, that often.
const checkpointEvery = 200 * time.Millisecond

// restartWAL is the WAL's length in frames (of a 4 KB page each) past
// which a checkpoint pauses the process's writers to start it afresh.
// Under a sustained load the catalog's -wal file grows to ~130–160 MB; it
// keeps its largest size while any process has the catalog open (SQLite
// writes a restarted WAL over the old one) and is deleted when the last
// one closes it.
const restartWAL = 32768

// OpenSQLite opens (creating and migrating if needed) the catalog at path.
// Its WAL is checkpointed beside the commits (sqlitedb.Checkpointer): a
// commit waits for a checkpoint only while its second pass has the
// writers paused, and the certificate API's p99 falls by a third at the
// same throughput (docs/benchmarks.md, 2026-12-07).
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	db, err := sqlitedb.Open(ctx, path, 8, migrations, sqlitedb.Beside)
	if err != nil {
		return nil, fmt.Errorf("open catalog %s: %w", path, err)
	}
	d := &sqliteDB{db: db, writer: make(chan struct{}, 1)}
	d.checkpoints = sqlitedb.StartCheckpointer(db, checkpointEvery, restartWAL, d.pauseWriters, slog.Default())
	return &SQLite{core: core{d: d}, db: d}, nil
}

// pauseWriters takes the process's writer slot, for the checkpoint's last
// pass.
func (s *sqliteDB) pauseWriters(ctx context.Context) (func(), error) {
	if err := s.takeWriter(ctx); err != nil {
		return nil, err
	}
	return func() { <-s.writer }, nil
}

// takeWriter waits for the process's writer slot.
func (s *sqliteDB) takeWriter(ctx context.Context) error {
	select {
	case s.writer <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// LatestSchemaVersion is the schema version this issuerkit migrates to.
func LatestSchemaVersion() int { return len(migrations) }

// SchemaVersion returns the number of migrations applied.
func (c *SQLite) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := c.db.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v)
	return v, err
}

// Generation implements Generationer: migration 5's counter, which Apply
// and Release bump in the transaction of every change.
func (c *SQLite) Generation(ctx context.Context) (int64, error) {
	var n int64
	if err := c.db.db.QueryRowContext(ctx, "SELECT n FROM generation").Scan(&n); err != nil {
		return 0, fmt.Errorf("catalog: generation: %w", err)
	}
	return n, nil
}

// sqliteDB is the SQLite dialect, over database/sql with every statement
// prepared once and kept.
type sqliteDB struct {
	db    *sql.DB
	stmts sync.Map // query as written → *sql.Stmt
	// writer admits one write transaction of this process at a time.
	// SQLite admits one anyway, but a second writer of the same process
	// would wait in its busy handler, which sleeps in steps of up to
	// 100 ms: the certificate API's group commit and the audit writer
	// colliding cost their requests tens of milliseconds. Here they
	// queue, and the next starts as soon as the last commits. Writers of
	// other processes still meet the busy timeout.
	writer chan struct{}
	// checkpoints checkpoints the WAL; every commit tells it.
	checkpoints *sqlitedb.Checkpointer
}

// rebind turns PostgreSQL's $N placeholders into SQLite's: plain ? where
// they run $1, $2, … in order, each once (binding a numbered ?N costs the
// driver an allocation a parameter), ?N otherwise.
func rebind(q string) string {
	next, inOrder := 1, true
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			continue
		}
		j := i + 1
		for j < len(q) && q[j] >= '0' && q[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(q[i+1 : j]); err != nil || n != next {
			inOrder = false
			break
		}
		next++
	}
	if !inOrder {
		return strings.ReplaceAll(q, "$", "?")
	}
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		if q[i] != '$' {
			b.WriteByte(q[i])
			continue
		}
		b.WriteByte('?')
		for i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9' {
			i++
		}
	}
	return b.String()
}

// prepared returns the kept statement of q, preparing it on first use.
func (s *sqliteDB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.db.PrepareContext(ctx, rebind(q))
	if err != nil {
		return nil, err
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// sqliteRun is a querier over the kept statements, bound to a transaction
// when tx is set.
type sqliteRun struct {
	s  *sqliteDB
	tx *sql.Tx
	// local holds the transaction's statements, each bound once: an Apply
	// runs the same few thousands of times.
	local map[string]*sql.Stmt
	// missed lists the queries a transaction prepared for itself, to keep
	// once it ends: preparing on the pool inside a transaction would wait
	// for a second connection, which writers queued behind this one may
	// hold.
	missed *[]string
}

func (r sqliteRun) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if r.tx == nil {
		return r.s.prepared(ctx, q)
	}
	if st, ok := r.local[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if kept, ok := r.s.stmts.Load(q); ok {
		st = r.tx.StmtContext(ctx, kept.(*sql.Stmt))
	} else {
		var err error
		if st, err = r.tx.PrepareContext(ctx, rebind(q)); err != nil { // closed with the transaction
			return nil, err
		}
		*r.missed = append(*r.missed, q)
	}
	r.local[q] = st
	return st, nil
}

func (r sqliteRun) exec(ctx context.Context, q string, args ...any) (int64, error) {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return 0, err
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (r sqliteRun) query(ctx context.Context, q string, args ...any) (rows, error) {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	rs, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rs}, nil
}

func (r sqliteRun) queryRow(ctx context.Context, q string, args ...any) row {
	st, err := r.stmt(ctx, q)
	if err != nil {
		return errRow{err}
	}
	return sqlRow{st.QueryRowContext(ctx, args...)}
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { r.Rows.Close() }

// sqlRow maps sql.ErrNoRows to ErrNotFound.
type sqlRow struct{ *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.Row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

type sqliteTx struct {
	sqliteRun
	ended *bool // the writer slot was given back
}

func (t sqliteTx) commit(ctx context.Context) error {
	err := t.tx.Commit()
	t.release()
	t.s.checkpoints.Wrote()
	t.keepMissed(ctx)
	return err
}

func (t sqliteTx) rollback(ctx context.Context) {
	err := t.tx.Rollback()
	t.release()
	if err == nil {
		t.keepMissed(ctx)
	}
}

// release gives the process's writer slot back, once.
func (t sqliteTx) release() {
	if !*t.ended {
		*t.ended = true
		<-t.s.writer
	}
}

// keepMissed prepares on the pool what the ended transaction lacked.
func (t sqliteTx) keepMissed(ctx context.Context) {
	for _, q := range *t.missed {
		t.s.prepared(ctx, q)
	}
	*t.missed = nil
}

func (s *sqliteDB) exec(ctx context.Context, q string, args ...any) (int64, error) {
	n, err := sqliteRun{s: s}.exec(ctx, q, args...)
	s.checkpoints.Wrote()
	return n, err
}

func (s *sqliteDB) query(ctx context.Context, q string, args ...any) (rows, error) {
	return sqliteRun{s: s}.query(ctx, q, args...)
}

func (s *sqliteDB) queryRow(ctx context.Context, q string, args ...any) row {
	return sqliteRun{s: s}.queryRow(ctx, q, args...)
}

func (s *sqliteDB) begin(ctx context.Context) (tx, error) {
	if err := s.takeWriter(ctx); err != nil {
		return nil, err
	}
	t, err := s.db.BeginTx(ctx, nil) // IMMEDIATE (sqlitedb.Open): one writer at a time
	if err != nil {
		<-s.writer
		return nil, err
	}
	return sqliteTx{sqliteRun: sqliteRun{s: s, tx: t, local: map[string]*sql.Stmt{}, missed: new([]string)}, ended: new(bool)}, nil
}

// t stores times as fixed-width text, which orders as the times do.
func (s *sqliteDB) t(t time.Time) any {
	return tsFixed(t)
}

func (s *sqliteDB) lockRows() string   { return "" }
func (s *sqliteDB) skipLocked() string { return "" }

// run executes the writes one by one, each a kept statement.
func (s *sqliteDB) run(ctx context.Context, tx tx, stmts []stmt) error {
	for _, st := range stmts {
		n, err := tx.exec(ctx, st.q, st.args...)
		if err != nil {
			return fmt.Errorf("%s: %w", st.what(), err)
		}
		if err := st.check(n); err != nil {
			return err
		}
	}
	return nil
}

// auditHead is the last entry's hash: the IMMEDIATE transaction already
// excludes other appenders.
func (s *sqliteDB) auditHead(ctx context.Context, tx tx) (string, error) {
	var prev string
	err := tx.queryRow(ctx, `SELECT hash FROM audit ORDER BY id DESC LIMIT 1`).Scan(&prev)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return prev, err
}

// auditPerStmt is how many entries one INSERT writes: executing a
// statement is most of the cost of a row.
const auditPerStmt = 100

// auditInsertSQL is the INSERT of n audit rows of the columns cols. Its
// parameters are anonymous (?, bound in order): the driver looks up the
// name of every numbered one (?N) in a list as long as the statement's
// parameters, which made binding a statement of 100 rows quadratic, most
// of an audit flush's time. OR FAIL: a failing row leaves the statement's
// earlier rows in place rather than undoing them, which the transaction's
// rollback does anyway; undoing them meant SQLite kept a statement
// journal, writing each page the INSERT touched to a temporary file first
// (a sixth of a certificate API commit's CPU).
func auditInsertSQL(cols []string, n int) string {
	var q strings.Builder
	q.WriteString(`INSERT OR FAIL INTO audit (` + strings.Join(cols, ", ") + `) VALUES `)
	writeValues(&q, n, len(cols))
	return q.String()
}

// writeValues writes rows groups of cols anonymous parameters: (?,?),(?,?).
func writeValues(q *strings.Builder, rows, cols int) {
	for i := range rows {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for j := range cols {
			if j > 0 {
				q.WriteByte(',')
			}
			q.WriteByte('?')
		}
		q.WriteByte(')')
	}
}

// auditLeanColumns are the columns of entries of no batch and no consent
// (a pull's): the other three default to the empty string. Binding a text
// parameter is most of the cost of a row here (the driver copies each
// value into C memory and unbinds it after), and a pull fills 8 of the 11.
var auditLeanColumns = []string{"at", "actor", "action", "uri", "version", "reason", "prev_hash", "hash"}

// lean reports whether every entry leaves batch_id, consent_id and purpose
// empty.
func lean(entries []AuditEntry) bool {
	for i := range entries {
		if e := &entries[i]; e.BatchID != "" || e.ConsentID != "" || e.Purpose != "" {
			return false
		}
	}
	return true
}

// shared reports whether the entries have one time, actor and action.
func shared(entries []AuditEntry) bool {
	for i := range entries {
		if e := &entries[i]; !e.At.Equal(entries[0].At) || e.Actor != entries[0].Actor || e.Action != entries[0].Action {
			return false
		}
	}
	return true
}

// auditSharedSQL is the INSERT of n lean audit rows sharing their time,
// actor and action (auditLeanColumns' first three, the first three
// parameters); each row's other five follow.
func auditSharedSQL(n int) string {
	var q strings.Builder
	q.WriteString(`INSERT OR FAIL INTO audit (` + strings.Join(auditLeanColumns, ", ") + `) ` +
		`SELECT ?, ?, ?, column1, column2, column3, column4, column5 FROM (VALUES `)
	writeValues(&q, n, len(auditLeanColumns)-3)
	q.WriteByte(')')
	return q.String()
}

// writeAudit inserts the entries auditPerStmt at a time.
func (s *sqliteDB) writeAudit(ctx context.Context, tx tx, entries []AuditEntry, _ string) error {
	c := core{d: s}
	args := make([]any, 0, len(auditColumns)*auditPerStmt)
	for lo := 0; lo < len(entries); lo += auditPerStmt {
		hi := min(lo+auditPerStmt, len(entries))
		chunk := entries[lo:hi]
		args = args[:0]
		var query string
		switch isLean := lean(chunk); {
		case isLean && shared(chunk):
			// One time, actor and action for the whole chunk (a flush's
			// pulls by one locker): bound once, not once a row.
			e := &chunk[0]
			args = append(args, s.t(e.At), e.Actor, e.Action)
			for i := range chunk {
				e := &chunk[i]
				args = append(args, e.URI, e.Version, e.Reason, e.PrevHash, e.Hash)
			}
			query = auditSharedSQL(len(chunk))
		case isLean:
			for i := range chunk {
				e := &chunk[i]
				args = append(args, s.t(e.At), e.Actor, e.Action, e.URI, e.Version, e.Reason, e.PrevHash, e.Hash)
			}
			query = auditInsertSQL(auditLeanColumns, len(chunk))
		default:
			for i := range chunk {
				args = c.appendAuditRow(args, &chunk[i])
			}
			query = auditInsertSQL(auditColumns, len(chunk))
		}
		if _, err := tx.exec(ctx, query, args...); err != nil {
			return err
		}
	}
	return nil
}

func (s *sqliteDB) recordedHead(context.Context) (string, bool, error) { return "", false, nil }

// changed bumps migration 5's generation counter.
func (s *sqliteDB) changed(ctx context.Context, tx tx) error {
	_, err := tx.exec(ctx, `UPDATE generation SET n = n + 1`)
	return err
}

func (s *sqliteDB) close() error {
	s.checkpoints.Close()
	s.stmts.Range(func(_, st any) bool {
		st.(*sql.Stmt).Close()
		return true
	})
	return s.db.Close()
}
