package repository

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The catalog core (core*.go) is written once, over a dialect: how a
// statement reaches the database, how a time is stored, the lock clause,
// and the few jobs that truly differ (the audit chain's head, batched
// writes, bulk copies). sqlite.go and postgres.go each implement one.

// querier runs statements: the whole catalog, or one transaction. Queries
// are written with PostgreSQL's $1 placeholders; SQLite's dialect reads
// them as its own ?1.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (int64, error)
	query(ctx context.Context, q string, args ...any) (rows, error)
	queryRow(ctx context.Context, q string, args ...any) row
}

// rows is a result set (database/sql's or pgx's).
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// row is one result row; Scan returns ErrNotFound when there is none.
type row interface{ Scan(dest ...any) error }

// tx is one transaction.
type tx interface {
	querier
	commit(ctx context.Context) error
	rollback(ctx context.Context)
}

// stmt is one planned write; about names what it writes, for errors. One
// marked one must change exactly one row: a miss is a conflict (for the
// batch journal: no such batch).
type stmt struct {
	q       string
	args    []any
	about   string // or, when version is set, a URI
	version int
	one     bool
	journal bool
}

// what is what s writes, formatted only for an error.
func (s stmt) what() string {
	if s.version > 0 {
		return fmt.Sprintf("%s v%d", s.about, s.version)
	}
	return s.about
}

// check is stmt's verdict on the n rows it changed.
func (s stmt) check(n int64) error {
	if !s.one || n == 1 {
		return nil
	}
	if s.journal {
		return fmt.Errorf("%s: no such batch", s.what())
	}
	return fmt.Errorf("%s: %w", s.what(), ErrConflict)
}

// dialect is what differs between the SQL catalogs.
type dialect interface {
	querier // outside any transaction
	begin(ctx context.Context) (tx, error)
	// t is a time as a column value (the zero time too: see core.opt for
	// the columns where it is NULL).
	t(t time.Time) any
	// lockRows is the clause that locks the rows a SELECT reads until the
	// transaction ends ("" where the transaction already excludes others).
	lockRows() string
	// skipLocked is lockRows for claimers that pass over each other's rows.
	skipLocked() string
	// run executes planned writes in order, checking each.
	run(ctx context.Context, tx tx, stmts []stmt) error
	// auditHead reads, and holds until tx ends, the hash of the last entry.
	auditHead(ctx context.Context, tx tx) (string, error)
	// writeAudit inserts chained entries and records head as the new head.
	writeAudit(ctx context.Context, tx tx, entries []AuditEntry, head string) error
	// recordedHead is the head the dialect keeps apart from the log, if
	// it keeps one (it then catches entries cut from the end).
	recordedHead(ctx context.Context) (head string, ok bool, err error)
	// changed bumps the generation read caches watch (see Generationer),
	// if the dialect counts one.
	changed(ctx context.Context, tx tx) error
	close() error
}

// tsFixed formats times with a fixed width so that they order as text
// (SQLite's time columns).
func tsFixed(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// timeCol scans a time column of either dialect: RFC 3339 text (SQLite,
// fixed-width or not) or a timestamp (PostgreSQL); NULL and the empty string are the
// zero time.
type timeCol struct{ t *time.Time }

func scanTime(t *time.Time) timeCol { return timeCol{t} }

// Scan implements sql.Scanner.
func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = v
	case string:
		return c.parse(v)
	case []byte:
		return c.parse(string(v))
	default:
		return fmt.Errorf("time column holds a %T", v)
	}
	return nil
}

func (c timeCol) parse(s string) error {
	if s == "" {
		*c.t = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("bad time %q: %w", s, err)
	}
	*c.t = t
	return nil
}

var _ sql.Scanner = timeCol{}

// orEpoch is t, or 1970 for the zero time: a lower bound that, unlike the
// zero time, is not NULL.
func orEpoch(t time.Time) time.Time {
	if t.IsZero() {
		return time.Unix(0, 0)
	}
	return t
}
