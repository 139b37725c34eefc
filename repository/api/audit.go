package api

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// auditWriter appends the API's audit entries (documents served) in
// batches, off the request path: one transaction per flush interval
// instead of one per request. Requests put entries into a buffered channel
// that the writer drains on its own schedule, so a request does not wake
// it; when the channel is half full it is woken early, and when full the
// requests wait rather than drop entries.
type auditWriter struct {
	a       repository.Auditor
	log     *slog.Logger
	entries chan repository.AuditEntry
	poke    chan struct{} // the queue is half full: flush now
	quit    chan struct{}
	done    chan struct{}
	once    sync.Once
}

const (
	auditQueue = 16384
	auditBatch = 5000
	// auditEvery spreads the writing into small transactions: one big
	// flush would take a core away from requests for a noticeable time.
	// Commits do not empty the catalog's read cache (only document changes
	// do), so frequent small ones cost the lookups nothing.
	auditEvery = 250 * time.Millisecond
)

func newAuditWriter(a repository.Auditor, log *slog.Logger) *auditWriter {
	w := &auditWriter{a: a, log: log, entries: make(chan repository.AuditEntry, auditQueue),
		poke: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// add queues e. It reports false, having queued nothing, when ctx ended
// first or the writer is closed.
func (w *auditWriter) add(ctx context.Context, e repository.AuditEntry) bool {
	if len(w.entries) >= auditQueue/2 {
		select {
		case w.poke <- struct{}{}:
		default:
		}
	}
	select {
	case <-w.quit:
		return false
	default:
	}
	select {
	case w.entries <- e:
		return true
	case <-ctx.Done():
		return false
	case <-w.quit:
		return false
	}
}

func (w *auditWriter) run() {
	defer close(w.done)
	t := time.NewTicker(auditEvery)
	defer t.Stop()
	var batch []repository.AuditEntry
	// Pulls of one document version by one locker within a flush are one
	// entry with a count (other entries are kept one by one): a locker retrying or re-reading does not
	// multiply the log (or its cost).
	type pullKey struct {
		actor, uri string
		version    int
	}
	index := map[pullKey]int{}
	counts := []int{}
	flush := func() bool {
		if len(batch) == 0 {
			return true
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for i, n := range counts {
			if n > 1 {
				batch[i].Reason += " (and " + strconv.Itoa(n-1) + " more pulls)"
			}
			counts[i] = 1
		}
		if err := w.a.AppendAudit(ctx, batch); err != nil {
			w.log.Error("audit: could not record pulls", "entries", len(batch), "err", err.Error())
			return false // kept for the next flush
		}
		batch, counts = batch[:0], counts[:0]
		clear(index)
		return true
	}
	// drain takes what is queued now, flushing every auditBatch entries.
	// While the catalog refuses a full batch, it takes no more: the queue
	// fills and requests wait, rather than memory growing or entries
	// being dropped.
	drain := func() {
		for {
			if len(batch) >= auditBatch && !flush() {
				return
			}
			select {
			case e := <-w.entries:
				if e.Action != repository.AuditPull {
					// A certificate API entry is one consent's use: each is kept.
					batch = append(batch, e)
					counts = append(counts, 1)
					continue
				}
				key := pullKey{e.Actor, e.URI, e.Version}
				if i, ok := index[key]; ok {
					counts[i]++
					continue
				}
				index[key] = len(batch)
				batch = append(batch, e)
				counts = append(counts, 1)
			default:
				flush()
				return
			}
		}
	}
	for {
		select {
		case <-t.C:
			drain()
		case <-w.poke:
			drain()
		case <-w.quit:
			drain()
			return
		}
	}
}

// close records what is queued (trying once); call it when no request is
// in flight.
func (w *auditWriter) close() {
	w.once.Do(func() { close(w.quit) })
	<-w.done
}
