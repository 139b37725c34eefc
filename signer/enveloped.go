package signer

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"

	dsig "github.com/russellhaering/goxmldsig"
)

// sigText is the fixed text of this signer's enveloped signatures, around
// the two values that change: the reference's digest and the signature
// value (the algorithms and the certificates are the signer's). The
// canonical SignedInfo is what the signature covers (exclusive C14N of
// SignedInfo in its place, which brings the default namespace down to
// it); the document's Signature is what etree writes for the element
// goxmldsig builds.
type sigText struct {
	canonPre, canonPost     string
	docPre, docMid, docPost string
}

func newSigText(ctx *dsig.SigningContext, chain [][]byte) sigText {
	method := ctx.GetSignatureMethodIdentifier()
	digest := ctx.GetDigestAlgorithmIdentifier()
	c14n := string(ctx.Canonicalizer.Algorithm())
	// SignedInfo's content up to DigestValue's text, with the document's
	// empty-element tags or, canonical, C14N's end tags.
	signedInfo := func(canonical bool) string {
		empty := func(tag, alg string) string {
			if canonical {
				return "<" + tag + ` Algorithm="` + alg + `"></` + tag + ">"
			}
			return "<" + tag + ` Algorithm="` + alg + `"/>`
		}
		return empty("CanonicalizationMethod", c14n) + empty("SignatureMethod", method) +
			`<Reference URI=""><Transforms>` + empty("Transform", dsig.EnvelopedSignatureAltorithmId.String()) +
			empty("Transform", c14n) + "</Transforms>" + empty("DigestMethod", digest) + "<DigestValue>"
	}
	var certs strings.Builder
	for _, der := range chain {
		certs.WriteString("<X509Certificate>" + base64.StdEncoding.EncodeToString(der) + "</X509Certificate>")
	}
	return sigText{
		canonPre:  `<SignedInfo xmlns="` + dsig.Namespace + `">` + signedInfo(true),
		canonPost: "</DigestValue></Reference></SignedInfo>",
		docPre:    `<Signature xmlns="` + dsig.Namespace + `"><SignedInfo>` + signedInfo(false),
		docMid:    "</DigestValue></Reference></SignedInfo><SignatureValue>",
		docPost:   "</SignatureValue><KeyInfo><X509Data>" + certs.String() + "</X509Data></KeyInfo></Signature>",
	}
}

var signedInfoBufs = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// SignEnveloped signs a document given as bytes: doc is the unsigned
// document, end the offset of its root's end tag and canon the exclusive
// canonical form of its root, as xmlschema's Certificate.Encode writes
// them. The root must be namespace-free and carry no ID attribute (a
// Certificate's never does). It returns the signed document: the bytes Sign
// and Bytes give for the same document, with the Signature as the root's
// last child, without building a tree.
func (s *Signer) SignEnveloped(doc []byte, end int, canon []byte) ([]byte, error) {
	if end < 0 || end > len(doc) {
		return nil, errEnd
	}
	var dv [64]byte // room for any supported digest (SHA-1, SHA-256), on the stack
	digest := s.hash(dv[:0], canon)
	var sid [64]byte
	sig, err := s.dsKey.Sign(rand.Reader, s.signedInfoDigest(sid[:0], digest), s.ctx.Hash)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return s.assemble(doc, end, digest, sig), nil
}

var errEnd = errors.New("sign: the root's end is outside the document")

// Enveloped is one document for SignEnvelopedAll: Doc, End and Canon as
// SignEnveloped takes them; SignEnvelopedAll sets Signed.
type Enveloped struct {
	Doc    []byte
	End    int
	Canon  []byte
	Signed []byte
}

// digestsSigner is a key that signs many digests in one call: n digests
// of the hash's size end to end in, n signatures of the key's size end to
// end out (the OpenSSL signer). An error for one digest is an *ItemError.
type digestsSigner interface {
	SignDigests(digests []byte, n int, opts crypto.SignerOpts) ([]byte, error)
}

// ItemError is SignEnvelopedAll's error when one item could not be signed:
// Item is its index.
type ItemError struct {
	Item int
	Err  error
}

func (e *ItemError) Error() string { return e.Err.Error() }
func (e *ItemError) Unwrap() error { return e.Err }

// SignEnvelopedAll signs every item as SignEnveloped would, to the same
// bytes. With a key that signs many digests in one call (the OpenSSL
// signer) it makes one call for them all: each call into C that runs as
// long as an RSA signature costs a hand-off of the Go scheduler, paid once
// a batch instead of once a document. An error fails the whole batch; it
// is an *ItemError when one item is to blame.
func (s *Signer) SignEnvelopedAll(items []Enveloped) error {
	ds, ok := s.dsKey.(digestsSigner)
	if !ok || len(items) < 2 {
		for i := range items {
			it := &items[i]
			out, err := s.SignEnveloped(it.Doc, it.End, it.Canon)
			if err != nil {
				return &ItemError{Item: i, Err: err}
			}
			it.Signed = out
		}
		return nil
	}
	hs := s.ctx.Hash.Size()
	digests := make([]byte, 0, len(items)*hs)
	sids := make([]byte, 0, len(items)*hs)
	for i := range items {
		it := &items[i]
		if it.End < 0 || it.End > len(it.Doc) {
			return &ItemError{Item: i, Err: errEnd}
		}
		digests = s.hash(digests, it.Canon)
		sids = s.signedInfoDigest(sids, digests[i*hs:])
	}
	sigs, err := ds.SignDigests(sids, len(items), s.ctx.Hash)
	if err != nil {
		var ie *ItemError
		if errors.As(err, &ie) {
			return &ItemError{Item: ie.Item, Err: fmt.Errorf("sign: %w", ie.Err)}
		}
		return fmt.Errorf("sign: %w", err)
	}
	if len(sigs)%len(items) != 0 {
		return fmt.Errorf("sign: %d bytes of signatures for %d digests", len(sigs), len(items))
	}
	size := len(sigs) / len(items)
	for i := range items {
		it := &items[i]
		it.Signed = s.assemble(it.Doc, it.End, digests[i*hs:(i+1)*hs], sigs[i*size:(i+1)*size])
	}
	return nil
}

// signedInfoDigest appends the digest of the canonical SignedInfo whose
// Reference has digest to dst.
func (s *Signer) signedInfoDigest(dst, digest []byte) []byte {
	t := &s.text
	var b64 [88]byte
	dvText := base64.StdEncoding.AppendEncode(b64[:0], digest)
	bp := signedInfoBufs.Get().(*[]byte)
	si := append(append(append((*bp)[:0], t.canonPre...), dvText...), t.canonPost...)
	dst = s.hash(dst, si)
	*bp = si
	signedInfoBufs.Put(bp)
	return dst
}

// assemble is doc signed: the Signature, with the Reference's digest and
// the signature value, inserted before the root's end tag at end.
func (s *Signer) assemble(doc []byte, end int, digest, sig []byte) []byte {
	t := &s.text
	var b64 [88]byte
	dvText := base64.StdEncoding.AppendEncode(b64[:0], digest)
	n := len(doc) + len(t.docPre) + len(dvText) + len(t.docMid) + base64.StdEncoding.EncodedLen(len(sig)) + len(t.docPost)
	out := make([]byte, 0, n)
	out = append(out, doc[:end]...)
	out = append(append(append(out, t.docPre...), dvText...), t.docMid...)
	out = base64.StdEncoding.AppendEncode(out, sig)
	out = append(append(out, t.docPost...), doc[end:]...)
	return out
}

// hash appends the signer's digest of b to dst.
func (s *Signer) hash(dst, b []byte) []byte {
	if s.ctx.Hash == crypto.SHA256 {
		sum := sha256.Sum256(b)
		return append(dst, sum[:]...)
	}
	h := s.ctx.Hash.New()
	h.Write(b)
	return h.Sum(dst)
}
