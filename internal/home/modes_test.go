package home

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestHomePrivate: init makes a home that existed before (0755, as mkdir
// leaves it) 0700, creates catalog.db and issuerkit.yaml 0600 (Save keeps
// it so) and narrows a catalog an older issuerkit left 0644 the next time
// it is opened.
func TestHomePrivate(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "home")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	h, err := Init(ctx, dir, initOpts())
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("home mode %v, want 0700", fi.Mode().Perm())
	}
	cat := h.Path(CatalogFile)
	if fi, err := os.Stat(cat); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("catalog.db: %v %v, want 0600", fi.Mode().Perm(), err)
	}
	if fi, err := os.Stat(h.Path(VerifyKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("verify key: %v, want 0600", err)
	}
	// issuerkit.yaml may carry a catalog DSN with a password.
	h.Config.Catalog.DSN = "postgres://issuer:secret@db/catalog"
	for _, step := range []string{"init", "save"} {
		if fi, err := os.Stat(h.Path(ConfigFile)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("issuerkit.yaml after %s: %v %v, want 0600", step, fi.Mode().Perm(), err)
		}
		if err := h.Save(); err != nil {
			t.Fatal(err)
		}
	}
	h.Config.Catalog.DSN = ""
	os.Chmod(cat, 0o644)
	c, err := h.OpenCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if fi, _ := os.Stat(cat); fi.Mode().Perm() != 0o600 {
		t.Errorf("an old 0644 catalog stays %v after open, want 0600", fi.Mode().Perm())
	}
}

// TestVerifyKeyCreatedOnceAndKept: a home without the key gets one on first
// use, the same one for concurrent first users, and init --force keeps it
// (printed documents carry tokens made with it).
func TestVerifyKeyCreatedOnceAndKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	h, err := Init(ctx, dir, initOpts())
	if err != nil {
		t.Fatal(err)
	}
	before, err := h.VerifyKey()
	if err != nil || len(before) != 32 {
		t.Fatalf("key %x %v", before, err)
	}
	o := initOpts()
	o.Force = true
	if _, err := Init(ctx, dir, o); err != nil {
		t.Fatal(err)
	}
	if after, _ := h.VerifyKey(); !bytes.Equal(before, after) {
		t.Fatal("init --force replaced the verify key: every printed link would break")
	}
	os.Remove(h.Path(VerifyKeyFile))
	keys := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := h.VerifyKey()
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if !bytes.Equal(k, keys[0]) || len(k) != 32 {
			t.Fatalf("concurrent first uses made different keys")
		}
	}
	ents, _ := os.ReadDir(h.Path(KeysDir))
	for _, e := range ents {
		if e.Name() != "signing.key" && e.Name() != "signing.crt" && e.Name() != "api-key" && e.Name() != "aadhaar.key" && e.Name() != "verify.key" {
			t.Errorf("left behind in keys/: %s", e.Name())
		}
	}
}

// TestPublicURLOneDefault: serve's PDFs and get's agree on the link when
// api.public_url is unset (the one function Home.PublicURL decides it).
func TestPublicURLOneDefault(t *testing.T) {
	h := &Home{}
	if got := h.PublicURL(""); got != "http://"+DefaultServeAddr {
		t.Fatalf("get's base = %q", got)
	}
	if h.PublicURL("") != h.PublicURL(DefaultServeAddr) {
		t.Fatal("serve at its default address and get disagree")
	}
	if got := h.PublicURL(":9000"); got != "http://127.0.0.1:9000" {
		t.Fatalf("wildcard address: %q", got)
	}
	h.Config.API.PublicURL = "https://results.example.gov.in"
	if h.PublicURL(":9000") != "https://results.example.gov.in" || h.PublicURL("") != "https://results.example.gov.in" {
		t.Fatal("public_url not used by both")
	}
}
