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
// instead of one per request. A full queue makes requests wait rather than
// drop entries.
type auditWriter struct {
	a       repository.Auditor
	log     *slog.Logger
	entries chan repository.AuditEntry
	done    chan struct{}
	once    sync.Once
}

const (
	auditQueue = 8192
	auditBatch = 5000
	// auditEvery spreads the writing into small transactions: one big
	// flush would take a core away from requests for a noticeable time.
	// Commits do not empty the catalog's read cache (only document changes
	// do), so frequent small ones cost the lookups nothing.
	auditEvery = 250 * time.Millisecond
)

func newAuditWriter(a repository.Auditor, log *slog.Logger) *auditWriter {
	w := &auditWriter{a: a, log: log, entries: make(chan repository.AuditEntry, auditQueue), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *auditWriter) add(ctx context.Context, e repository.AuditEntry) {
	select {
	case w.entries <- e:
	case <-ctx.Done():
	}
}

func (w *auditWriter) run() {
	defer close(w.done)
	t := time.NewTicker(auditEvery)
	defer t.Stop()
	var batch []repository.AuditEntry
	// Pulls of one document version by one locker within a flush are one
	// entry with a count: a locker retrying or re-reading does not
	// multiply the log (or its cost).
	index := map[string]int{}
	counts := []int{}
	flush := func() {
		if len(batch) == 0 {
			return
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
			return // kept for the next flush
		}
		batch, counts = batch[:0], counts[:0]
		clear(index)
	}
	for {
		select {
		case e, ok := <-w.entries:
			if !ok {
				flush()
				return
			}
			key := e.Actor + "\x00" + e.URI + "\x00" + strconv.Itoa(e.Version)
			if i, ok := index[key]; ok {
				counts[i]++
				continue
			}
			index[key] = len(batch)
			batch = append(batch, e)
			counts = append(counts, 1)
			if len(batch) >= auditBatch {
				flush()
			}
		case <-t.C:
			flush()
		}
	}
}

// close flushes what is queued; call it when no request is in flight.
func (w *auditWriter) close() {
	w.once.Do(func() { close(w.entries) })
	<-w.done
}
