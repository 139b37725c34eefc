package docpdf

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Failure reasons, wrapped by the errors Verify returns.
var (
	ErrNotSigned        = errors.New("the PDF carries no signature")
	ErrNotWholeDocument = errors.New("the signature does not cover the whole document")
	ErrBadSignature     = errors.New("the PDF's signature does not verify")
	ErrUntrustedCert    = errors.New("the PDF's signing certificate is not trusted")
)

// Verifier checks the signature of PDFs issuerkit made.
type Verifier struct {
	// Trusted holds the certificates a PDF's signing certificate must equal
	// exactly (pinning).
	Trusted []*x509.Certificate
	// Roots, when set, are trust anchors instead: the signing certificate
	// must chain to one of them through the certificates in the signature,
	// every certificate valid at Now.
	Roots *x509.CertPool
	// Now is the time certificates must be valid at; zero means time.Now.
	Now time.Time
}

// Verified is what a successful verification yields. URI and Status come
// from the signed file, so they are the issuer's.
type Verified struct {
	Cert   *x509.Certificate // the signing certificate
	Signed time.Time         // the signing time the signature dictionary states
	URI    string            // the document's URI ("" when the PDF does not say)
	Status string            // the document's status when signed: A, R, S or E ("" when the PDF does not say)
}

var (
	byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)
	infoRefRE   = regexp.MustCompile(`/Info\s+(\d+)\s+0\s+R`)
	dateRE      = regexp.MustCompile(`/M\s*\(D:(\d{14})([+-])(\d{2})'(\d{2})'\)`)
)

// Verify checks pdf, a PDF with one PAdES signature as issuerkit makes it:
// the byte ranges cover the whole file but the signature's own hex string,
// /SubFilter is ETSI.CAdES.detached, the CMS signature holds over those
// bytes with its signed attributes, and its certificate is trusted.
func (v *Verifier) Verify(pdf []byte) (*Verified, error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, fmt.Errorf("%w: not a PDF file", ErrNotSigned)
	}
	ms := byteRangeRE.FindAllSubmatchIndex(pdf, -1)
	switch {
	case len(ms) == 0:
		return nil, ErrNotSigned
	case len(ms) > 1:
		return nil, fmt.Errorf("%w: %d signatures or revisions, issuerkit makes one", ErrNotWholeDocument, len(ms))
	}
	var r [4]int
	for i := range r {
		n, err := strconv.Atoi(string(pdf[ms[0][2+2*i]:ms[0][3+2*i]]))
		if err != nil {
			return nil, fmt.Errorf("%w: byte range: %v", ErrNotWholeDocument, err)
		}
		r[i] = n
	}
	start, end := r[1], r[2]
	if r[0] != 0 || start <= 0 || end <= start || end > len(pdf) || end+r[3] != len(pdf) {
		return nil, fmt.Errorf("%w: byte range %v of a %d-byte file", ErrNotWholeDocument, r, len(pdf))
	}
	if pdf[start] != '<' || pdf[end-1] != '>' || !isHex(pdf[start+1:end-1]) ||
		!bytes.HasSuffix(bytes.TrimRight(pdf[:start], " \r\n\t"), []byte("/Contents")) {
		return nil, fmt.Errorf("%w: the unsigned gap is not the signature's /Contents", ErrNotWholeDocument)
	}
	dict := sigDict(pdf, ms[0][0], end)
	if !regexp.MustCompile(`/SubFilter\s*/ETSI\.CAdES\.detached\b`).Match(dict) {
		return nil, fmt.Errorf("%w: /SubFilter is not /ETSI.CAdES.detached", errNotPAdES)
	}
	der, err := hex.DecodeString(string(pdf[start+1 : end-1])) // the CMS, then zero padding
	if err != nil {
		return nil, fmt.Errorf("%w: /Contents: %v", errNotPAdES, err)
	}
	d := sha256.New()
	d.Write(pdf[:start])
	d.Write(pdf[end:])
	sig, err := parseAndCheckCMS(der, d.Sum(nil))
	if err != nil {
		return nil, err
	}
	if err := v.trust(sig); err != nil {
		return nil, err
	}
	out := &Verified{Cert: sig.signer}
	if m := dateRE.FindSubmatch(dict); m != nil {
		off, _ := strconv.Atoi(string(m[3]))
		offm, _ := strconv.Atoi(string(m[4]))
		secs := off*3600 + offm*60
		if m[2][0] == '-' {
			secs = -secs
		}
		out.Signed, _ = time.ParseInLocation("20060102150405", string(m[1]), time.FixedZone("", secs))
	}
	out.URI, out.Status = docInfo(pdf)
	return out, nil
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// sigDict is the signature object around the byte range at br whose
// /Contents ends at end: from its "obj" to its "endobj".
func sigDict(pdf []byte, br, end int) []byte {
	from := bytes.LastIndex(pdf[:br], []byte(" obj"))
	to := bytes.Index(pdf[end:], []byte("endobj"))
	if from < 0 || to < 0 {
		return nil
	}
	return pdf[from : end+to]
}

// trust checks the signer's certificate: pinned, or chained to v.Roots.
func (v *Verifier) trust(sig *cmsSignature) error {
	now := v.Now
	if now.IsZero() {
		now = time.Now()
	}
	if v.Roots != nil {
		inter := x509.NewCertPool()
		for _, c := range sig.certs {
			if c != sig.signer {
				inter.AddCert(c)
			}
		}
		_, err := sig.signer.Verify(x509.VerifyOptions{Roots: v.Roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUntrustedCert, err)
		}
		return nil
	}
	if len(v.Trusted) == 0 {
		return fmt.Errorf("%w: no trusted certificate configured", ErrUntrustedCert)
	}
	for _, t := range v.Trusted {
		if t.Equal(sig.signer) {
			if now.Before(t.NotBefore) || now.After(t.NotAfter) {
				return fmt.Errorf("%w: the certificate is valid from %s to %s", ErrUntrustedCert,
					t.NotBefore.Format(time.DateOnly), t.NotAfter.Format(time.DateOnly))
			}
			return nil
		}
	}
	return fmt.Errorf("%w: signed by %q, not by the pinned certificate", ErrUntrustedCert, sig.signer.Subject.String())
}

// docInfo reads the document's URI and status from the Info dictionary
// the trailer names (issuerkit writes one revision, so one trailer).
func docInfo(pdf []byte) (uri, status string) {
	t := bytes.LastIndex(pdf, []byte("trailer"))
	if t < 0 {
		return "", ""
	}
	m := infoRefRE.FindSubmatch(pdf[t:])
	if m == nil {
		return "", ""
	}
	head := []byte("\n" + string(m[1]) + " 0 obj\n")
	i := bytes.Index(pdf, head)
	if i < 0 {
		return "", ""
	}
	obj := pdf[i+len(head):]
	if j := bytes.Index(obj, []byte("endobj")); j >= 0 {
		obj = obj[:j]
	}
	get := func(key string) string {
		m := regexp.MustCompile(`/` + key + `\s*(<[0-9A-Fa-f]*>)`).FindSubmatch(obj)
		if m == nil {
			return ""
		}
		s, _ := parsePDFText(m[1])
		return s
	}
	return get("Subject"), get(statusKey)
}
