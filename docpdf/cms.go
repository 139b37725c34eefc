package docpdf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// The CMS (RFC 5652) SignedData of a PAdES baseline B-B signature (ETSI EN
// 319 142-1), built here with encoding/asn1: a detached signature over
// id-data whose signed attributes are content-type, message-digest and
// ESS signing-certificate-v2 (RFC 5035), and no signing-time (PAdES puts
// the time in the signature dictionary's /M). It is small, and it keeps
// every byte under our control: the size reserved in the PDF is known
// before signing, and the key is any crypto.Signer (a file, or a PKCS#11
// token through crypto11).

var (
	oidData              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidSignedData        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidContentType       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidMessageDigest     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
	oidSigningCertV2     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSHA256            = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidRSAEncryption     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidSHA256WithRSA     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECPublicKey       = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA256   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	derNull              = []byte{0x05, 0x00}
	errNotPAdES          = errors.New("not a PAdES signature issuerkit can check")
	maxCMSOverheadBytes  = 1024 // SignedData, SignerInfo and attributes around the certificates and the signature
	maxECDSAP256SigBytes = 72
)

// tlv is one DER element: tag, definite length, content.
func tlv(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n+6)
	out = append(out, tag)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	default:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func seq(parts ...[]byte) []byte { return tlv(0x30, parts...) }

func mustMarshal(v any) []byte {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("asn1: %v", err)) // only fixed OIDs and integers are marshalled
	}
	return b
}

// attribute is an Attribute with one value.
func attribute(typ asn1.ObjectIdentifier, value []byte) []byte {
	return seq(mustMarshal(typ), tlv(0x31, value))
}

// derSet is the content of a DER SET OF: the elements sorted by their
// encodings (X.690 11.6).
func derSet(elems ...[]byte) []byte {
	s := slices.Clone(elems)
	slices.SortFunc(s, bytes.Compare)
	return bytes.Join(s, nil)
}

// Signer makes the PAdES signatures of PDFs with one key and certificate
// chain. It is safe for concurrent use when its key is (file keys are,
// and crypto11 keys share a session pool).
type Signer struct {
	key     crypto.Signer
	chain   []*x509.Certificate
	certs   []byte // [0] IMPLICIT CertificateSet: the chain, leaf first
	sid     []byte // IssuerAndSerialNumber of the leaf
	essAttr []byte // the signing-certificate-v2 attribute
	sigAlg  []byte // the SignerInfo's signatureAlgorithm
	reserve int    // bytes reserved in the PDF for the SignedData
	// Now is the signing time; nil means time.Now.
	Now func() time.Time
}

// NewSigner returns a Signer for key whose certificate chain (leaf first)
// goes into every signature. The leaf must certify key, which must be RSA
// (2048 bits or more) or ECDSA P-256; signatures use SHA-256.
func NewSigner(key crypto.Signer, chain []*x509.Certificate) (*Signer, error) {
	if key == nil || len(chain) == 0 {
		return nil, errors.New("PDF signer: no key or no certificate")
	}
	leaf := chain[0]
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if pub, ok := key.Public().(equaler); !ok || !pub.Equal(leaf.PublicKey) {
		return nil, errors.New("PDF signer: the certificate does not certify the signing key")
	}
	s := &Signer{key: key, chain: chain}
	var sigLen int
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("PDF signer: RSA key of %d bits is too weak (want 2048 or more)", pub.N.BitLen())
		}
		s.sigAlg = seq(mustMarshal(oidSHA256WithRSA), derNull)
		sigLen = (pub.N.BitLen() + 7) / 8
	case *ecdsa.PublicKey:
		if pub.Curve.Params().Name != "P-256" {
			return nil, fmt.Errorf("PDF signer: ECDSA curve %s is not supported (want P-256)", pub.Curve.Params().Name)
		}
		s.sigAlg = seq(mustMarshal(oidECDSAWithSHA256))
		sigLen = maxECDSAP256SigBytes
	default:
		return nil, fmt.Errorf("PDF signer: %T keys are not supported (want RSA or ECDSA P-256)", key.Public())
	}
	var ders [][]byte
	for _, c := range chain {
		ders = append(ders, c.Raw)
	}
	s.certs = tlv(0xA0, bytes.Join(ders, nil)) // in chain order: a CertificateSet is not sorted in practice, readers take any order
	s.sid = seq(leaf.RawIssuer, mustMarshal(leaf.SerialNumber))
	h := sha256.Sum256(leaf.Raw)
	// ESSCertIDv2 with the default hash algorithm (SHA-256, so omitted in
	// DER) and no issuerSerial, as EN 319 122-1's baseline recommends.
	s.essAttr = attribute(oidSigningCertV2, seq(seq(seq(tlv(0x04, h[:])))))
	s.reserve = len(s.certs) + sigLen + maxCMSOverheadBytes
	return s, nil
}

// Certificate returns the signing (leaf) certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.chain[0] }

func (s *Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// signedData signs digest, the SHA-256 of the PDF's byte ranges, at time
// at and returns the DER ContentInfo. It fails when the certificate is not
// valid at that time or the key cannot sign, and checks what the key
// returned against the certificate, so a faulty token never yields a
// signature that would not verify.
func (s *Signer) signedData(digest []byte, at time.Time) ([]byte, error) {
	leaf := s.chain[0]
	if at.Before(leaf.NotBefore) || at.After(leaf.NotAfter) {
		return nil, fmt.Errorf("sign PDF: the signing certificate %q is valid from %s to %s, not now: install a current one with `issuerkit keys import`",
			leaf.Subject.CommonName, leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly))
	}
	attrs := derSet(
		attribute(oidContentType, mustMarshal(oidData)),
		attribute(oidMessageDigest, tlv(0x04, digest)),
		s.essAttr,
	)
	h := sha256.Sum256(tlv(0x31, attrs)) // signed as a SET OF (RFC 5652 5.4)
	sig, err := s.key.Sign(rand.Reader, h[:], crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("sign PDF: the signing key cannot sign: %w", err)
	}
	if err := checkSignature(leaf.PublicKey, h[:], sig); err != nil {
		return nil, fmt.Errorf("sign PDF: the signing key made a signature its certificate does not verify: %w", err)
	}
	digestAlg := seq(mustMarshal(oidSHA256))
	signerInfo := seq(mustMarshal(1), s.sid, digestAlg, tlv(0xA0, attrs), s.sigAlg, tlv(0x04, sig))
	sd := seq(
		mustMarshal(1),
		tlv(0x31, digestAlg),
		seq(mustMarshal(oidData)), // detached: no eContent
		s.certs,
		tlv(0x31, signerInfo),
	)
	return seq(mustMarshal(oidSignedData), tlv(0xA0, sd)), nil
}

// checkSignature verifies sig over the SHA-256 digest with pub.
func checkSignature(pub crypto.PublicKey, digest, sig []byte) error {
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("%T keys are not supported", pub)
}

// Parsing, for verification.

type cmsContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"explicit,tag:0"`
}

type cmsSignedData struct {
	Version          int
	DigestAlgorithms asn1.RawValue
	EncapContentInfo cmsEncap
	Certificates     asn1.RawValue   `asn1:"optional,tag:0"`
	CRLs             asn1.RawValue   `asn1:"optional,tag:1"`
	SignerInfos      []cmsSignerInfo `asn1:"set"`
}

type cmsEncap struct {
	EContentType asn1.ObjectIdentifier
	EContent     asn1.RawValue `asn1:"optional,explicit,tag:0"`
}

type cmsAlgorithm struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue `asn1:"optional"`
}

type cmsSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    cmsAlgorithm
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm cmsAlgorithm
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

type cmsAttribute struct {
	Type   asn1.ObjectIdentifier
	Values []asn1.RawValue `asn1:"set"`
}

type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

type essCertIDv2 struct {
	HashAlgorithm cmsAlgorithm `asn1:"optional"`
	CertHash      []byte
	IssuerSerial  asn1.RawValue `asn1:"optional"`
}

// cmsSignature is a checked CAdES-detached SignedData: its signer
// certificate and the other certificates it carries.
type cmsSignature struct {
	signer *x509.Certificate
	certs  []*x509.Certificate
}

// parseAndCheckCMS checks der, a SignedData as PAdES B-B makes it (trailing
// zero padding allowed), against digest, the SHA-256 of the signed byte
// ranges: one signer, SHA-256, content-type id-data, the message digest,
// a signing-certificate-v2 naming the signer's certificate, and the
// signature itself. Whether the certificate is trusted is the caller's
// question.
func parseAndCheckCMS(der, digest []byte) (*cmsSignature, error) {
	var ci cmsContentInfo
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, fmt.Errorf("%w: the signature is not a CMS ContentInfo: %v", errNotPAdES, err)
	}
	if len(bytes.Trim(rest, "\x00")) > 0 {
		return nil, fmt.Errorf("%w: data after the CMS signature", errNotPAdES)
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: CMS content is not SignedData", errNotPAdES)
	}
	var sd cmsSignedData
	if rest, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("%w: malformed SignedData: %v", errNotPAdES, err)
	}
	if !sd.EncapContentInfo.EContentType.Equal(oidData) || len(sd.EncapContentInfo.EContent.FullBytes) > 0 {
		return nil, fmt.Errorf("%w: not a detached signature of id-data", errNotPAdES)
	}
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%w: %d signers, want one", errNotPAdES, len(sd.SignerInfos))
	}
	certs, err := x509.ParseCertificates(sd.Certificates.Bytes)
	if err != nil || len(certs) == 0 {
		return nil, fmt.Errorf("%w: the signature carries no readable certificate: %v", errNotPAdES, err)
	}
	si := sd.SignerInfos[0]
	var ias issuerAndSerial
	if rest, err := asn1.Unmarshal(si.SID.FullBytes, &ias); err != nil || len(rest) > 0 {
		return nil, fmt.Errorf("%w: the signer is not named by issuer and serial number", errNotPAdES)
	}
	var signerCert *x509.Certificate
	for _, c := range certs {
		if bytes.Equal(c.RawIssuer, ias.Issuer.FullBytes) && c.SerialNumber.Cmp(ias.Serial) == 0 {
			signerCert = c
			break
		}
	}
	if signerCert == nil {
		return nil, fmt.Errorf("%w: the signer's certificate is not in the signature", errNotPAdES)
	}
	if !si.DigestAlgorithm.Algorithm.Equal(oidSHA256) {
		return nil, fmt.Errorf("%w: digest algorithm %v, want SHA-256", errNotPAdES, si.DigestAlgorithm.Algorithm)
	}
	if err := checkSignedAttrs(si.SignedAttrs, digest, signerCert); err != nil {
		return nil, err
	}
	signed := append([]byte{0x31}, si.SignedAttrs.FullBytes[1:]...) // the [0] IMPLICIT set, signed as SET OF
	h := sha256.Sum256(signed)
	if err := checkSigAlg(si.SignatureAlgorithm.Algorithm, signerCert.PublicKey); err != nil {
		return nil, err
	}
	if err := checkSignature(signerCert.PublicKey, h[:], si.Signature); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return &cmsSignature{signer: signerCert, certs: certs}, nil
}

func checkSigAlg(alg asn1.ObjectIdentifier, pub crypto.PublicKey) error {
	switch pub.(type) {
	case *rsa.PublicKey:
		if alg.Equal(oidSHA256WithRSA) || alg.Equal(oidRSAEncryption) {
			return nil
		}
	case *ecdsa.PublicKey:
		if alg.Equal(oidECDSAWithSHA256) || alg.Equal(oidECPublicKey) {
			return nil
		}
	}
	return fmt.Errorf("%w: signature algorithm %v does not fit a %T key", errNotPAdES, alg, pub)
}

// checkSignedAttrs checks the signed attributes PAdES B-B requires.
func checkSignedAttrs(raw asn1.RawValue, digest []byte, signerCert *x509.Certificate) error {
	if len(raw.FullBytes) == 0 {
		return fmt.Errorf("%w: no signed attributes", errNotPAdES)
	}
	var attrs []cmsAttribute
	if rest, err := asn1.UnmarshalWithParams(raw.FullBytes, &attrs, "set,tag:0"); err != nil || len(rest) > 0 {
		return fmt.Errorf("%w: malformed signed attributes: %v", errNotPAdES, err)
	}
	seen := map[string][]byte{}
	for _, a := range attrs {
		k := a.Type.String()
		if _, dup := seen[k]; dup || len(a.Values) != 1 {
			return fmt.Errorf("%w: signed attribute %s repeated", errNotPAdES, k)
		}
		seen[k] = a.Values[0].FullBytes
	}
	var ct asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(seen[oidContentType.String()], &ct); err != nil || !ct.Equal(oidData) {
		return fmt.Errorf("%w: content-type attribute is not id-data", errNotPAdES)
	}
	var md []byte
	if _, err := asn1.Unmarshal(seen[oidMessageDigest.String()], &md); err != nil {
		return fmt.Errorf("%w: no message-digest attribute", errNotPAdES)
	}
	if !bytes.Equal(md, digest) {
		return fmt.Errorf("%w: the document's bytes do not match the signed digest (changed after signing)", ErrBadSignature)
	}
	var scv2 struct{ Certs []essCertIDv2 }
	if _, err := asn1.Unmarshal(seen[oidSigningCertV2.String()], &scv2); err != nil || len(scv2.Certs) == 0 {
		return fmt.Errorf("%w: no signing-certificate-v2 attribute (PAdES B-B needs one)", errNotPAdES)
	}
	id := scv2.Certs[0]
	if a := id.HashAlgorithm.Algorithm; len(a) > 0 && !a.Equal(oidSHA256) {
		return fmt.Errorf("%w: signing-certificate-v2 hashes with %v, want SHA-256", errNotPAdES, a)
	}
	if h := sha256.Sum256(signerCert.Raw); !bytes.Equal(id.CertHash, h[:]) {
		return fmt.Errorf("%w: signing-certificate-v2 names another certificate than the signer's", ErrBadSignature)
	}
	return nil
}
