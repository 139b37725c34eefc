//go:build cgo

package docpdf

import (
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestSignedPDFWithHSMKey: keys in a PKCS#11 token (SoftHSM2) sign PDFs
// that verify the same way as a file key's; the key never leaves the
// token.
func TestSignedPDFWithHSMKey(t *testing.T) {
	hsm := testenv.StartSoftHSM(t)
	fs := testFonts(t)
	for _, kind := range []string{"rsa2048", "ecdsa-p256"} {
		t.Run(kind, func(t *testing.T) {
			s, cert := signerFor(t, hsm.GenerateKey(t, kind, "pdf-"+kind), "CBSE HSM key ("+kind+")")
			r := &Renderer{Fonts: fs, VerifyURL: "https://results.example.gov.in", Signer: s}
			pdf, err := r.Render(sampleDoc(t, "Meera Nair"), testURI)
			if err != nil {
				t.Fatal(err)
			}
			checkSignedPDF(t, pdf, cert)
		})
	}
}
