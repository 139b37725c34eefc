package main

import (
	"fmt"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/home"
)

// pdfSigner is the home's signing key (a file or a PKCS#11 token) and
// certificate chain, as the signer of its PDFs: the same key signs the XML
// documents and their printable copies.
func pdfSigner(h *home.Home) (*docpdf.Signer, error) {
	s, err := h.Signer()
	if err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	return docpdf.NewSigner(s.Key(), s.Chain())
}
