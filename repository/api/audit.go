package api

import (
	"context"
	"log/slog"
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
	auditBatch = 1024
	auditEvery = 200 * time.Millisecond
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
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := w.a.AppendAudit(ctx, batch); err != nil {
			w.log.Error("audit: could not record pulls", "entries", len(batch), "err", err.Error())
			return // kept for the next flush
		}
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-w.entries:
			if !ok {
				flush()
				return
			}
			batch = append(batch, e)
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
