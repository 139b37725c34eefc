//go:build integration

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/urfave/cli/v2"
	"software.sslmate.com/src/go-pkcs12"
)

type cliResult struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"issuerkit"}, args...), &out, &errb)
	return cliResult{code, out.String(), errb.String()}
}

func mustCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	r := runCLI(t, args...)
	if r.code != 0 {
		t.Fatalf("issuerkit %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

const (
	profile = "../../samples/profiles/cbse-sscer.yaml"
	sample  = "../../samples/cbse-sscer-2025.csv"
)

func TestEndToEnd(t *testing.T) {
	xmlsec := testenv.Xmlsec1(t)
	dir := t.TempDir()
	hd := filepath.Join(dir, "home")
	h := "--home=" + hd
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "Central Board of Secondary Education", "--issuer-type", "CG")
	for _, f := range []string{"keys/signing.key", "keys/api-key", "keys/aadhaar.key"} {
		fi, err := os.Stat(filepath.Join(hd, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", f, fi.Mode().Perm(), err)
		}
	}
	if r := runCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "X"); r.code != exitUsage || !strings.Contains(r.stderr, "--force") {
		t.Errorf("init over an existing home: exit %d, %q", r.code, r.stderr)
	}

	r := mustCLI(t, h, "ingest", "--json", "--profile", profile, sample)
	var sum map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil {
		t.Fatalf("ingest --json output %q: %v", r.stdout, err)
	}
	for k, want := range map[string]float64{"read": 24, "issued": 24, "updated": 0, "unchanged": 0, "rejected": 0} {
		if sum[k] != want {
			t.Errorf("summary %s = %v, want %v", k, sum[k], want)
		}
	}
	r = mustCLI(t, h, "ingest", "--profile", profile, sample)
	if !strings.Contains(r.stdout, "unchanged 24") {
		t.Errorf("re-ingest: %q, want unchanged 24", r.stdout)
	}
	if rep := storeCheckJSON(t, h, 0); !rep.OK || len(rep.Steps) != 6 || rep.Steps[0].Name != "connect" {
		t.Errorf("store check --json on the fs store: %+v", rep)
	}

	// Every document the sample produced verifies with xmlsec1.
	var docs []string
	filepath.WalkDir(filepath.Join(hd, "store"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			docs = append(docs, p)
		}
		return err
	})
	if len(docs) != 24 {
		t.Fatalf("store holds %d documents, want 24", len(docs))
	}
	cert := filepath.Join(hd, "keys", "signing.crt")
	for _, d := range docs {
		if out, err := exec.Command(xmlsec, "--verify", "--trusted-pem", cert, d).CombinedOutput(); err != nil {
			t.Errorf("xmlsec1 rejects %s: %v\n%s", d, err, out)
		}
	}

	// Fetch by roll and year, verify, tamper with one character.
	r = mustCLI(t, h, "get", "--doctype", "SSCER", "--roll", "7500003", "--year", "2025")
	if !strings.Contains(r.stdout, `number="75000032025"`) {
		t.Fatalf("get returned %.200q", r.stdout)
	}
	byURI := mustCLI(t, h, "get", "in.gov.cbse-SSCER-75000032025")
	if byURI.stdout != r.stdout {
		t.Error("get by URI and by roll+year differ")
	}
	good := filepath.Join(dir, "good.xml")
	os.WriteFile(good, []byte(r.stdout), 0o644)
	i := strings.Index(r.stdout, `marksTheory="`) + len(`marksTheory="`)
	c := byte('1')
	if r.stdout[i] == '1' {
		c = '2'
	}
	bad := filepath.Join(dir, "bad.xml")
	os.WriteFile(bad, []byte(r.stdout[:i]+string(c)+r.stdout[i+1:]), 0o644)
	v := runCLI(t, h, "verify", good, bad)
	if v.code != exitError || !strings.Contains(v.stdout, "OK "+good) || !strings.Contains(v.stdout, "FAIL "+bad+": ") {
		t.Errorf("verify good+bad: exit %d\n%s", v.code, v.stdout)
	}
	// --json: one object a file, in order, the same exit code.
	v = runCLI(t, h, "verify", "--json", good, bad)
	type result struct {
		File   string `json:"file"`
		OK     bool   `json:"ok"`
		Reason string `json:"reason"`
	}
	var res []result
	for _, ln := range strings.Split(strings.TrimSpace(v.stdout), "\n") {
		var r result
		if err := json.Unmarshal([]byte(ln), &r); err != nil {
			t.Fatalf("verify --json line %q: %v", ln, err)
		}
		res = append(res, r)
	}
	if v.code != exitError || len(res) != 2 || res[0].File != good || !res[0].OK || res[1].File != bad || res[1].OK || res[1].Reason == "" {
		t.Errorf("verify --json good+bad: exit %d %+v", v.code, res)
	}
	if v := runCLI(t, "verify", "--cert", cert, good); v.code != 0 {
		t.Errorf("verify --cert without a home: exit %d %s", v.code, v.stderr)
	}
	// The home's self-signed certificate as a trust anchor; another home's
	// certificate is not one.
	if v := runCLI(t, "verify", "--ca", cert, good); v.code != 0 || !strings.Contains(v.stdout, "OK "+good) {
		t.Errorf("verify --ca: exit %d %s %s", v.code, v.stdout, v.stderr)
	}
	other := filepath.Join(dir, "other")
	mustCLI(t, "--home", other, "init", "--issuer-id", "in.gov.other", "--issuer-name", "Other")
	if v := runCLI(t, "verify", "--ca", filepath.Join(other, "keys", "signing.crt"), good); v.code != exitError || !strings.Contains(v.stdout, "untrusted chain") {
		t.Errorf("verify --ca with another anchor: exit %d %s", v.code, v.stdout)
	}
	if v := runCLI(t, "verify", "--ca", cert, "--cert", cert, good); v.code != exitUsage {
		t.Errorf("verify --ca and --cert: exit %d", v.code)
	}
	if out, err := exec.Command(xmlsec, "--verify", "--trusted-pem", cert, bad).CombinedOutput(); err == nil {
		t.Errorf("xmlsec1 accepted the tampered document:\n%s", out)
	}

	// status --json has the CONTRACT shape.
	r = mustCLI(t, h, "status", "--json")
	var st struct {
		Documents int            `json:"documents"`
		ByStatus  map[string]int `json:"by_status"`
		Outbox    map[string]int `json:"outbox"`
		Batches   []any          `json:"batches"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatal(err)
	}
	if st.Documents != 24 || st.ByStatus["A"] != 24 || st.Outbox["pending"] != 24 || len(st.Batches) != 2 {
		t.Errorf("status --json = %s", r.stdout)
	}

	// No Aadhaar from the sample appears in clear anywhere in the home.
	csvBytes, _ := os.ReadFile(sample)
	lines := strings.Split(strings.TrimSpace(string(csvBytes)), "\n")[1:]
	filepath.WalkDir(hd, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, ln := range lines {
			uid := strings.Split(ln, ",")[8]
			if uid != "" && bytes.Contains(b, []byte(uid)) {
				t.Errorf("%s holds an Aadhaar number in clear", p)
			}
		}
		return nil
	})
}

// TestECDSAHome issues with an ECDSA P-256 home; xmlsec1 checks the result.
func TestECDSAHome(t *testing.T) {
	xmlsec := testenv.Xmlsec1(t)
	dir := t.TempDir()
	hd := filepath.Join(dir, "home")
	h := "--home=" + hd
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--key-type", "ecdsa-p256")
	mustCLI(t, h, "ingest", "--profile", profile, sample)
	r := mustCLI(t, h, "get", "in.gov.cbse-SSCER-75000032025")
	if !strings.Contains(r.stdout, "ecdsa-sha256") {
		t.Fatal("document is not ECDSA-signed")
	}
	doc := filepath.Join(dir, "doc.xml")
	os.WriteFile(doc, []byte(r.stdout), 0o644)
	mustCLI(t, h, "verify", doc)
	if out, err := exec.Command(xmlsec, "--verify", "--trusted-pem", filepath.Join(hd, "keys", "signing.crt"), doc).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 rejects the ECDSA document: %v\n%s", err, out)
	}
}

// TestKeysImport installs an issuer's own key from a PKCS#12 bundle: a
// wrong passphrase changes nothing; then new documents carry the imported
// certificate and verify with it.
func TestKeysImport(t *testing.T) {
	dir := t.TempDir()
	hd := filepath.Join(dir, "home")
	h := "--home=" + hd
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE")
	before, _ := os.ReadFile(filepath.Join(hd, "keys", "signing.key"))
	key, err := signer.GenerateKey(signer.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := signer.SelfSignedCert(key, "CBSE Document Signer 2026", "CBSE", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p12, err := pkcs12.Modern.Encode(key, cert, nil, "board-pass")
	if err != nil {
		t.Fatal(err)
	}
	p12Path := filepath.Join(dir, "board.p12")
	os.WriteFile(p12Path, p12, 0o600)
	t.Setenv("ISSUERKIT_KEY_PASSPHRASE", "wrong")
	if r := runCLI(t, h, "keys", "import", "--key", p12Path); r.code != exitError || !strings.Contains(r.stderr, "board.p12") || !strings.Contains(r.stderr, "passphrase") {
		t.Fatalf("wrong passphrase: exit %d %q", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(filepath.Join(hd, "keys", "signing.key")); !bytes.Equal(before, after) {
		t.Fatal("a failed import changed the signing key")
	}
	passFile := filepath.Join(dir, "pass")
	os.WriteFile(passFile, []byte("board-pass\n"), 0o600)
	r := mustCLI(t, h, "keys", "import", "--key", p12Path, "--passphrase-file", passFile)
	if !strings.Contains(r.stdout, "CBSE Document Signer 2026") {
		t.Fatalf("import output: %s", r.stdout)
	}
	if baks, _ := filepath.Glob(filepath.Join(hd, "keys", "signing.key.*.bak")); len(baks) != 1 {
		t.Fatalf("previous key not kept: %v", baks)
	}
	mustCLI(t, h, "ingest", "--profile", profile, sample)
	doc := filepath.Join(dir, "doc.xml")
	os.WriteFile(doc, []byte(mustCLI(t, h, "get", "in.gov.cbse-SSCER-75000032025").stdout), 0o644)
	certPath := filepath.Join(dir, "imported.crt")
	os.WriteFile(certPath, signer.MarshalCertsPEM(cert), 0o644)
	if r := runCLI(t, "verify", "--cert", certPath, doc); r.code != 0 {
		t.Fatalf("document not signed with the imported key: %s", r.stdout)
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	h := "--home=" + filepath.Join(dir, "home")
	mustCLI(t, h, "init", "--issuer-id", "in.gov.test", "--issuer-name", "Test Board")
	bad := filepath.Join(dir, "bad.csv")
	mustCLI(t, "samples", "gen", "--rows", "40", "--seed", "11", "--bad-rate", "0.3", "--out", bad)
	rej := filepath.Join(dir, "rej.csv")
	r := runCLI(t, h, "ingest", "--profile", profile, "--rejects", rej, bad)
	if r.code != exitRejected || !strings.Contains(r.stdout, "rejected rows are in "+rej) {
		t.Errorf("ingest with bad rows: exit %d %q", r.code, r.stdout)
	}
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"unknown flag", []string{h, "ingest", "--bogus"}, exitUsage, "flag provided but not defined"},
		{"no input", []string{h, "ingest", "--profile", profile}, exitUsage, "INPUT"},
		{"missing required flag", []string{h, "init"}, exitUsage, "Required flag"},
		{"bad log level", []string{h, "--log-level", "loud", "status"}, exitUsage, "--log-level"},
		{"no home", []string{"--home", filepath.Join(dir, "nope"), "status"}, exitError, "issuerkit init"},
		{"missing input file", []string{h, "ingest", "--profile", profile, filepath.Join(dir, "missing.csv")}, exitError, "no such file"},
		{"bad profile", []string{h, "ingest", "--profile", sample, bad}, exitError, "profile"},
		{"unknown document", []string{h, "get", "in.gov.test-SSCER-1"}, exitError, "no document"},
		{"bad uri", []string{h, "get", "nonsense"}, exitUsage, "invalid document URI"},
		{"json error", []string{h, "get", "--json", "x"}, exitUsage, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("exit %d stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.msg)
			}
		})
	}
}

func TestHelpHasExamples(t *testing.T) {
	// Every command that does something (a leaf of the command tree) shows
	// an example in its --help.
	var walk func(path []string, cmds []*cli.Command)
	n := 0
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string{}, path...), c.Name)
			if len(c.Subcommands) > 0 {
				walk(p, c.Subcommands)
				continue
			}
			if c.Name == "help" {
				continue
			}
			n++
			r := mustCLI(t, append(p, "--help")...)
			if !strings.Contains(r.stdout, "Example") {
				t.Errorf("issuerkit %s --help has no example:\n%s", strings.Join(p, " "), r.stdout)
			}
		}
	}
	walk(nil, newApp(&env{stdout: io.Discard, stderr: io.Discard}).Commands)
	if n < 20 {
		t.Fatalf("walked %d commands", n)
	}
}

func TestSamplesGenDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	mustCLI(t, "samples", "gen", "--rows", "24", "--seed", "2025", "--out", a)
	mustCLI(t, "samples", "gen", "--rows", "24", "--seed", "2025", "--out", b)
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	committed, _ := os.ReadFile(sample)
	if !bytes.Equal(ab, bb) || !bytes.Equal(ab, committed) {
		t.Fatal("samples gen is not deterministic, or samples/cbse-sscer-2025.csv is not its seed-2025 output")
	}
}
