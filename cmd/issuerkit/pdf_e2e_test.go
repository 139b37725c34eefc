//go:build integration

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/signer"
)

// TestSignedPDFs: `get --format pdf` prints a PDF signed by the home's
// key (pdfsig: valid, whole document, the home's certificate) for RSA and
// ECDSA keys; `verify FILE.pdf` checks its signature against the home's
// certificate, --cert or --ca, and its status against the catalog; a
// changed byte fails; a revoked document's new PDF says so and is signed
// anew.
func TestSignedPDFs(t *testing.T) {
	pdftotext := testenv.Tool(t, "pdftotext", "poppler-utils")
	for _, kt := range []string{"rsa2048", "ecdsa-p256"} {
		t.Run(kt, func(t *testing.T) {
			dir := t.TempDir()
			hd := filepath.Join(dir, "home")
			h := "--home=" + hd
			mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--key-type", kt)
			mustCLI(t, h, "ingest", "--quiet", "--profile", profile, sample)
			const uri = "in.gov.cbse-SSCER-75000032025"
			certPath := filepath.Join(hd, "keys", "signing.crt")
			certs, err := signer.LoadCertsFile(certPath)
			if err != nil {
				t.Fatal(err)
			}
			pdf := mustCLI(t, h, "get", uri, "--format", "pdf").stdout
			good := filepath.Join(dir, "good.pdf")
			os.WriteFile(good, []byte(pdf), 0o644)
			testenv.CheckPdfsig(t, good, certs[0].Subject.CommonName)

			for _, args := range [][]string{{h, "verify"}, {h, "verify", "--cert", certPath}, {"verify", "--ca", certPath}} {
				if r := runCLI(t, append(args, good)...); r.code != 0 || r.stdout != "OK "+good+"\n" {
					t.Errorf("verify %v: exit %d %s %s", args, r.code, r.stdout, r.stderr)
				}
			}
			other := filepath.Join(dir, "other.crt")
			mustCLI(t, "--home="+filepath.Join(dir, "other"), "init", "--issuer-id", "in.gov.other", "--issuer-name", "Other")
			os.Rename(filepath.Join(dir, "other", "keys", "signing.crt"), other)
			if r := runCLI(t, "verify", "--cert", other, good); r.code != exitError || !strings.Contains(r.stdout, "not trusted") {
				t.Errorf("verify --cert another certificate: exit %d %s", r.code, r.stdout)
			}
			bad := []byte(pdf)
			i := strings.Index(pdf, "/Producer (issuerkit)") + len("/Producer (")
			bad[i] = 'J'
			badPath := filepath.Join(dir, "bad.pdf")
			os.WriteFile(badPath, bad, 0o644)
			if r := runCLI(t, h, "verify", badPath); r.code != exitError || !strings.Contains(r.stdout, "FAIL "+badPath+": ") {
				t.Errorf("verify a changed PDF: exit %d %s", r.code, r.stdout)
			}
			if out := testenv.Pdfsig(t, badPath); strings.Contains(out, "Signature is Valid") {
				t.Errorf("pdfsig accepts a changed PDF:\n%s", out)
			}

			mustCLI(t, h, "revoke", uri, "--reason", "issued in error")
			revokedPDF := mustCLI(t, h, "get", uri, "--format", "pdf").stdout
			revoked := filepath.Join(dir, "revoked.pdf")
			os.WriteFile(revoked, []byte(revokedPDF), 0o644)
			testenv.CheckPdfsig(t, revoked, certs[0].Subject.CommonName)
			text, err := exec.Command(pdftotext, "-enc", "UTF-8", revoked, "-").Output()
			if err != nil || !strings.Contains(string(text), "THIS DOCUMENT IS REVOKED") {
				t.Errorf("the revoked version's PDF has no banner (%v):\n%s", err, text)
			}
			if bytes.Equal(sigContents(pdf), sigContents(revokedPDF)) {
				t.Error("the revoked version's PDF carries the first version's signature")
			}
			if r := runCLI(t, h, "verify", revoked); r.code != exitError || !strings.Contains(r.stdout, "status is R (revoked)") {
				t.Errorf("verify the revoked version's PDF: exit %d %s", r.code, r.stdout)
			}
			if r := runCLI(t, h, "verify", good); r.code != exitError || !strings.Contains(r.stdout, "the issuer has revoked "+uri) {
				t.Errorf("verify the first PDF after the revocation: exit %d %s", r.code, r.stdout)
			}
		})
	}
}

// sigContents is the /Contents hex string of a PDF's signature.
func sigContents(pdf string) []byte {
	i := strings.Index(pdf, "/Contents <")
	if i < 0 {
		return nil
	}
	j := strings.IndexByte(pdf[i:], '>')
	return []byte(pdf[i : i+j])
}
