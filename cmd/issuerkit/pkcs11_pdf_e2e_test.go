//go:build integration && cgo

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestPKCS11PDF: a home whose key is in a PKCS#11 token (SoftHSM2) prints
// PDFs signed in the token, which pdfsig and `verify` accept; with a wrong
// PIN `get --format pdf` fails with the reason and prints no PDF.
func TestPKCS11PDF(t *testing.T) {
	bin := buildBinary(t)
	hsm, home, certPath := tokenHome(t, "ecdsa-p256", "board-pdf")
	mustCLI(t, "--home", home, "keys", "import", "--cert", certPath, "--pkcs11", hsm.URI("board-pdf"))
	if out, err := exec.Command(bin, "--home", home, "ingest", "--quiet", "--profile", profile, sample).CombinedOutput(); err != nil {
		t.Fatalf("ingest through the token: %v\n%s", err, out)
	}
	pdf, err := exec.Command(bin, "--home", home, "get", "in.gov.cbse-SSCER-75000032025", "--format", "pdf").Output()
	if err != nil {
		t.Fatalf("get --format pdf: %v", err)
	}
	path := filepath.Join(filepath.Dir(home), "doc.pdf")
	os.WriteFile(path, pdf, 0o644)
	testenv.CheckPdfsig(t, path, "CBSE (HSM key)")
	if out, err := exec.Command(bin, "--home", home, "verify", path).CombinedOutput(); err != nil || string(out) != "OK "+path+"\n" {
		t.Errorf("verify a PDF signed in the token: %v %s", err, out)
	}

	os.WriteFile(hsm.PINFile, []byte("9999\n"), 0o600)
	cmd := exec.Command(bin, "--home", home, "get", "in.gov.cbse-SSCER-75000032025", "--format", "pdf")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil || len(out) != 0 || !strings.Contains(stderr.String(), "PIN") {
		t.Fatalf("get --format pdf with a wrong PIN: %v, %d bytes on stdout, stderr %q", err, len(out), stderr.String())
	}
	t.Logf("a wrong PIN: %s", stderr.String())
}
