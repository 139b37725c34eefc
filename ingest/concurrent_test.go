package ingest_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// pauseAfterPut is a store whose first Put that writes, once written,
// waits for release: a writer caught between its store write and its
// commit.
type pauseAfterPut struct {
	store.Store
	once    sync.Once
	written chan struct{}
	release chan struct{}
}

func newPauseAfterPut(s store.Store) *pauseAfterPut {
	return &pauseAfterPut{Store: s, written: make(chan struct{}), release: make(chan struct{})}
}

func (p *pauseAfterPut) Put(ctx context.Context, key string, data []byte) error {
	err := p.Store.Put(ctx, key, data)
	if err == nil {
		p.once.Do(func() {
			close(p.written)
			<-p.release
		})
	}
	return err
}

// TestConcurrentWritersOfOneVersion: a suspend and a revoke of one
// document at once both write its version 2. The revoke finds the
// suspend's object uncommitted and replaces it as an orphan; the suspend
// then commits, and the revoke's commit is refused (ErrConflict). The
// suspend's object must be what the catalog's version 2 points at: the
// revoke puts back what it replaced. Before, the catalog said suspended
// and the object was the revoke's, which no longer verified.
func TestConcurrentWritersOfOneVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	uri := f.sampleURI(t)
	x, y := f.deps, f.deps
	xs, ys := newPauseAfterPut(f.deps.Store), newPauseAfterPut(f.deps.Store)
	x.Store, y.Store = xs, ys
	change := func(d ingest.Deps, action string, out *error) {
		_, *out = ingest.ChangeStatus(ctx, d, ingest.StatusChange{URI: uri, Action: action, Reason: "test", Actor: "t"})
	}
	var xErr, yErr error
	var wg sync.WaitGroup
	wg.Go(func() { change(x, repository.AuditSuspend, &xErr) })
	<-xs.written // the suspend's v2 is stored, not committed
	wg.Go(func() { change(y, repository.AuditRevoke, &yErr) })
	<-ys.written // the revoke replaced it, not committed either
	close(xs.release)
	for deadline := time.Now().Add(10 * time.Second); !f.hasVersion(t, uri, 2); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the suspend did not commit")
		}
	}
	close(ys.release)
	wg.Wait()
	if xErr != nil || !errors.Is(yErr, repository.ErrConflict) {
		t.Fatalf("suspend: %v; revoke: %v, want the suspend committed and the revoke refused", xErr, yErr)
	}
	doc, err := f.deps.Catalog.Current(ctx, uri)
	if err != nil || doc.Version != 2 || doc.Status != xmlschema.StatusSuspended {
		t.Fatalf("current: %+v, %v; want version 2 suspended", doc, err)
	}
	if _, err := repository.GetVerified(ctx, f.deps.Store, doc); err != nil {
		t.Fatalf("version 2's object: %v", err)
	}
}

func (f *fixture) hasVersion(t *testing.T, uri string, v int) bool {
	t.Helper()
	has, err := f.deps.Catalog.HasVersion(context.Background(), uri, v)
	if err != nil {
		t.Fatal(err)
	}
	return has
}
