package repository

import (
	"context"
	"time"
)

// ReplayLog is a record of the keys (of orgId and body) of the requests
// the repository API has accepted, shared by every `serve` on one catalog, so a request replayed
// to another instance behind the same balancer is caught too. The
// PostgreSQL catalog has one; a SQLite catalog serves one host, whose
// process-local cache is enough.
type ReplayLog interface {
	// PrepareReplayLog creates what the log needs (idempotent).
	PrepareReplayLog(ctx context.Context) error
	// RecordTxn records key until expires and reports whether it was not
	// recorded before, or only with an expiry before now (the caller's
	// clock, the one the request's ts was checked against).
	RecordTxn(ctx context.Context, key []byte, now, expires time.Time) (fresh bool, err error)
	// PruneTxns forgets the keys that expired before t.
	PruneTxns(ctx context.Context, t time.Time) (int64, error)
	// ForgetTxn forgets key: the request it names was not served, and
	// its retry must be.
	ForgetTxn(ctx context.Context, key []byte) error
}
