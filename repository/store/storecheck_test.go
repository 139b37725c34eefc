package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// overwritingStore accepts an overwrite, as a store without write-once
// would.
type overwritingStore struct{ Store }

func (s overwritingStore) Put(ctx context.Context, key string, data []byte) error {
	if err := s.Store.Put(ctx, key, data); err != nil && !errors.Is(err, ErrExists) {
		return err
	}
	return nil
}

// lyingStore reads back other bytes than were written.
type lyingStore struct{ Store }

func (s lyingStore) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := s.Store.Get(ctx, key)
	return append(b, 'x'), err
}

func TestCheckStore(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name     string
		wrap     func(Store) Store
		failStep string
	}{
		{"fs", func(s Store) Store { return s }, ""},
		{"not write-once", func(s Store) Store { return overwritingStore{s} }, "write-once"},
		{"bad reads", func(s Store) Store { return lyingStore{s} }, "read"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs, err := OpenFS(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			var steps []string
			var failed []string
			err = CheckStore(ctx, c.wrap(fs), func(st CheckStep) {
				steps = append(steps, st.Name)
				if st.Err != nil {
					failed = append(failed, st.Name)
				}
			})
			if fmt.Sprint(steps) != "[write read list write-once delete]" {
				t.Errorf("steps %v", steps)
			}
			var sce *StoreCheckError
			if c.failStep == "" && (err != nil || failed != nil) {
				t.Errorf("CheckStore: %v, failed steps %v", err, failed)
			}
			if c.failStep != "" && (!errors.As(err, &sce) || fmt.Sprint(failed) != "["+c.failStep+"]") {
				t.Errorf("CheckStore: %v, failed steps %v; want step %s", err, failed, c.failStep)
			}
			n := 0
			fs.List(ctx, CheckPrefix, func(ObjectInfo) error { n++; return nil })
			if n != 0 {
				t.Errorf("%d probe objects left behind", n)
			}
		})
	}
}

func TestCopyStore(t *testing.T) {
	ctx := context.Background()
	src, err := OpenFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const n = copyBatch + 44
	for i := range n {
		if err := src.Put(ctx, fmt.Sprintf("in.gov.test-SSCER-%d.xml", i), []byte(fmt.Sprintf("<doc n=\"%d\"/>", i))); err != nil {
			t.Fatal(err)
		}
	}
	dst, err := OpenFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for run := range 2 { // the second run finds every object there already
		if got, err := CopyStore(ctx, dst, src); err != nil || got != n {
			t.Fatalf("run %d: CopyStore = %d, %v; want %d", run, got, err, n)
		}
	}
	if got, _ := dst.Get(ctx, "in.gov.test-SSCER-7.xml"); string(got) != `<doc n="7"/>` {
		t.Errorf("copied object: %q", got)
	}
	got, err := CopyStore(ctx, lyingStore{dst}, src)
	if err == nil || got != 0 {
		t.Errorf("CopyStore to a store that reads back other bytes: %d, %v", got, err)
	}
}
