package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/issuerkit/issuerkit/repository/store"

	"github.com/issuerkit/issuerkit/repository/storetest"
	"github.com/issuerkit/issuerkit/xmlschema"
)

func TestFSConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenFS(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFSLayoutAndNoLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := store.OpenFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	u := xmlschema.URI{IssuerID: "in.gov.cbse", DocType: "SSCER", DocID: "51171332015"}
	k := store.ObjectKey(u, 3)
	if k != "in.gov.cbse/SSCER/51171332015/v3.xml" {
		t.Fatalf("ObjectKey = %q", k)
	}
	if err := s.Put(context.Background(), k, []byte("x")); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "in.gov.cbse", "SSCER", "51171332015"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "v3.xml" {
		t.Fatalf("directory holds %v, want just v3.xml (no temp files)", ents)
	}
}

func BenchmarkFS(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store {
		s, err := store.OpenFS(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
