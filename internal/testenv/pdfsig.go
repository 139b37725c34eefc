package testenv

import (
	"os/exec"
	"strings"
	"testing"
)

// Pdfsig runs poppler's pdfsig on a PDF file and returns what it printed
// (pdfsig exits non-zero for an invalid signature, so the exit status is
// not an error here), or skips/fails t when pdfsig is not installed.
func Pdfsig(t testing.TB, path string) string {
	t.Helper()
	bin := Tool(t, "pdfsig", "poppler-utils")
	out, err := exec.Command(bin, path).CombinedOutput()
	if _, exited := err.(*exec.ExitError); err != nil && !exited {
		t.Fatalf("pdfsig: %v", err)
	}
	return string(out)
}

// CheckPdfsig fails t unless pdfsig finds exactly one PAdES signature in
// the PDF at path, valid, covering the whole document, made by the
// certificate whose common name is signerCN.
func CheckPdfsig(t testing.TB, path, signerCN string) {
	t.Helper()
	out := Pdfsig(t, path)
	for _, want := range []string{
		"Signature #1:",
		"Signer Certificate Common Name: " + signerCN + "\n",
		"Signature Type: ETSI.CAdES.detached",
		"Signing Hash Algorithm: SHA-256",
		"Total document signed",
		"Signature Validation: Signature is Valid.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pdfsig does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Signature #2") || strings.Contains(out, "Not total document signed") {
		t.Errorf("pdfsig:\n%s", out)
	}
}
