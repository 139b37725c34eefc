package verify

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestVerifyAllOrder: results come out in the order of the files whatever
// order the checks finish in, failures are counted, and every file is
// checked once.
func TestVerifyAllOrder(t *testing.T) {
	var files []string
	for i := range 1000 {
		files = append(files, fmt.Sprintf("f%04d", i))
	}
	var got []string
	failed := All(context.Background(), files, 4, func(f string) error {
		if f == "f0000" {
			time.Sleep(50 * time.Millisecond) // the first is the slowest
		}
		if strings.HasSuffix(f, "7") {
			return errors.New("bad")
		}
		return nil
	}, func(f string, err error) {
		got = append(got, f)
	})
	if !slices.Equal(got, files) {
		t.Fatalf("reported %d files, out of order or repeated", len(got))
	}
	if failed != 100 {
		t.Errorf("%d failed, want 100", failed)
	}
}

func TestExpandFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"b.xml", "a.pdf", "sub/c.XML", "notes.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755)
		os.WriteFile(filepath.Join(dir, f), nil, 0o644)
	}
	got, err := ExpandFiles([]string{"x.xml", dir})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"x.xml", filepath.Join(dir, "a.pdf"), filepath.Join(dir, "b.xml"), filepath.Join(dir, "sub/c.XML")}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
