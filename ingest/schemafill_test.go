package ingest_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/ingest"
)

// TestRenderChangeKeepsUnchanged: a profile whose rendering changes (an
// added attribute) leaves re-ingested data unchanged — the content hash is
// over the record's values — and raising the profile's revision re-issues
// every document on purpose.
func TestRenderChangeKeepsUnchanged(t *testing.T) {
	f := newFixture(t)
	base, err := os.ReadFile("../samples/profiles/cbse-sscer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	load := func(src string) *ingest.Profile {
		path := filepath.Join(t.TempDir(), "p.yaml")
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		p, err := ingest.LoadProfile(path)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := context.Background()
	in := []string{"../samples/cbse-sscer-2025.csv"}
	f.prof = load(string(base))
	if s, err := f.run(t, ctx, in, nil); err != nil || s.Issued != 24 {
		t.Fatalf("first ingest: %+v %v", s, err)
	}
	changed := strings.Replace(string(base), `    swd: "{FatherName}"`, "    swd: \"{FatherName}\"\n    title: \"\"", 1)
	if changed == string(base) {
		t.Fatal("the profile edit did not apply")
	}
	f.prof = load(changed)
	if s, err := f.run(t, ctx, in, nil); err != nil || s.Unchanged != 24 {
		t.Fatalf("after a rendering change: %+v %v; want 24 unchanged", s, err)
	}
	f.prof = load(changed + "\nrevision: 1\n")
	if s, err := f.run(t, ctx, in, nil); err != nil || s.Updated != 24 {
		t.Fatalf("after raising the revision: %+v %v; want 24 updated", s, err)
	}
}

// TestProfileCannotProduceRequired: a profile that cannot produce a value
// the official schema requires is refused at load, naming the element and
// the attribute.
func TestProfileCannotProduceRequired(t *testing.T) {
	base, err := os.ReadFile("../samples/profiles/cbse-sscer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	noSWD := strings.Replace(string(base), `    swd: "{FatherName}"`+"\n", "", 1)
	_, err = ingest.ParseProfile([]byte(noSWD))
	if err == nil || !strings.Contains(err.Error(), "Certificate/IssuedTo/Person/@swd") || !strings.Contains(err.Error(), "AcademicCertificateSchema") {
		t.Fatalf("err = %v, want one naming Certificate/IssuedTo/Person/@swd", err)
	}
}
