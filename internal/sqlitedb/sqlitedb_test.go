package sqlitedb

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenPrivate: a new database and the -wal and -shm files SQLite
// makes beside it are 0600 whatever the umask allows, and a database an
// older issuerkit left 0644 is narrowed, with its side files, on open.
func TestOpenPrivate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "t.db")
	mode := func(p string) os.FileMode {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Mode().Perm()
	}
	open := func() {
		t.Helper()
		db, err := Open(ctx, path, 2, []string{`CREATE TABLE t (v TEXT)`}, OnCommit)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(`INSERT INTO t VALUES ('x')`); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			if m := mode(p); m != 0o600 {
				t.Errorf("%s: mode %v, want 0600", filepath.Base(p), m)
			}
		}
		// Close would remove the side files; the narrowing below needs them.
		t.Cleanup(func() { db.Close() })
	}
	open()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	open()
}
