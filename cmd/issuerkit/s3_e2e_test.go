//go:build integration

package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/samples"
)

func s3Env(t *testing.T, srv *testenv.S3Server) {
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
}

func countS3(t *testing.T, srv *testenv.S3Server, prefix string) int {
	t.Helper()
	s, err := store.OpenS3(context.Background(), store.S3Config{Endpoint: srv.Endpoint, Bucket: srv.Bucket,
		Prefix: prefix, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := s.List(context.Background(), "", func(store.ObjectInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestS3Home(t *testing.T) {
	xmlsec := testenv.Xmlsec1(t)
	srv := testenv.StartS3(t)
	s3Env(t, srv)
	dir := t.TempDir()
	hd := filepath.Join(dir, "home")
	h := "--home=" + hd
	if r := runCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--store", "s3",
		"--s3-endpoint", srv.Endpoint, "--s3-bucket", "nope", "--s3-prefix", "board"); r.code != exitError || !strings.Contains(r.stderr, `bucket "nope" does not exist`) {
		t.Fatalf("init with a missing bucket: exit %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(hd, "issuerkit.yaml")); err == nil {
		t.Fatal("a failed init wrote a config")
	}
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--store", "s3",
		"--s3-endpoint", srv.Endpoint, "--s3-bucket", srv.Bucket, "--s3-prefix", "board")
	cfg, _ := os.ReadFile(filepath.Join(hd, "issuerkit.yaml"))
	if strings.Contains(string(cfg), srv.SecretKey) || !strings.Contains(string(cfg), "type: s3") {
		t.Fatalf("config:\n%s", cfg)
	}
	mustCLI(t, h, "ingest", "--profile", profile, sample)
	if n := countS3(t, srv, "board"); n != 24 {
		t.Fatalf("%d objects in S3, want 24", n)
	}
	r := mustCLI(t, h, "get", "in.gov.cbse-SSCER-75000032025")
	doc := filepath.Join(dir, "doc.xml")
	os.WriteFile(doc, []byte(r.stdout), 0o644)
	if out, err := exec.Command(xmlsec, "--verify", "--trusted-pem", filepath.Join(hd, "keys", "signing.crt"), doc).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1: %v\n%s", err, out)
	}
	r = mustCLI(t, h, "store", "check")
	for _, step := range []string{"connect  OK", "write    OK", "read     OK", "list     OK", "write-once OK", "delete   OK"} {
		if !strings.Contains(r.stdout, step) {
			t.Errorf("store check output lacks %q:\n%s", step, r.stdout)
		}
	}
	if rep := storeCheckJSON(t, h, 0); !rep.OK || len(rep.Steps) != 6 || !strings.Contains(rep.Store, srv.Bucket) {
		t.Errorf("store check --json: %+v", rep)
	}
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if r := runCLI(t, h, "store", "check"); r.code != exitError || !strings.Contains(r.stdout, "access denied") {
		t.Errorf("store check with wrong credentials: exit %d\n%s", r.code, r.stdout)
	}
	if rep := storeCheckJSON(t, h, exitError); rep.OK || len(rep.Steps) == 0 || rep.Steps[len(rep.Steps)-1].OK ||
		!strings.Contains(rep.Steps[len(rep.Steps)-1].Error, "access denied") {
		t.Errorf("store check --json with wrong credentials: %+v", rep)
	}
}

// TestS3KilledMidIngest kills the S3 server during an ingest: the ingest
// must fail with a clear error, and after the server is back the same
// command completes with every document exactly once.
func TestS3KilledMidIngest(t *testing.T) {
	bin := buildBinary(t)
	srv := testenv.StartS3(t)
	s3Env(t, srv)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	mustCLI(t, "--home", home, "init", "--issuer-id", "in.gov.test", "--issuer-name", "Test Board", "--store", "s3",
		"--s3-endpoint", srv.Endpoint, "--s3-bucket", srv.Bucket, "--s3-prefix", "p")
	input := filepath.Join(dir, "in.csv")
	f, _ := os.Create(input)
	(samples.Options{Rows: 3000, Seed: 51}).WriteCSV(f)
	f.Close()
	args := []string{"--home", home, "ingest", "--quiet", "--profile", profile, input}
	cmd := exec.Command(bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForDocuments(t, home)
	srv.Kill()
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitError {
		t.Fatalf("ingest with the S3 server killed: exit %d, want %d\n%s", code, exitError, stderr.String())
	}
	if !strings.Contains(stderr.String(), "s3 ") || !strings.Contains(stderr.String(), "unreachable") {
		t.Errorf("unclear error: %q", stderr.String())
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "resumed the batch") {
		t.Errorf("rerun did not resume: %s", out)
	}
	checkCatalogOnce(t, home, 3000)
	if n := countS3(t, srv, "p"); n != 3000 {
		t.Fatalf("%d objects in S3 after the rerun, want 3000", n)
	}
}

func TestStoreMigrateToS3(t *testing.T) {
	srv := testenv.StartS3(t)
	s3Env(t, srv)
	dir := t.TempDir()
	h := "--home=" + filepath.Join(dir, "home")
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE")
	mustCLI(t, h, "ingest", "--profile", profile, sample)
	before := mustCLI(t, h, "get", "in.gov.cbse-SSCER-75000032025").stdout
	r := mustCLI(t, h, "store", "migrate", "--to", "s3", "--s3-endpoint", srv.Endpoint, "--s3-bucket", srv.Bucket, "--s3-prefix", "migrated")
	if !strings.Contains(r.stdout, "copied and verified 24 objects") {
		t.Fatalf("migrate: %s", r.stdout)
	}
	if n := countS3(t, srv, "migrated"); n != 24 {
		t.Fatalf("%d objects in S3, want 24", n)
	}
	// The home now reads from S3: move the fs store away to be sure.
	os.Rename(filepath.Join(dir, "home", "store"), filepath.Join(dir, "old-store"))
	if after := mustCLI(t, h, "get", "in.gov.cbse-SSCER-75000032025").stdout; after != before {
		t.Fatal("the document read from S3 differs")
	}
	if r := runCLI(t, h, "store", "migrate", "--to", "s3", "--s3-endpoint", srv.Endpoint, "--s3-bucket", srv.Bucket); r.code != exitError || !strings.Contains(r.stderr, "already s3") {
		t.Fatalf("second migrate: exit %d %q", r.code, r.stderr)
	}
}

func TestCorruptObjectNotServed(t *testing.T) {
	dir := t.TempDir()
	hd := filepath.Join(dir, "home")
	h := "--home=" + hd
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE")
	mustCLI(t, h, "ingest", "--profile", profile, sample)
	obj := filepath.Join(hd, "store", "in.gov.cbse", "SSCER", "75000032025", "v1.xml")
	b, err := os.ReadFile(obj)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(obj, append(b, ' '), 0o640)
	r := runCLI(t, h, "get", "in.gov.cbse-SSCER-75000032025")
	if r.code != exitError || r.stdout != "" || !strings.Contains(r.stderr, "corrupt") {
		t.Fatalf("get of a corrupt object: exit %d, %d bytes out, %q", r.code, len(r.stdout), r.stderr)
	}
}

// storeCheckJSON runs `store check --json` on home h, wants exit code
// want, and returns its one object.
func storeCheckJSON(t *testing.T, h string, want int) checkReport {
	t.Helper()
	r := runCLI(t, h, "store", "check", "--json")
	var rep checkReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != want {
		t.Fatalf("store check --json: exit %d (want %d), %v\n%s", r.code, want, err, r.stdout)
	}
	return rep
}
