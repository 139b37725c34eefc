package docpdf

import (
	"crypto"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/signer"
)

// issueCert makes a certificate for key signed by parent (self-signed when nil).
// issueCert makes a certificate for key that can sign PDFs (content
// commitment) and, when ca, certificates.
func issueCert(t *testing.T, key crypto.Signer, cn string, ca bool, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	return testenv.IssueCert(t, key, cn, ca, parent, parentKey, time.Now().Add(24*time.Hour),
		x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign|x509.KeyUsageContentCommitment)
}

// TestSignedPDFCarriesChain: a key certified by an issuing CA under a root
// signs PDFs whose signature carries the chain: Verify with only the root
// as anchor builds it, pdfsig reads the signer, and openssl verifies with
// the root alone.
func TestSignedPDFCarriesChain(t *testing.T) {
	rootKey, _ := signer.GenerateKey(signer.ECDSAP256)
	root := issueCert(t, rootKey, "Test Root CA", true, nil, nil)
	interKey, _ := signer.GenerateKey(signer.ECDSAP256)
	inter := issueCert(t, interKey, "Test Issuing CA", true, root, rootKey)
	leafKey, _ := signer.GenerateKey(signer.RSA2048)
	leaf := issueCert(t, leafKey, "CBSE document signing 2026", false, inter, interKey)
	s, err := NewSigner(leafKey, []*x509.Certificate{leaf, inter})
	if err != nil {
		t.Fatal(err)
	}
	r := &Renderer{Fonts: testFonts(t), VerifyURL: "https://x.gov.in", Signer: s}
	pdf, err := r.Render(sampleDoc(t, "Meera Nair"), testURI)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(root)
	if v, err := (&Verifier{Roots: roots}).Verify(pdf); err != nil || !v.Cert.Equal(leaf) {
		t.Fatalf("Verify with the root as anchor: %v", err)
	}
	interAnchor := x509.NewCertPool()
	interAnchor.AddCert(inter)
	if _, err := (&Verifier{Roots: interAnchor}).Verify(pdf); err != nil {
		t.Fatalf("Verify with the issuing CA as anchor: %v", err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "doc.pdf")
	os.WriteFile(path, pdf, 0o644)
	testenv.CheckPdfsig(t, path, "CBSE document signing 2026")
	opensslCMS(t, dir, pdf, root)
	if out := testenv.Pdfsig(t, path); !strings.Contains(out, "CN=CBSE document signing 2026") {
		t.Errorf("pdfsig:\n%s", out)
	}
}
