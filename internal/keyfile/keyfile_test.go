package keyfile

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadOrCreate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "api-key")
	key, created, err := ReadOrCreate(path, 16)
	if err != nil || !created || len(key) < 40 {
		t.Fatalf("first call: %q %v %v", key, created, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	again, created, err := ReadOrCreate(path, 16)
	if err != nil || created || again != key {
		t.Fatalf("second call: %q %v %v, want %q read back", again, created, err, key)
	}
	short := filepath.Join(t.TempDir(), "short")
	os.WriteFile(short, []byte("abc\n"), 0o600)
	if _, _, err := ReadOrCreate(short, 16); err == nil {
		t.Error("a 3-character key was accepted with minLen 16")
	}
	if k, _, err := ReadOrCreate(short, 0); err != nil || k != "abc" {
		t.Errorf("minLen 0: %q %v", k, err)
	}
	if _, _, err := ReadOrCreate("", 0); err == nil {
		t.Error("an empty path was accepted")
	}
	if _, _, err := ReadOrCreate(filepath.Join(t.TempDir(), "no", "dir"), 0); err == nil {
		t.Error("a key file in a missing directory was accepted")
	}
}
