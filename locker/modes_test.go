package locker_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/issuerkit/issuerkit/locker"
)

// TestDataPrivate: a data directory that existed (0755, as mkdir leaves
// it) becomes 0700, and its database (issuer keys, OTPs, KYC) and key are
// 0600.
func TestDataPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "locker")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st, err := locker.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for name, want := range map[string]os.FileMode{".": 0o700, locker.DBFile: 0o600, locker.DBFile + "-wal": 0o600, locker.KeyFile: 0o600} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode().Perm(), want)
		}
	}
}
