package signer

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// The fast path verifies, in one pass over the bytes, the exact document
// shape issuerkit signs: an optional UTF-8 declaration, a root element and
// body in no namespace (no prefixes, no xmlns, no comments, processing
// instructions, CDATA or DTD), and as the root's last child one enveloped
// Signature with no whitespace inside, a single Reference URI="" with the
// enveloped transform then exclusive C14N, a SHA-256 digest, and the
// signing certificate first in KeyInfo, pinned (Verifier.Trusted). For such
// a document exclusive C14N is a re-serialization (attributes sorted, no
// empty-element tags, C14N's escaping), so the digest is computed while
// scanning, the canonical SignedInfo is a template with two variable parts,
// and the signature is checked with the same x509 call goxmldsig makes.
//
// It can only accept: a document of any other shape, or one that fails a
// check, goes to the general path (etree + goxmldsig), which decides and
// words the error. FuzzFastVerify checks that the fast path never accepts
// a document the general path rejects.

const (
	nsDSig        = "http://www.w3.org/2000/09/xmldsig#"
	algExcC14N    = "http://www.w3.org/2001/10/xml-exc-c14n#"
	algEnveloped  = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	algDigest256  = "http://www.w3.org/2001/04/xmlenc#sha256"
	algDigest1    = "http://www.w3.org/2000/09/xmldsig#sha1"
	algRSASHA256  = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	algRSASHA1    = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	algECDSASHA25 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
)

var fastSigAlgs = map[string]x509.SignatureAlgorithm{
	algRSASHA256: x509.SHA256WithRSA, algRSASHA1: x509.SHA1WithRSA, algECDSASHA25: x509.ECDSAWithSHA256,
}

// issuerkitDecl is the declaration issuerkit writes; others are matched
// by xmlDecl.
var issuerkitDecl = []byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`)

var xmlDecl = regexp.MustCompile(`^<\?xml version=("1\.0"|'1\.0')( encoding=("UTF-8"|'UTF-8'|"utf-8"|'utf-8'))?( standalone=("yes"|'yes'|"no"|'no'))? ?\?>`)

// fastVerify returns the verification of data, or false when the general
// path must decide.
func (v *Verifier) fastVerify(data []byte, now time.Time) (*Verified, bool) {
	if v.Roots != nil || len(v.Trusted) == 0 || !utf8.Valid(data) {
		return nil, false
	}
	s := fastScan{b: data}
	if bytes.HasPrefix(data, issuerkitDecl) {
		s.i = len(issuerkitDecl)
	} else if m := xmlDecl.FindIndex(data); m != nil {
		s.i = m[1]
	} else if bytes.HasPrefix(data, []byte("<?")) {
		return nil, false
	}
	s.canon.Grow(len(data))
	root, sig, ok := s.document()
	if !ok {
		return nil, false
	}
	info, ok := readSignature(sig)
	if !ok {
		return nil, false
	}
	var digest []byte
	if info.digestAlg == algDigest1 {
		d := sha1.Sum(s.canon.Bytes())
		digest = d[:]
	} else {
		d := sha256.Sum256(s.canon.Bytes())
		digest = d[:]
	}
	if !bytes.Equal(digest, info.digest) {
		return nil, false
	}
	var cert *x509.Certificate
	for _, t := range v.Trusted {
		if bytes.Equal(t.Raw, info.cert) {
			cert = t
			break
		}
	}
	if cert == nil || now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		return nil, false
	}
	sigValue := info.value
	if info.algo == x509.ECDSAWithSHA256 {
		pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return nil, false
		}
		sigValue = derFromRaw(sigValue, (pub.Curve.Params().BitSize+7)/8)
	}
	if cert.CheckSignature(info.algo, info.canonicalSignedInfo(), sigValue) != nil {
		return nil, false
	}
	return &Verified{Root: root, Cert: cert}, true
}

// fastScan reads a document, writing the canonical form of the root
// without its Signature to canon and building the same tree.
type fastScan struct {
	b       []byte
	i       int
	canon   bytes.Buffer
	scratch []etree.Attr // the attributes of the start tag just read
	order   []int        // their canonical (sorted) order
}

// node is an element of the Signature, read strictly.
type node struct {
	tag      string
	attrs    []etree.Attr
	text     string
	children []*node
}

func (s *fastScan) document() (*etree.Element, *node, bool) {
	s.skipSpace()
	if !s.next('<') {
		return nil, nil, false
	}
	name, attrs, empty, ok := s.startTag(false)
	if !ok || empty {
		return nil, nil, false
	}
	for _, a := range attrs {
		if strings.EqualFold(a.Key, "id") {
			return nil, nil, false
		}
	}
	root := etree.NewElement(name)
	s.writeStart(root, name, attrs)
	sig, ok := s.content(root, 1)
	if !ok || sig == nil {
		return nil, nil, false
	}
	// The root's end tag follows the Signature at once.
	if !s.endTag(name) {
		return nil, nil, false
	}
	s.writeEnd(name)
	s.skipSpace()
	if s.i != len(s.b) {
		return nil, nil, false
	}
	return root, sig, true
}

// content reads el's children up to its end tag (not consumed). At depth 1
// (the root's children) a Signature element ends it: its node is returned.
func (s *fastScan) content(el *etree.Element, depth int) (*node, bool) {
	for {
		text, ok := s.text()
		if !ok {
			return nil, false
		}
		if text != "" {
			el.CreateText(text)
			textEscaper.WriteString(&s.canon, text)
		}
		if s.i+1 >= len(s.b) {
			return nil, false
		}
		if s.b[s.i+1] == '/' {
			return nil, depth > 1
		}
		s.i++ // '<'
		name, attrs, empty, ok := s.startTag(depth == 1)
		if !ok {
			return nil, false
		}
		if name != "Signature" && slices.ContainsFunc(attrs, func(a etree.Attr) bool { return a.Key == "xmlns" }) {
			return nil, false // a namespace in the body
		}
		if name == "Signature" {
			if depth != 1 || empty {
				return nil, false
			}
			sig, ok := s.signature(attrs)
			return sig, ok
		}
		child := el.CreateElement(name)
		s.writeStart(child, name, attrs)
		if !empty {
			if sig, ok := s.content(child, depth+1); !ok || sig != nil {
				return nil, false
			}
			if !s.endTag(name) {
				return nil, false
			}
		}
		s.writeEnd(name)
	}
}

// writeStart adds attrs to el in document order and writes the canonical
// start tag (attributes sorted by name).
func (s *fastScan) writeStart(el *etree.Element, name string, attrs []etree.Attr) {
	el.Attr = make([]etree.Attr, 0, len(attrs))
	for _, a := range attrs {
		el.CreateAttr(a.Key, a.Value)
	}
	// Insertion sort of indexes: a start tag has a few dozen attributes
	// at most, and etree.Attr is too large to move around.
	s.order = s.order[:0]
	for i := range attrs {
		j := len(s.order)
		s.order = append(s.order, i)
		for ; j > 0 && attrs[s.order[j-1]].Key > attrs[i].Key; j-- {
			s.order[j] = s.order[j-1]
		}
		s.order[j] = i
	}
	s.canon.WriteByte('<')
	s.canon.WriteString(name)
	for _, i := range s.order {
		s.canon.WriteByte(' ')
		s.canon.WriteString(attrs[i].Key)
		s.canon.WriteString(`="`)
		attrEscaper.WriteString(&s.canon, attrs[i].Value)
		s.canon.WriteByte('"')
	}
	s.canon.WriteByte('>')
}

// writeEnd writes the canonical end tag of name.
func (s *fastScan) writeEnd(name string) {
	s.canon.WriteString("</")
	s.canon.WriteString(name)
	s.canon.WriteByte('>')
}

// signature reads the Signature element (its start tag already read) and
// its subtree, which may hold no text but in its leaves.
func (s *fastScan) signature(attrs []etree.Attr) (*node, bool) {
	if len(attrs) != 1 || attrs[0].Key != "xmlns" || attrs[0].Value != nsDSig {
		return nil, false
	}
	n := &node{tag: "Signature"}
	if !s.sigChildren(n) {
		return nil, false
	}
	return n, s.endTag("Signature")
}

func (s *fastScan) sigChildren(n *node) bool {
	for {
		text, ok := s.text()
		if !ok {
			return false
		}
		if s.i+1 >= len(s.b) {
			return false
		}
		if s.b[s.i+1] == '/' {
			if len(n.children) > 0 && text != "" {
				return false // mixed content
			}
			n.text = text
			return true
		}
		if text != "" {
			return false
		}
		s.i++
		name, attrs, empty, ok := s.startTag(false)
		if !ok {
			return false
		}
		c := &node{tag: name, attrs: slices.Clone(attrs)}
		n.children = append(n.children, c)
		if !empty {
			if !s.sigChildren(c) || !s.endTag(name) {
				return false
			}
		}
	}
}

// startTag reads a start tag after its '<'. xmlns allows the attribute
// xmlns (the Signature's only); no other namespace syntax is accepted.
func (s *fastScan) startTag(xmlns bool) (name string, attrs []etree.Attr, empty, ok bool) {
	if name, ok = s.name(); !ok {
		return
	}
	attrs = s.scratch[:0]
	defer func() { s.scratch = attrs[:0] }()
	for {
		sp := s.skipSpace()
		if s.i >= len(s.b) {
			return name, nil, false, false
		}
		switch s.b[s.i] {
		case '>':
			s.i++
			return name, attrs, false, true
		case '/':
			if s.i+1 < len(s.b) && s.b[s.i+1] == '>' {
				s.i += 2
				return name, attrs, true, true
			}
			return name, nil, false, false
		}
		if !sp {
			return name, nil, false, false
		}
		key, ok := s.name()
		if !ok || (key == "xmlns" && !xmlns) || strings.HasPrefix(key, "xml") && key != "xmlns" {
			return name, nil, false, false
		}
		s.skipSpace()
		if !s.next('=') {
			return name, nil, false, false
		}
		s.skipSpace()
		val, ok := s.attrValue()
		if !ok {
			return name, nil, false, false
		}
		for _, a := range attrs {
			if a.Key == key {
				return name, nil, false, false
			}
		}
		attrs = append(attrs, etree.Attr{Key: key, Value: val})
	}
}

// name reads an ASCII XML name without a colon.
func (s *fastScan) name() (string, bool) {
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || s.i > start && (c >= '0' && c <= '9' || c == '-' || c == '.') {
			s.i++
			continue
		}
		break
	}
	return intern(s.b[start:s.i]), s.i > start
}

// names interns element and attribute names: documents of one DocType
// use the same few dozen, so a verification allocates none of them.
var names = struct {
	sync.RWMutex
	m map[string]string
}{m: map[string]string{}}

// intern returns b as a string, shared when it is a known name (at most
// 4,096 are kept, so a stream of odd documents cannot grow the map).
func intern(b []byte) string {
	names.RLock()
	n, ok := names.m[string(b)]
	names.RUnlock()
	if ok {
		return n
	}
	n = string(b)
	names.Lock()
	if len(names.m) < 4096 {
		names.m[n] = n
	}
	names.Unlock()
	return n
}

// attrValue reads a quoted value, decoding references. A literal tab,
// newline or carriage return (which XML would normalize to a space) is left
// to the general path.
func (s *fastScan) attrValue() (string, bool) {
	if s.i >= len(s.b) || s.b[s.i] != '"' && s.b[s.i] != '\'' {
		return "", false
	}
	q := s.b[s.i]
	s.i++
	end := bytes.IndexByte(s.b[s.i:], q)
	if end < 0 {
		return "", false
	}
	raw := s.b[s.i : s.i+end]
	s.i += end + 1
	if bytes.ContainsAny(raw, "<\t\n\r") {
		return "", false
	}
	return decodeRefs(raw)
}

// text reads character data up to the next '<' (which must follow).
func (s *fastScan) text() (string, bool) {
	end := bytes.IndexByte(s.b[s.i:], '<')
	if end < 0 {
		return "", false
	}
	raw := s.b[s.i : s.i+end]
	s.i += end
	if bytes.IndexByte(raw, '\r') >= 0 || bytes.Contains(raw, []byte("]]>")) {
		return "", false
	}
	if s.i+1 < len(s.b) && (s.b[s.i+1] == '!' || s.b[s.i+1] == '?') {
		return "", false // comment, CDATA, DTD or processing instruction
	}
	return decodeRefs(raw)
}

// endTag reads "</name>" with optional space before '>'.
func (s *fastScan) endTag(name string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte("</"+name)) {
		return false
	}
	s.i += 2 + len(name)
	s.skipSpace()
	return s.next('>')
}

func (s *fastScan) next(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

func (s *fastScan) skipSpace() bool {
	start := s.i
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
	return s.i > start
}

// decodeRefs decodes the five predefined entities and character
// references, and refuses any other '&' and characters XML does not allow.
func decodeRefs(raw []byte) (string, bool) {
	for _, r := range string(raw) {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0xFFFE || r == 0xFFFF {
			return "", false
		}
	}
	if bytes.IndexByte(raw, '&') < 0 {
		return string(raw), true
	}
	var out strings.Builder
	for len(raw) > 0 {
		amp := bytes.IndexByte(raw, '&')
		if amp < 0 {
			out.Write(raw)
			break
		}
		out.Write(raw[:amp])
		raw = raw[amp:]
		semi := bytes.IndexByte(raw, ';')
		if semi < 0 {
			return "", false
		}
		ref := string(raw[1:semi])
		raw = raw[semi+1:]
		switch ref {
		case "amp":
			out.WriteByte('&')
		case "lt":
			out.WriteByte('<')
		case "gt":
			out.WriteByte('>')
		case "quot":
			out.WriteByte('"')
		case "apos":
			out.WriteByte('\'')
		default:
			r, ok := charRef(ref)
			if !ok {
				return "", false
			}
			out.WriteRune(r)
		}
	}
	return out.String(), true
}

// charRef decodes "#65" or "#x41" to a character XML allows.
func charRef(ref string) (rune, bool) {
	var n uint64
	var err error
	switch {
	case strings.HasPrefix(ref, "#x") && len(ref) > 2:
		n, err = strconv.ParseUint(ref[2:], 16, 32)
	case strings.HasPrefix(ref, "#") && len(ref) > 1 && ref[1] != '+' && ref[1] != '-':
		n, err = strconv.ParseUint(ref[1:], 10, 32)
	default:
		return 0, false
	}
	r := rune(n)
	if err != nil || strings.ContainsAny(ref[1:], "+-_") ||
		!(r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
		return 0, false
	}
	return r, true
}

// sigInfo is what a Signature of the expected shape says.
type sigInfo struct {
	sigAlg    string
	digestAlg string
	algo      x509.SignatureAlgorithm
	digestB6  string
	digest    []byte
	value     []byte
	cert      []byte
}

// readSignature checks the Signature's exact shape and decodes its values.
func readSignature(sig *node) (*sigInfo, bool) {
	if len(sig.children) != 3 || sig.text != "" {
		return nil, false
	}
	si, sv, ki := sig.children[0], sig.children[1], sig.children[2]
	if !leaf(sv, "SignatureValue") || !is(si, "SignedInfo", 3) || !is(ki, "KeyInfo", 1) {
		return nil, false
	}
	cm, sm, ref := si.children[0], si.children[1], si.children[2]
	if !algorithm(cm, "CanonicalizationMethod", algExcC14N) || ref.tag != "Reference" || len(ref.children) != 3 || ref.text != "" ||
		sm.tag != "SignatureMethod" || len(sm.children) != 0 || sm.text != "" {
		return nil, false
	}
	if len(sm.attrs) != 1 || sm.attrs[0].Key != "Algorithm" {
		return nil, false
	}
	info := &sigInfo{sigAlg: sm.attrs[0].Value}
	var ok bool
	if info.algo, ok = fastSigAlgs[info.sigAlg]; !ok {
		return nil, false
	}
	if len(ref.attrs) != 1 || ref.attrs[0].Key != "URI" || ref.attrs[0].Value != "" {
		return nil, false
	}
	tr, dm, dv := ref.children[0], ref.children[1], ref.children[2]
	if !is(tr, "Transforms", 2) || !algorithm(tr.children[0], "Transform", algEnveloped) || !algorithm(tr.children[1], "Transform", algExcC14N) ||
		!leaf(dv, "DigestValue") {
		return nil, false
	}
	size := sha256.Size
	switch {
	case algorithm(dm, "DigestMethod", algDigest256):
		info.digestAlg = algDigest256
	case algorithm(dm, "DigestMethod", algDigest1):
		info.digestAlg, size = algDigest1, sha1.Size
	default:
		return nil, false
	}
	x := ki.children[0]
	if x.tag != "X509Data" || len(x.attrs) != 0 || len(x.children) == 0 {
		return nil, false
	}
	for _, c := range x.children {
		if !leaf(c, "X509Certificate") {
			return nil, false
		}
	}
	info.digestB6 = dv.text
	if info.digest, ok = b64(dv.text); !ok || len(info.digest) != size {
		return nil, false
	}
	if info.value, ok = b64(sv.text); !ok {
		return nil, false
	}
	if info.cert, ok = b64(x.children[0].text); !ok {
		return nil, false
	}
	return info, true
}

// canonicalSignedInfo is the exclusive C14N of a SignedInfo of the
// expected shape, the SignedInfo being the apex of the output.
func (i *sigInfo) canonicalSignedInfo() []byte {
	return []byte(`<SignedInfo xmlns="` + nsDSig + `"><CanonicalizationMethod Algorithm="` + algExcC14N +
		`"></CanonicalizationMethod><SignatureMethod Algorithm="` + i.sigAlg + `"></SignatureMethod><Reference URI=""><Transforms><Transform Algorithm="` +
		algEnveloped + `"></Transform><Transform Algorithm="` + algExcC14N + `"></Transform></Transforms><DigestMethod Algorithm="` +
		i.digestAlg + `"></DigestMethod><DigestValue>` + i.digestB6 + `</DigestValue></Reference></SignedInfo>`)
}

func is(n *node, tag string, children int) bool {
	return n.tag == tag && len(n.attrs) == 0 && len(n.children) == children && n.text == ""
}

func leaf(n *node, tag string) bool {
	return n.tag == tag && len(n.attrs) == 0 && len(n.children) == 0
}

func algorithm(n *node, tag, alg string) bool {
	return n.tag == tag && len(n.children) == 0 && n.text == "" && len(n.attrs) == 1 && n.attrs[0].Key == "Algorithm" && n.attrs[0].Value == alg
}

// b64 decodes standard base64 with padding and nothing else in it.
func b64(s string) ([]byte, bool) {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '/' || r == '=')
	}) >= 0 {
		return nil, false
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	return b, err == nil
}
