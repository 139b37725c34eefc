package repository

import (
	"context"
	"time"
)

// PushItem is one outbox row as the pusher sees it.
type PushItem struct {
	ID         int64
	URI        string
	Version    int
	Action     string // ActionAdd, ActionUpdate or ActionDelete
	DocType    string
	DocName    string
	DocID      string
	IssuedOn   string
	ValidFrom  string
	ValidTo    string
	AadhaarEnc []byte
	Attempts   int    // attempts before this one
	LastError  string // of the last attempt, if any
	CreatedAt  time.Time
}

// Outcome is what became of one claimed push.
type Outcome int

const (
	// Pushed: the locker accepted it.
	Pushed Outcome = iota + 1
	// Retry: a transient failure; try again at Next.
	Retry
	// Dead: a permanent failure; the row and every later row of its URI
	// wait in the dead-letter queue until RetryDead.
	Dead
	// Released: not attempted (shutdown, a fatal error); due again now.
	Released
)

// Settlement settles one claimed row.
type Settlement struct {
	ID      int64
	URI     string // for the audit log
	Version int
	Action  string
	Outcome Outcome
	Next    time.Time // Retry: when the row is due again
	Error   string    // Retry, Dead: why; never holds an Aadhaar number
}

// Outbox is the queue of pushes to lockers that Apply fills. Rows of one URI
// are handed out in the order they were written: a row is claimable only
// when no earlier row of its URI is pending, so an U never overtakes its A.
type Outbox interface {
	// Claim leases up to max due rows to owner for the lease duration. A
	// row is due when its backoff has passed and no one holds an unexpired
	// lease on it; a lease that expires (its owner died) makes it due again.
	// A non-zero dueBy also leaves out rows that become due after it (a
	// pass that retries only within its own time window).
	Claim(ctx context.Context, owner string, max int, lease time.Duration, dueBy time.Time) ([]PushItem, error)
	// Settle records outcomes of rows claimed by owner. An outcome for a row
	// whose lease owner has changed meanwhile (its lease ran out and
	// another pusher claimed it) is not recorded: lost counts those.
	Settle(ctx context.Context, owner string, outcomes []Settlement) (lost int, err error)
	// NextDue returns when the earliest pending row becomes claimable; a
	// row waiting behind an earlier one of its URI does not count (the
	// earlier one does). ok is false when no row is pending.
	NextDue(ctx context.Context) (t time.Time, ok bool, err error)
	// RetryDead makes every dead-lettered row pending again, due now, and
	// returns how many.
	RetryDead(ctx context.Context) (int, error)
	// DeadLetters returns up to limit dead-lettered rows, oldest first.
	DeadLetters(ctx context.Context, limit int) ([]PushItem, error)
	// LastPush returns the newest outbox row of uri (whatever its state),
	// or ErrNotFound: its encrypted Aadhaar serves a later push.
	LastPush(ctx context.Context, uri string) (PushItem, error)
}

// claimCutoff is the latest next attempt a claim at now takes.
func claimCutoff(now, dueBy time.Time) time.Time {
	if !dueBy.IsZero() && dueBy.Before(now) {
		return dueBy
	}
	return now
}
