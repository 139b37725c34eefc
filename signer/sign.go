package signer

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Signer signs documents with one key and certificate chain. It is safe for
// concurrent use.
type Signer struct {
	key   crypto.Signer
	chain []*x509.Certificate
	ctx   *dsig.SigningContext
}

// New returns a Signer for key whose certificate chain (leaf first) goes into
// KeyInfo. The leaf must certify key. Only RSA keys with RSA-SHA256 are
// supported so far.
func New(key crypto.Signer, chain []*x509.Certificate) (*Signer, error) {
	if len(chain) == 0 {
		return nil, errors.New("signer: no certificate")
	}
	if !MatchesKey(chain[0], key) {
		return nil, errors.New("signer: the certificate does not match the signing key")
	}
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("signer: %T keys are not supported yet (use an RSA key)", key.Public())
	}
	ders := make([][]byte, len(chain))
	for i, c := range chain {
		ders[i] = c.Raw
	}
	ctx, err := dsig.NewSigningContext(key, ders)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	ctx.Hash = crypto.SHA256
	ctx.Prefix = "" // <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">, as DigiLocker documents carry it
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	return &Signer{key: key, chain: chain, ctx: ctx}, nil
}

// Certificate returns the signing (leaf) certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.chain[0] }

// Sign appends an enveloped signature to doc's root as its last child. The
// root must not have an ID attribute, so the reference is URI="" and covers
// the whole document.
func (s *Signer) Sign(doc *etree.Document) error {
	root := doc.Root()
	if root == nil {
		return errors.New("sign: document has no root element")
	}
	if root.SelectAttr(s.ctx.IdAttribute) != nil {
		return fmt.Errorf("sign: root element has an %s attribute; the reference must be URI=\"\"", s.ctx.IdAttribute)
	}
	// ConstructSignature + AddChild is SignEnveloped without its deep copy
	// of the whole tree: the caller owns doc.
	sig, err := s.ctx.ConstructSignature(root, true)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	root.AddChild(sig)
	return nil
}
