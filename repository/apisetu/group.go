package apisetu

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// consentUses records each request's use of its consent and, when the
// use is granted, its audit entry. On a catalog that records uses in
// batches (repository.ConsentBatcher) it is a group commit: one goroutine
// takes every use queued while the previous batch committed and records
// them with the granted ones' audit entries, in one transaction where the
// catalog can (repository.AuditedUses: serve's), else in two; each
// request is answered only after its batch committed. The requests
// waiting together cost one commit (on SQLite, one fsync) instead of one
// each, and the audit log grows in small steps instead of in flushes
// that held the catalog's writer (and the uses waiting behind it) for
// tens of milliseconds.
type consentUses struct {
	one     Clients
	audit   auditAppender
	batch   repository.ConsentBatcher
	audited repository.AuditedUses // nil: the entries are a second transaction
	queue   chan *useRequest
}

// auditAppender writes audit entries at once (api.Server.AppendAudit).
type auditAppender interface {
	AppendAudit(ctx context.Context, entries []repository.AuditEntry) error
}

type useRequest struct {
	use   repository.ConsentUse
	entry repository.AuditEntry // written if the use is granted
	done  chan useResult
}

type useResult struct {
	repository.ConsentUsed
	err error
}

// maxUseBatch bounds one transaction's uses.
const maxUseBatch = 512

// useBatchTimeout bounds one batch's transaction.
const useBatchTimeout = 10 * time.Second

func newConsentUses(c Clients, audit auditAppender) *consentUses {
	u := &consentUses{one: c, audit: audit}
	if b, ok := c.(repository.ConsentBatcher); ok {
		u.batch, u.queue = b, make(chan *useRequest, maxUseBatch)
		u.audited, _ = c.(repository.AuditedUses)
		go u.run()
	}
	return u
}

// record records one use (see Clients.UseConsent) and, if it is granted,
// its audit entry e: ok is true only when both were written. When ctx
// ends while the use is queued or committing, the use may still be
// recorded: a use counted but not served errs on the citizen's side.
func (u *consentUses) record(ctx context.Context, use repository.ConsentUse, e repository.AuditEntry) (bool, int, error) {
	if u.batch == nil {
		ok, n, err := u.one.UseConsent(ctx, use.ConsentID, use.Since, use.At, use.Limit)
		if err == nil && ok {
			err = u.audit.AppendAudit(ctx, []repository.AuditEntry{e})
		}
		return ok, n, err
	}
	r := &useRequest{use: use, entry: e, done: make(chan useResult, 1)}
	select {
	case u.queue <- r:
	case <-ctx.Done():
		return false, 0, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res.OK, res.Uses, res.err
	case <-ctx.Done():
		return false, 0, ctx.Err()
	}
}

// gatherRounds bounds how often gather lets the requests in flight run
// before a batch is committed.
const gatherRounds = 16

// gather adds the uses queued to batch. While the batch keeps growing it
// yields to the requests being handled (runtime.Gosched), so the ones
// about to queue a use join this commit instead of waiting for the next:
// on a server with one core the requests run only when the committer
// yields, and a batch taken at once would hold the few queued since the
// last commit, one fsync for a handful of uses. It stops when a round
// adds nothing, after gatherRounds rounds, or when the batch is full.
func (u *consentUses) gather(batch []*useRequest) []*useRequest {
	for round := 0; len(batch) < maxUseBatch; round++ {
		n := len(batch)
	more:
		for len(batch) < maxUseBatch {
			select {
			case r := <-u.queue:
				batch = append(batch, r)
			default:
				break more
			}
		}
		if (round > 0 && len(batch) == n) || round == gatherRounds {
			break
		}
		runtime.Gosched()
	}
	return batch
}

// run commits batches for as long as the process lives.
func (u *consentUses) run() {
	batch := make([]*useRequest, 0, maxUseBatch)
	uses := make([]repository.ConsentUse, 0, maxUseBatch)
	entries := make([]repository.AuditEntry, 0, maxUseBatch)
	for first := range u.queue {
		batch = u.gather(append(batch[:0], first))
		uses = uses[:0]
		for _, r := range batch {
			uses = append(uses, r.use)
		}
		res, err := u.commit(uses, batch, entries[:0])
		for i, r := range batch {
			if err != nil {
				r.done <- useResult{err: err}
			} else {
				r.done <- useResult{ConsentUsed: res[i]}
			}
		}
	}
}

// commit records the batch's uses, then the granted ones' audit entries
// (entries is scratch space). An error means no request may be served,
// though its use may be counted.
func (u *consentUses) commit(uses []repository.ConsentUse, batch []*useRequest, entries []repository.AuditEntry) ([]repository.ConsentUsed, error) {
	ctx, cancel := context.WithTimeout(context.Background(), useBatchTimeout)
	defer cancel()
	if u.audited != nil {
		for _, r := range batch {
			entries = append(entries, r.entry)
		}
		return u.audited.UseConsentsAudited(ctx, uses, entries)
	}
	res, err := u.batch.UseConsents(ctx, uses)
	if err != nil {
		return nil, err
	}
	for i, r := range batch {
		if res[i].OK {
			entries = append(entries, r.entry)
		}
	}
	if len(entries) > 0 {
		if err := u.audit.AppendAudit(ctx, entries); err != nil {
			return nil, fmt.Errorf("apisetu: the audit entries of %d granted uses: %w", len(entries), err)
		}
	}
	return res, nil
}
