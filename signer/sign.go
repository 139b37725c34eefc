package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
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
	key     crypto.Signer
	chain   []*x509.Certificate
	ctx     *dsig.SigningContext
	backend string
	rsaKey  crypto.Signer // an RSA key through its backend
	dsKey   crypto.Signer // what signs SignedInfo (ECDSA as r||s)
	text    sigText       // SignEnveloped's fixed text
}

// Signature algorithms.
const (
	// AlgRSASHA256 is the default for RSA keys.
	AlgRSASHA256 = "rsa-sha256"
	// AlgRSASHA1 is what DigiLocker's own documents use; issuerkit signs
	// with it only when asked to, for compatibility.
	AlgRSASHA1 = "rsa-sha1"
	// AlgECDSASHA256 is the algorithm of ECDSA P-256 keys.
	AlgECDSASHA256 = "ecdsa-sha256"
)

// Options tune a Signer.
type Options struct {
	// Algorithm is AlgRSASHA256 (default for RSA), AlgRSASHA1 or
	// AlgECDSASHA256 (the only one for ECDSA keys).
	Algorithm string
	// RSABackend chooses how an RSA key from a file signs: BackendAuto
	// (OpenSSL when available, else crypto/rsa), BackendOpenSSL or
	// BackendGo. Both give byte-identical signatures.
	RSABackend string
}

// New returns a Signer for key whose certificate chain (leaf first) goes into
// KeyInfo. The leaf must certify key. RSA keys sign RSA-SHA256 (or RSA-SHA1
// when opts asks for it); ECDSA P-256 keys sign ECDSA-SHA256 with the r||s
// encoding XML-DSig requires.
func New(key crypto.Signer, chain []*x509.Certificate, opts ...Options) (*Signer, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if len(chain) == 0 {
		return nil, errors.New("signer: no certificate")
	}
	if !MatchesKey(chain[0], key) {
		return nil, errors.New("signer: the certificate does not match the signing key")
	}
	hash := crypto.SHA256
	dsKey := key
	var backend string
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		switch o.Algorithm {
		case "", AlgRSASHA256:
		case AlgRSASHA1:
			hash = crypto.SHA1
		default:
			return nil, fmt.Errorf("signer: algorithm %q does not fit an RSA key (want %s or %s)", o.Algorithm, AlgRSASHA256, AlgRSASHA1)
		}
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("signer: RSA key of %d bits is too weak (want 2048 or more)", pub.N.BitLen())
		}
		var err error
		if dsKey, backend, err = rsaBackend(key, o.RSABackend); err != nil {
			return nil, err
		}
	case *ecdsa.PublicKey:
		if o.Algorithm != "" && o.Algorithm != AlgECDSASHA256 {
			return nil, fmt.Errorf("signer: algorithm %q does not fit an ECDSA key (want %s)", o.Algorithm, AlgECDSASHA256)
		}
		if pub.Curve != elliptic.P256() {
			return nil, fmt.Errorf("signer: ECDSA curve %s is not supported (want P-256)", pub.Curve.Params().Name)
		}
		raw, err := newRawECDSASigner(key)
		if err != nil {
			return nil, err
		}
		dsKey, backend = raw, keyBackend(key)
	default:
		return nil, fmt.Errorf("signer: %T keys are not supported (want RSA or ECDSA P-256)", key.Public())
	}
	ders := make([][]byte, len(chain))
	for i, c := range chain {
		ders[i] = c.Raw
	}
	ctx, err := dsig.NewSigningContext(dsKey, ders)
	if err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	ctx.Hash = hash
	ctx.Prefix = "" // <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">, as DigiLocker documents carry it
	ctx.Canonicalizer = newExcC14N()
	sg := &Signer{key: key, chain: chain, ctx: ctx, backend: backend, dsKey: dsKey, text: newSigText(ctx, ders)}
	if _, ok := key.Public().(*rsa.PublicKey); ok {
		sg.rsaKey = dsKey
	}
	return sg, nil
}

// Backend names what computes the signatures: OpenSSL's libcrypto,
// crypto/rsa or crypto/ecdsa, or a PKCS#11 token.
func (s *Signer) Backend() string { return s.backend }

// Certificate returns the signing (leaf) certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.chain[0] }

// Key returns the signing key, for the other signatures made with it (a
// PDF's PAdES signature): a file key (an RSA one through the same backend
// as the XML, OpenSSL when it is in use) or a PKCS#11 token's. Its
// signatures are the standard encodings (DER for ECDSA).
func (s *Signer) Key() crypto.Signer {
	if s.rsaKey != nil {
		return s.rsaKey
	}
	return s.key
}

// Chain returns the certificate chain, leaf first.
func (s *Signer) Chain() []*x509.Certificate { return s.chain }

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
