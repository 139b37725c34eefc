package store

import (
	"context"
	"os"
	"sync/atomic"
	"testing"
)

// countingStore is a decorator as a metrics or fault layer would be: it
// counts Puts and wraps another Store, which Unwrap returns.
type countingStore struct {
	Store
	puts atomic.Int64
}

func (c *countingStore) Put(ctx context.Context, key string, data []byte) error {
	c.puts.Add(1)
	return c.Store.Put(ctx, key, data)
}

func (c *countingStore) Unwrap() Store { return c.Store }

// opaqueStore wraps a Store and offers no Unwrap.
type opaqueStore struct{ Store }

// TestPutAllThroughDecorator: an fs store wrapped in decorators with Unwrap
// still takes the one-syncfs path of its PutBatch; one without Unwrap hides
// it, so every object takes its own Put.
func TestPutAllThroughDecorator(t *testing.T) {
	fs, err := OpenFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var syncs atomic.Int64
	orig := syncFS
	syncFS = func(d *os.File) error { syncs.Add(1); return orig(d) }
	t.Cleanup(func() { syncFS = orig })
	for _, tt := range []struct {
		name          string
		wrap          func(Store) (Store, *countingStore)
		syncs, viaPut int64
	}{
		{"fs", func(s Store) (Store, *countingStore) { return s, nil }, 1, 0},
		{"one decorator", func(s Store) (Store, *countingStore) { c := &countingStore{Store: s}; return c, c }, 1, 0},
		{"two decorators", func(s Store) (Store, *countingStore) {
			c := &countingStore{Store: s}
			return &countingStore{Store: c}, c
		}, 1, 0},
		{"no Unwrap", func(s Store) (Store, *countingStore) {
			c := &countingStore{Store: s}
			return opaqueStore{c}, c
		}, 0, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			syncs.Store(0)
			s, counter := tt.wrap(fs)
			var objs []Object
			for _, id := range []string{"1", "2", "3"} {
				objs = append(objs, Object{Key: tt.name + "/T/" + id + "/v1.xml", Data: []byte("object " + id)})
			}
			errs, err := PutAll(context.Background(), s, objs, 4)
			if err != nil {
				t.Fatal(err)
			}
			for i, e := range errs {
				if e != nil {
					t.Fatalf("object %d: %v", i, e)
				}
			}
			var puts int64
			if counter != nil {
				puts = counter.puts.Load()
			}
			if syncs.Load() != tt.syncs || puts != tt.viaPut {
				t.Fatalf("%d syncfs and %d Puts, want %d and %d", syncs.Load(), puts, tt.syncs, tt.viaPut)
			}
			for _, o := range objs {
				if got, err := fs.Get(context.Background(), o.Key); err != nil || string(got) != string(o.Data) {
					t.Fatalf("Get(%s) = %q, %v", o.Key, got, err)
				}
			}
		})
	}
}

// TestAs: As walks the chain and stops where Unwrap is missing.
func TestAs(t *testing.T) {
	fs, err := OpenFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := As[*FS](&countingStore{Store: &countingStore{Store: fs}}); !ok || got != fs {
		t.Fatalf("As[*FS] through two decorators = %v, %v", got, ok)
	}
	if _, ok := As[*FS](opaqueStore{fs}); ok {
		t.Fatal("As[*FS] saw through a store without Unwrap")
	}
	if _, ok := As[BatchPutter](nil); ok {
		t.Fatal("As on nil found something")
	}
}
