package home

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func initOpts() InitOptions {
	return InitOptions{IssuerID: "in.gov.test", IssuerName: "Test Board"}
}

func TestInitAndOpen(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "home")
	if _, err := Init(ctx, dir, initOpts()); err != nil {
		t.Fatal(err)
	}
	h, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if h.Config.Issuer.ID != "in.gov.test" || h.Config.Issuer.Type != "SG" {
		t.Fatalf("config = %+v", h.Config.Issuer)
	}
	for _, f := range []string{SigningKey, APIKeyFile, AadhaarKey} {
		fi, err := os.Stat(h.Path(f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", f, fi.Mode().Perm(), err)
		}
	}
	if fi, _ := os.Stat(h.Path(KeysDir)); fi.Mode().Perm() != 0o700 {
		t.Errorf("keys/ mode %v, want 0700", fi.Mode().Perm())
	}
	if _, err := h.Signer(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Keyring(); err != nil {
		t.Fatal(err)
	}
	// Other users' access to a key is refused with a clear message.
	os.Chmod(h.Path(SigningKey), 0o644)
	if _, err := h.Signer(); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable signing key: %v", err)
	}
}

func TestInitRefusesAndForceKeepsData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := Init(ctx, dir, initOpts()); err != nil {
		t.Fatal(err) // an existing empty directory is fine
	}
	if _, err := Init(ctx, dir, initOpts()); !errors.Is(err, ErrNotEmpty) {
		t.Fatalf("second init: %v, want ErrNotEmpty", err)
	}
	aad, _ := os.ReadFile(filepath.Join(dir, AadhaarKey))
	oldKey, _ := os.ReadFile(filepath.Join(dir, SigningKey))
	o := initOpts()
	o.Force = true
	o.IssuerName = "Renamed Board"
	if _, err := Init(ctx, dir, o); err != nil {
		t.Fatal(err)
	}
	aad2, _ := os.ReadFile(filepath.Join(dir, AadhaarKey))
	newKey, _ := os.ReadFile(filepath.Join(dir, SigningKey))
	if !bytes.Equal(aad, aad2) {
		t.Fatal("--force replaced the Aadhaar key: every encrypted number would be lost")
	}
	if bytes.Equal(oldKey, newKey) {
		t.Fatal("--force did not replace the signing key")
	}
	h, _ := Open(dir)
	if h.Config.Issuer.Name != "Renamed Board" {
		t.Fatalf("config not rewritten: %+v", h.Config.Issuer)
	}
}

func TestInitValidates(t *testing.T) {
	for _, o := range []InitOptions{{IssuerID: "in-gov", IssuerName: "X"}, {IssuerID: "in.gov.x", IssuerName: " "}} {
		dir := filepath.Join(t.TempDir(), "h")
		if _, err := Init(context.Background(), dir, o); err == nil {
			t.Errorf("Init(%+v) succeeded", o)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed Init left %s behind", dir)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(t.TempDir()); err == nil || !strings.Contains(err.Error(), "issuerkit init") {
		t.Fatalf("Open of an empty dir: %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ConfigFile), []byte("issuer: {id: in.gov.x}\nbogus: 1\n"), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("Open of a config with an unknown key: %v", err)
	}
}
