package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// CheckPrefix is where CheckStore writes its probe object.
const CheckPrefix = ".issuerkit-check/"

// CheckStep is one step of CheckStore, as it went.
type CheckStep struct {
	Name string // write, read, list, write-once, delete
	Took time.Duration
	Err  error
}

// StoreCheckError says a store failed CheckStore (each step's error was
// reported apart).
type StoreCheckError struct{}

func (*StoreCheckError) Error() string { return "store check failed" }

// CheckStore tells whether s is reachable and writable as issuerkit needs
// it: it writes a probe object under CheckPrefix, reads it back, lists it,
// checks that overwriting it with other bytes is refused (write-once) and
// deletes it, calling report after each step. Every step runs even after
// one fails; the error is a *StoreCheckError when any did.
func CheckStore(ctx context.Context, s Store, report func(CheckStep)) error {
	b := make([]byte, 8)
	rand.Read(b)
	key := CheckPrefix + hex.EncodeToString(b) + ".xml"
	probe := []byte("<probe/>")
	steps := []struct {
		name string
		fn   func() error
	}{
		{"write", func() error { return s.Put(ctx, key, probe) }},
		{"read", func() error {
			got, err := s.Get(ctx, key)
			if err == nil && !bytes.Equal(got, probe) {
				err = errors.New("read back different bytes")
			}
			return err
		}},
		{"list", func() error {
			n := 0
			err := s.List(ctx, CheckPrefix, func(ObjectInfo) error { n++; return nil })
			if err == nil && n == 0 {
				err = errors.New("the probe object is not listed")
			}
			return err
		}},
		{"write-once", func() error {
			if err := s.Put(ctx, key, []byte("<other/>")); !errors.Is(err, ErrExists) {
				return fmt.Errorf("overwriting an object was not refused (%v)", err)
			}
			return nil
		}},
		{"delete", func() error { return s.Delete(ctx, key) }},
	}
	failed := false
	for _, st := range steps {
		t0 := time.Now()
		err := st.fn()
		failed = failed || err != nil
		report(CheckStep{Name: st.name, Took: time.Since(t0), Err: err})
	}
	if failed {
		s.Delete(ctx, key)
		return &StoreCheckError{}
	}
	return nil
}
