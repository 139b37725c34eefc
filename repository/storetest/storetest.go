// Package storetest is the conformance suite every store.Store backend
// runs: a backend's test passes a factory that returns an empty store.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
)

// Factory returns a new, empty store; the suite closes it.
type Factory func(t *testing.T) store.Store

// Run runs every conformance test against stores made by newStore.
func Run(t *testing.T, newStore Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"WriteOnce", testWriteOnce},
		{"Missing", testMissing},
		{"InvalidKeys", testInvalidKeys},
		{"List", testList},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Canceled", testCanceled},
		{"PutAll", testPutAll},
		{"ListPages", testListPages},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

const key = "in.gov.test/SSCER/51171332015/v1.xml"

func testRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := []byte("<Certificate/>")
	if err := s.Put(ctx, key, data); err != nil {
		t.Fatalf("Put: %v", err)
	}
	got, err := s.Get(ctx, key)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q, %v; want %q", got, err, data)
	}
	fi, err := s.Stat(ctx, key)
	if err != nil || fi.Size != int64(len(data)) || fi.Key != key {
		t.Fatalf("Stat = %+v, %v", fi, err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
}

func testWriteOnce(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, key, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, key, []byte("one")); err != nil {
		t.Fatalf("identical second Put: %v, want nil", err)
	}
	if err := s.Put(ctx, key, []byte("two")); !errors.Is(err, repository.ErrExists) {
		t.Fatalf("different second Put: %v, want ErrExists", err)
	}
	if got, _ := s.Get(ctx, key); string(got) != "one" {
		t.Fatalf("object changed to %q after a refused Put", got)
	}
}

func testMissing(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Get(ctx, "no/such/key.xml"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Get missing: %v", err)
	}
	if _, err := s.Stat(ctx, "no/such/key.xml"); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("Stat missing: %v", err)
	}
	if err := s.Delete(ctx, "no/such/key.xml"); err != nil {
		t.Errorf("Delete missing: %v, want nil", err)
	}
	n := 0
	if err := s.List(ctx, "no/such/", func(store.ObjectInfo) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("List missing prefix: %d objects, %v", n, err)
	}
}

func testInvalidKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, k := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", `a\b`, "a\x00b", "a/"} {
		if err := s.Put(ctx, k, []byte("x")); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Put(%q): %v, want ErrInvalidKey", k, err)
		}
		if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrInvalidKey) {
			t.Errorf("Get(%q): %v, want ErrInvalidKey", k, err)
		}
	}
}

func testList(t *testing.T, s store.Store) {
	ctx := context.Background()
	want := map[string]bool{}
	for i := range 120 {
		k := fmt.Sprintf("in.gov.test/SSCER/%04d/v1.xml", i)
		if err := s.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
		want[k] = true
	}
	if err := s.Put(ctx, "in.gov.test/HSCER/1/v1.xml", []byte("x")); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	prev := ""
	err := s.List(ctx, "in.gov.test/SSCER/", func(fi store.ObjectInfo) error {
		if got[fi.Key] {
			t.Errorf("key %s listed twice", fi.Key)
		}
		if fi.Key < prev {
			t.Errorf("key %s listed after %s", fi.Key, prev)
		}
		prev = fi.Key
		got[fi.Key] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d keys, want %d", len(got), len(want))
	}
	stop := errors.New("stop")
	calls := 0
	err = s.List(ctx, "in.gov.test/", func(store.ObjectInfo) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("List with failing callback: %d calls, %v", calls, err)
	}
}

func testConcurrentWriters(t *testing.T, s store.Store) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Go(func() {
			// Half race on one key with identical bytes, half write their own.
			k := key
			if i%2 == 1 {
				k = fmt.Sprintf("in.gov.test/SSCER/c%d/v1.xml", i)
			}
			errs[i] = s.Put(ctx, k, []byte("same"))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	if got, err := s.Get(ctx, key); err != nil || string(got) != "same" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func testCanceled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Put(ctx, key, []byte("x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with canceled ctx: %v", err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with canceled ctx: %v", err)
	}
	if _, err := s.Get(context.Background(), key); !errors.Is(err, repository.ErrNotFound) {
		t.Errorf("a canceled Put left an object: %v", err)
	}
}

func testPutAll(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Put(ctx, "b/taken/v1.xml", []byte("old")); err != nil {
		t.Fatal(err)
	}
	objs := []store.Object{
		{Key: "b/1/v1.xml", Data: []byte("one")},
		{Key: "b/taken/v1.xml", Data: []byte("new")},
		{Key: "../escape", Data: []byte("x")},
		{Key: "b/2/v1.xml", Data: []byte("two")},
	}
	errs, err := store.PutAll(ctx, s, objs, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != len(objs) {
		t.Fatalf("%d errors for %d objects", len(errs), len(objs))
	}
	want := []error{nil, repository.ErrExists, store.ErrInvalidKey, nil}
	for i, w := range want {
		if (w == nil && errs[i] != nil) || (w != nil && !errors.Is(errs[i], w)) {
			t.Errorf("object %s: %v, want %v", objs[i].Key, errs[i], w)
		}
	}
	for _, o := range []store.Object{objs[0], objs[3], {Key: "b/taken/v1.xml", Data: []byte("old")}} {
		if got, err := s.Get(ctx, o.Key); err != nil || string(got) != string(o.Data) {
			t.Errorf("Get(%s) = %q, %v; want %q", o.Key, got, err, o.Data)
		}
	}
}

// testListPages lists more keys than one S3 page (1,000) holds.
func testListPages(t *testing.T, s store.Store) {
	ctx := context.Background()
	objs := make([]store.Object, 1100)
	for i := range objs {
		k := fmt.Sprintf("p/SSCER/%05d/v1.xml", i)
		objs[i] = store.Object{Key: k, Data: []byte(k)}
	}
	errs, err := store.PutAll(ctx, s, objs, 16)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range errs {
		if e != nil {
			t.Fatalf("put %s: %v", objs[i].Key, e)
		}
	}
	n := 0
	if err := s.List(ctx, "p/", func(store.ObjectInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n != len(objs) {
		t.Fatalf("listed %d keys, want %d", n, len(objs))
	}
}

// Bench measures Put (in groups of 256 through PutAll) and Get of 5 KB
// objects on stores made by newStore.
func Bench(b *testing.B, newStore func(b *testing.B) store.Store) {
	data := make([]byte, 5<<10)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	b.Run("PutAll5KB", func(b *testing.B) {
		s := newStore(b)
		defer s.Close()
		ctx := context.Background()
		n := 0
		b.SetBytes(256 * int64(len(data)))
		for b.Loop() {
			objs := make([]store.Object, 256)
			for i := range objs {
				objs[i] = store.Object{Key: fmt.Sprintf("b/SSCER/%08d/v1.xml", n), Data: data}
				n++
			}
			if _, err := store.PutAll(ctx, s, objs, 16); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
	})
	b.Run("Get5KB", func(b *testing.B) {
		s := newStore(b)
		defer s.Close()
		ctx := context.Background()
		if err := s.Put(ctx, "g/1/v1.xml", data); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(data)))
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := s.Get(ctx, "g/1/v1.xml"); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
