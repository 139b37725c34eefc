//go:build integration && cgo

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/signer"
)

// TestPKCS11Home: a home whose signing key lives in a PKCS#11 token
// (SoftHSM2). keys import records the URI; ingest, run as its own process,
// signs through the token; xmlsec1 verifies what it signed.
func TestPKCS11Home(t *testing.T) {
	xmlsec := testenv.Xmlsec1(t)
	bin := buildBinary(t)
	hsm, home, certPath := tokenHome(t, "rsa2048", "board-signing")
	uri := hsm.URI("board-signing")

	if r := runCLI(t, "--home", home, "keys", "import", "--cert", certPath, "--pkcs11", uri+"&pin-value=4321"); r.code != exitUsage || !strings.Contains(r.stderr, "pin-source") {
		t.Fatalf("a PIN in the URI: exit %d %s", r.code, r.stderr)
	}
	if r := runCLI(t, "--home", home, "keys", "import", "--cert", certPath, "--pkcs11", hsm.URI("no-such-key")); r.code != exitError || !strings.Contains(r.stderr, "no such key pair") {
		t.Fatalf("a missing key: exit %d %s", r.code, r.stderr)
	}
	r := mustCLI(t, "--home", home, "keys", "import", "--cert", certPath, "--pkcs11", uri)
	if !strings.Contains(r.stdout, "never leaves the token") || strings.Contains(r.stdout, hsm.PIN) {
		t.Fatalf("keys import said %q", r.stdout)
	}
	cfg, _ := os.ReadFile(filepath.Join(home, "issuerkit.yaml"))
	if !strings.Contains(string(cfg), "pkcs11:token=") {
		t.Fatalf("the config does not name the token:\n%s", cfg)
	}

	out, err := exec.Command(bin, "--home", home, "ingest", "--quiet", "--profile", profile, sample).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "issued 24") {
		t.Fatalf("ingest through the token: %v\n%s", err, out)
	}
	doc, err := exec.Command(bin, "--home", home, "get", "--doctype", "SSCER", "--roll", "7500003", "--year", "2025").Output()
	if err != nil {
		t.Fatal(err)
	}
	docPath := filepath.Join(filepath.Dir(home), "doc.xml")
	os.WriteFile(docPath, doc, 0o644)
	if out, err := exec.Command(xmlsec, "--verify", "--trusted-pem", certPath, docPath).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 rejects a document signed in the token: %v\n%s", err, out)
	}

	// Without a readable PIN the token cannot be used, and ingest says so.
	os.Chmod(hsm.PINFile, 0o644)
	out, err = exec.Command(bin, "--home", home, "ingest", "--quiet", "--profile", profile, sample).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "chmod 600") {
		t.Fatalf("ingest with a world-readable PIN file: %v\n%s", err, out)
	}
}

// tokenHome makes a home whose signing key is a new key pair of kind on a
// fresh SoftHSM2 token, labelled label, with a self-signed certificate
// (certPath), not yet imported into the home; it returns the token, the
// home and the certificate file.
func tokenHome(t *testing.T, kind, label string) (hsm *testenv.SoftHSM, home, certPath string) {
	t.Helper()
	hsm = testenv.StartSoftHSM(t)
	onToken := hsm.GenerateKey(t, kind, label)
	cert, err := signer.SelfSignedCert(onToken, "CBSE (HSM key)", "CBSE", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	hsm.Close()
	dir := t.TempDir()
	certPath = filepath.Join(dir, "board.crt")
	os.WriteFile(certPath, signer.MarshalCertsPEM(cert), 0o644)
	home = filepath.Join(dir, "home")
	mustCLI(t, "--home", home, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE")
	return hsm, home, certPath
}
