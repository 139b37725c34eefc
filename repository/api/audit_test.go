package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// flakyAuditor records entries, or refuses them while down.
type flakyAuditor struct {
	repository.Auditor
	mu      sync.Mutex
	down    bool
	tries   int
	entries []repository.AuditEntry
}

func (a *flakyAuditor) AppendAudit(_ context.Context, es []repository.AuditEntry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tries++
	if a.down {
		return errors.New("disk full")
	}
	a.entries = append(a.entries, es...)
	return nil
}

func (a *flakyAuditor) setDown(down bool) {
	a.mu.Lock()
	a.down = down
	a.mu.Unlock()
}

func pull(i int) repository.AuditEntry {
	return repository.AuditEntry{Actor: "api:l", Action: repository.AuditPull, URI: fmt.Sprintf("u%d", i), Version: 1, Reason: "PullURI txn t"}
}

// TestAuditWriterRecordsEverything: every queued pull is recorded, repeats
// of one document within a flush as one entry with a count.
func TestAuditWriterRecordsEverything(t *testing.T) {
	a := &flakyAuditor{}
	w := newAuditWriter(a, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	for i := range 3 * auditBatch {
		if !w.add(ctx, pull(i%(2*auditBatch))) {
			t.Fatal("add refused an entry")
		}
	}
	w.close()
	pulls := 0
	for _, e := range a.entries {
		pulls++
		var more int
		if _, err := fmt.Sscanf(e.Reason, "PullURI txn t (and %d more pulls)", &more); err == nil {
			pulls += more
		}
	}
	if pulls != 3*auditBatch {
		t.Fatalf("recorded %d pulls in %d entries, want %d", pulls, len(a.entries), 3*auditBatch)
	}
	if w.add(ctx, pull(0)) {
		t.Fatal("a closed writer took an entry")
	}
}

// TestAuditWriterBackPressure: while the catalog refuses entries, memory
// does not grow: the queue fills, requests wait and are refused when their
// context ends; once it accepts again, everything queued is recorded.
func TestAuditWriterBackPressure(t *testing.T) {
	a := &flakyAuditor{down: true}
	w := newAuditWriter(a, slog.New(slog.DiscardHandler))
	ctx := context.Background()
	queued := 0
	for i := 0; ; i++ {
		short, cancel := context.WithTimeout(ctx, 2*auditEvery)
		ok := w.add(short, pull(i))
		cancel()
		if !ok {
			break
		}
		queued++
		if queued > auditBatch+auditQueue+1 {
			t.Fatalf("took %d entries while the catalog refuses them: unbounded", queued)
		}
	}
	if queued < auditQueue {
		t.Fatalf("refused after %d entries, before the queue (%d) was full", queued, auditQueue)
	}
	a.setDown(false)
	w.close()
	if len(a.entries) != queued {
		t.Fatalf("recorded %d of the %d queued entries", len(a.entries), queued)
	}
}

// TestAuditWriterClosed: a closed writer refuses at once.
func TestAuditWriterClosed(t *testing.T) {
	w := newAuditWriter(&flakyAuditor{}, slog.New(slog.DiscardHandler))
	w.close()
	done := make(chan bool)
	go func() { done <- w.add(context.Background(), pull(1)) }()
	select {
	case ok := <-done:
		if ok {
			t.Fatal("a closed writer took an entry")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("add on a closed writer blocks")
	}
}
