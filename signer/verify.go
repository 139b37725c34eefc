package signer

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Verifier checks signed documents against pinned certificates, or against
// trust anchors with chain building.
type Verifier struct {
	// Trusted holds the certificates a document's signing certificate must
	// equal exactly (pinning).
	Trusted []*x509.Certificate
	// Roots, when set, are trust anchors instead: the signing certificate
	// must chain to one of them through the certificates in KeyInfo, and
	// every certificate of the chain must be valid at Now.
	Roots *x509.CertPool
	// Now is the time certificates must be valid at; zero means time.Now.
	Now time.Time
}

// Verified is what a successful verification yields.
type Verified struct {
	// Root is the signed Certificate element rebuilt from the exact bytes the
	// signature covers. Callers must read data only from Root, never from the
	// document they passed in.
	Root *etree.Element
	// Cert is the certificate that signed it.
	Cert *x509.Certificate
}

// Failure reasons, wrapped by the errors Verify returns.
var (
	ErrMalformed     = errors.New("not a well-formed document")
	ErrForbiddenXML  = errors.New("document has a DTD, entity or other directive")
	ErrNotEnveloped  = errors.New("signature is not an enveloped signature of the whole document")
	ErrUntrustedCert = errors.New("signing certificate is not trusted")
	ErrBadSignature  = errors.New("signature does not verify")
)

// Verify checks data, a signed document. It accepts only the shape issuerkit
// and DigiLocker produce: one ds:Signature, the last child of the root, with a
// single Reference URI="" — so the signature always covers the whole document
// and wrapping tricks have nowhere to hide content.
//
// Documents of the exact shape issuerkit signs, checked against pinned
// certificates, are verified in one pass over their bytes (fastverify.go);
// every other document, and every failure, takes the general path.
func (v *Verifier) Verify(data []byte) (*Verified, error) {
	now := v.Now
	if now.IsZero() {
		now = time.Now()
	}
	if ver, ok := v.fastVerify(data, now); ok {
		return ver, nil
	}
	return v.verifyGeneral(data, now)
}

// verifyGeneral verifies any document through etree and goxmldsig.
func (v *Verifier) verifyGeneral(data []byte, now time.Time) (*Verified, error) {
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	for _, tok := range doc.Child {
		if _, ok := tok.(*etree.Directive); ok {
			return nil, ErrForbiddenXML
		}
	}
	root := doc.Root()
	if root == nil {
		return nil, fmt.Errorf("%w: no root element", ErrMalformed)
	}
	sig, err := envelopedSignature(root)
	if err != nil {
		return nil, err
	}
	trusted := v.Trusted
	if v.Roots != nil {
		leaf, err := v.verifyChain(sig, now)
		if err != nil {
			return nil, err
		}
		trusted = []*x509.Certificate{leaf}
	}
	if len(trusted) == 0 {
		return nil, fmt.Errorf("%w: no trusted certificate configured", ErrUntrustedCert)
	}
	if err := ecdsaToDER(sig); err != nil {
		return nil, err
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: trusted})
	ctx.Clock = dsig.NewFakeClockAt(now)
	signedRoot, err := ctx.Validate(root)
	if err != nil {
		return nil, classify(err)
	}
	cert, err := leafCert(sig)
	if err != nil {
		return nil, err
	}
	return &Verified{Root: signedRoot, Cert: cert}, nil
}

// verifyChain builds a chain from the KeyInfo certificates (leaf first, then
// intermediates) to v.Roots, valid at now, and returns the leaf.
func (v *Verifier) verifyChain(sig *etree.Element, now time.Time) (*x509.Certificate, error) {
	els := sig.FindElements("./KeyInfo/X509Data/X509Certificate")
	if len(els) == 0 {
		return nil, fmt.Errorf("%w: no X509Certificate in KeyInfo", ErrUntrustedCert)
	}
	inter := x509.NewCertPool()
	var leaf *x509.Certificate
	for i, el := range els {
		c, err := parseBase64Cert(el.Text())
		if err != nil {
			return nil, fmt.Errorf("%w: KeyInfo certificate %d: %v", ErrUntrustedCert, i+1, err)
		}
		if i == 0 {
			leaf = c
		} else {
			inter.AddCert(c)
		}
	}
	_, err := leaf.Verify(x509.VerifyOptions{Roots: v.Roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	if err == nil {
		return leaf, nil
	}
	var inv x509.CertificateInvalidError
	var unk x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return nil, fmt.Errorf("%w: certificate %q is expired or not yet valid", ErrUntrustedCert, leaf.Subject.CommonName)
	case errors.As(err, &unk):
		return nil, fmt.Errorf("%w: certificate %q is not issued by a trusted CA (untrusted chain)", ErrUntrustedCert, leaf.Subject.CommonName)
	}
	return nil, fmt.Errorf("%w: %v", ErrUntrustedCert, err)
}

// envelopedSignature enforces the document shape and returns the Signature.
func envelopedSignature(root *etree.Element) (*etree.Element, error) {
	var sigs []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if c.Tag == "Signature" {
				sigs = append(sigs, c)
			}
			walk(c)
		}
	}
	walk(root)
	if len(sigs) == 0 {
		return nil, fmt.Errorf("%w: no Signature element", ErrNotEnveloped)
	}
	if len(sigs) > 1 {
		return nil, fmt.Errorf("%w: %d Signature elements", ErrNotEnveloped, len(sigs))
	}
	sig := sigs[0]
	kids := root.ChildElements()
	if sig.Parent() != root || kids[len(kids)-1] != sig {
		return nil, fmt.Errorf("%w: Signature is not the root's last child", ErrNotEnveloped)
	}
	if sig.NamespaceURI() != dsig.Namespace {
		return nil, fmt.Errorf("%w: Signature is not in the XML-DSig namespace", ErrNotEnveloped)
	}
	refs := sig.FindElements("./SignedInfo/Reference")
	if len(refs) != 1 {
		return nil, fmt.Errorf("%w: want exactly one Reference, found %d", ErrNotEnveloped, len(refs))
	}
	if uri := refs[0].SelectAttrValue("URI", "-"); uri != "" {
		return nil, fmt.Errorf("%w: Reference URI is %q, want \"\"", ErrNotEnveloped, uri)
	}
	for _, attr := range root.Attr {
		if strings.EqualFold(attr.Key, "ID") {
			return nil, fmt.Errorf("%w: root element carries an ID attribute", ErrNotEnveloped)
		}
	}
	return sig, nil
}

// ecdsaToDER rewrites an ECDSA SignatureValue from XML-DSig's r||s to the
// DER that goxmldsig's check expects. SignatureValue is outside SignedInfo,
// so this changes nothing that is signed.
func ecdsaToDER(sig *etree.Element) error {
	sm := sig.FindElement("./SignedInfo/SignatureMethod")
	if sm == nil || !strings.Contains(sm.SelectAttrValue("Algorithm", ""), "ecdsa-") {
		return nil
	}
	sv := sig.FindElement("./SignatureValue")
	if sv == nil {
		return fmt.Errorf("%w: no SignatureValue", ErrBadSignature)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(sv.Text()), ""))
	if err != nil {
		return fmt.Errorf("%w: SignatureValue is not base64", ErrBadSignature)
	}
	cert, err := leafCert(sig)
	if err != nil {
		return err
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("%w: ECDSA signature with a %T certificate", ErrBadSignature, cert.PublicKey)
	}
	sv.SetText(base64.StdEncoding.EncodeToString(derFromRaw(raw, (pub.Curve.Params().BitSize+7)/8)))
	return nil
}

func leafCert(sig *etree.Element) (*x509.Certificate, error) {
	el := sig.FindElement("./KeyInfo/X509Data/X509Certificate")
	if el == nil {
		return nil, fmt.Errorf("%w: no X509Certificate in KeyInfo", ErrUntrustedCert)
	}
	certs, err := parseBase64Cert(el.Text())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUntrustedCert, err)
	}
	return certs, nil
}

// classify turns goxmldsig's messages into the package's reasons.
func classify(err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Could not verify certificate against trusted certs"):
		return fmt.Errorf("%w: KeyInfo certificate is not the pinned certificate", ErrUntrustedCert)
	case strings.Contains(msg, "Cert is not valid at this time"):
		return fmt.Errorf("%w: certificate is expired or not yet valid", ErrUntrustedCert)
	case strings.Contains(msg, "Signature could not be verified"):
		return fmt.Errorf("%w: digest mismatch (the signed content was changed)", ErrBadSignature)
	case strings.Contains(msg, "verification error"), strings.Contains(msg, "crypto/rsa"):
		return fmt.Errorf("%w: signature value does not match SignedInfo", ErrBadSignature)
	case errors.Is(err, dsig.ErrMissingSignature):
		return fmt.Errorf("%w: %v", ErrNotEnveloped, err)
	}
	return fmt.Errorf("%w: %v", ErrBadSignature, err)
}
