package repository

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func openTestSQLite(t *testing.T, path string) *SQLite {
	t.Helper()
	c, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func cacheTestDoc() Document {
	return Document{URI: "in.gov.t-X-1", DocType: "X", DocID: "1", Version: 1, ObjectKey: "k", ObjectSHA256: "s",
		ContentHash: "h", Status: "A", SearchKey: "k=1", HolderName: "N", HolderDOB: "01-01-2000", IssueDate: "01-01-2025"}
}

// TestReadCacheSeesOtherWriters: a lookup cached by CacheReads is dropped
// when the same process commits through it (at once) or another connection
// or process commits (within cacheCheck); so is a cached miss.
func TestReadCacheSeesOtherWriters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	reader, writer := CacheReads(openTestSQLite(t, path)), openTestSQLite(t, path)
	if _, ok := reader.(*cachedCatalog); !ok {
		t.Fatalf("CacheReads(SQLite) is a %T, not a cached catalog", reader)
	}
	doc := cacheTestDoc()
	if _, err := reader.FindBySearchKey(ctx, "X", "k=1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("before any document: %v, want ErrNotFound", err)
	}
	if err := writer.Apply(ctx, "b", []Change{{Doc: doc}}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * cacheCheck)
	if d, err := reader.FindBySearchKey(ctx, "X", "k=1"); err != nil || d.Version != 1 {
		t.Fatalf("a cached miss outlived another writer's commit: %+v %v", d, err)
	}
	next := doc
	next.Version, next.Status = 2, "R"
	if err := writer.Apply(ctx, "b", []Change{{Doc: next, PrevVersion: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * cacheCheck)
	if d, err := reader.FindBySearchKey(ctx, "X", "k=1"); err != nil || d.Version != 2 || d.Status != "R" {
		t.Fatalf("another writer's commit not seen: %+v %v", d, err)
	}
	third := next
	third.Version = 3
	if err := reader.Apply(ctx, "b", []Change{{Doc: third, PrevVersion: 2}}, nil); err != nil {
		t.Fatal(err)
	}
	if d, err := reader.Current(ctx, doc.URI); err != nil || d.Version != 3 {
		t.Fatalf("own commit not seen at once: %+v %v", d, err)
	}
}

// TestReadCacheKeepsAnswers: a found document and a miss are each loaded
// once; other errors are not kept.
func TestReadCacheKeepsAnswers(t *testing.T) {
	ctx := context.Background()
	c := newReadCache(openTestSQLite(t, filepath.Join(t.TempDir(), "catalog.db")).Generation)
	loads := 0
	answer := func(d Document, err error) func() (Document, error) {
		return func() (Document, error) { loads++; return d, err }
	}
	doc := cacheTestDoc()
	broken := errors.New("disk on fire")
	for _, tt := range []struct {
		key   string
		doc   Document
		err   error
		loads int // after two gets
	}{
		{"found", doc, nil, 1},
		{"miss", Document{}, ErrNotFound, 1},
		{"failure", Document{}, broken, 2},
	} {
		loads = 0
		for range 2 {
			d, err := c.get(ctx, readKey{b: tt.key}, answer(tt.doc, tt.err))
			if d.URI != tt.doc.URI || !errors.Is(err, tt.err) {
				t.Fatalf("%s: got %+v, %v", tt.key, d, err)
			}
		}
		if loads != tt.loads {
			t.Errorf("%s: loaded %d times, want %d", tt.key, loads, tt.loads)
		}
	}
}

// TestReadCacheLookupDuringCommit: an answer read before a commit emptied
// the cache is not kept after it, even when the lookup finishes later.
func TestReadCacheLookupDuringCommit(t *testing.T) {
	ctx := context.Background()
	c := newReadCache(openTestSQLite(t, filepath.Join(t.TempDir(), "catalog.db")).Generation)
	old, cur := cacheTestDoc(), cacheTestDoc()
	cur.Version = 2
	// The slow lookup reads version 1; the commit of version 2 lands (and
	// empties the cache) before it returns.
	d, err := c.get(ctx, readKey{b: "k"}, func() (Document, error) { c.clear(); return old, nil })
	if err != nil || d.Version != 1 {
		t.Fatalf("the slow lookup itself: %+v %v", d, err)
	}
	d, err = c.get(ctx, readKey{b: "k"}, func() (Document, error) { return cur, nil })
	if err != nil || d.Version != 2 {
		t.Fatalf("after the commit: version %d (%v), want 2: a stale answer was kept", d.Version, err)
	}
}

// TestReadCacheSurvivesHangUps: a lookup whose request was cancelled does
// not empty the cache for everyone else.
func TestReadCacheSurvivesHangUps(t *testing.T) {
	c := newReadCache(openTestSQLite(t, filepath.Join(t.TempDir(), "catalog.db")).Generation)
	loads := 0
	load := func() (Document, error) { loads++; return cacheTestDoc(), nil }
	if _, err := c.get(context.Background(), readKey{b: "k"}, load); err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	c.mu.Lock()
	c.checked = time.Time{} // the next get checks the generation
	c.due.Store(0)
	c.mu.Unlock()
	if _, err := c.get(gone, readKey{b: "k"}, load); err != nil {
		t.Fatal(err)
	}
	if loads != 1 {
		t.Fatalf("loaded %d times: a cancelled request emptied the cache", loads)
	}
}

// TestCacheReadsNeedsAGeneration: a catalog that cannot say when documents
// changed is not cached (it would serve stale answers for ever).
func TestCacheReadsNeedsAGeneration(t *testing.T) {
	var c struct{ Catalog }
	if got := CacheReads(c); got != Catalog(c) {
		t.Fatalf("CacheReads wrapped a catalog without a Generation: %T", got)
	}
}

// TestCachedRequesterRevokedAtOnce: a requester revoked by another process
// is seen revoked through the read cache at once (a revoked key must stop
// working immediately), not within cacheCheck.
func TestCachedRequesterRevokedAtOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "catalog.db")
	reader, writer := CacheReads(openTestSQLite(t, path)), openTestSQLite(t, path)
	if err := writer.AddRequester(ctx, Requester{ID: "bank", KeyHash: []byte{1}, AddedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if r, err := reader.Requester(ctx, "bank"); err != nil || !r.RevokedAt.IsZero() {
		t.Fatalf("before the revocation: %+v, %v", r, err)
	}
	if err := writer.RevokeRequester(ctx, "bank", time.Now()); err != nil {
		t.Fatal(err)
	}
	if r, err := reader.Requester(ctx, "bank"); err != nil || r.RevokedAt.IsZero() {
		t.Fatalf("right after the revocation: %+v, %v; want it revoked", r, err)
	}
}
