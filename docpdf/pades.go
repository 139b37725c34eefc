package docpdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// How a PDF is signed. docpdf writes every byte of the file itself, so it
// reserves the signature's place while writing, in the one and only
// revision: the signature dictionary gets a fixed-width /ByteRange and a
// /Contents hex string of zeros sized for the CMS. Once the whole file is
// written, /ByteRange is filled in (everything but the /Contents hex), the
// SHA-256 of those ranges is signed, and the SignedData's hex overwrites
// the zeros. Nothing is parsed back and nothing moves, which a library
// that signs an existing PDF (an incremental update after parsing it)
// would cost on every document, and the signature covers the whole file.

// statusKey is the Info dictionary key holding the document's status, read
// back by Verify with the URI in /Subject.
const statusKey = "DocumentStatus"

// docMeta is what a PDF says about its document outside the page.
type docMeta struct {
	title, uri, issuer, status string
	signed                     time.Time
}

// appearance is the signature widget's rectangle on the page and its
// appearance stream (in the widget's own coordinates).
type appearance struct {
	x, y, w, h float64
	content    []byte
}

// hole locates the placeholders of the signature dictionary in the file.
type hole struct {
	byteRange, byteRangeLen int // the /ByteRange array's place and width
	contents, contentsEnd   int // the /Contents hex string, < to > inclusive
}

const byteRangeWidth = len("[0 0000000000 0000000000 0000000000]")

// writeSigDict writes the signature dictionary with its placeholders.
func writeSigDict(w *pdfWriter, s *Signer, meta docMeta) (hole, error) {
	if s == nil {
		return hole{}, errors.New("pdf: no signing key: every PDF issuerkit makes is signed")
	}
	leaf := s.Certificate()
	name := leaf.Subject.CommonName
	if name == "" && len(leaf.Subject.Organization) > 0 {
		name = leaf.Subject.Organization[0]
	}
	head := fmt.Sprintf("<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /Name %s /Reason %s /M %s /ByteRange ",
		pdfText(name), pdfText("Issued by "+meta.issuer+": "+meta.uri), pdfDate(meta.signed))
	var body strings.Builder
	body.Grow(len(head) + byteRangeWidth + 2*s.reserve + 32)
	body.WriteString(head)
	body.WriteString(strings.Repeat(" ", byteRangeWidth))
	body.WriteString(" /Contents <")
	body.WriteString(strings.Repeat("0", 2*s.reserve))
	body.WriteString("> >>")
	start := w.b.Len()
	n := w.next()
	w.obj(body.String())
	objHead := len(fmt.Sprintf("%d 0 obj\n", n))
	h := hole{byteRange: start + objHead + len(head), byteRangeLen: byteRangeWidth}
	h.contents = h.byteRange + byteRangeWidth + len(" /Contents ")
	h.contentsEnd = h.contents + 2*s.reserve + 2
	if b := w.b.Bytes(); b[h.contents] != '<' || b[h.contentsEnd-1] != '>' {
		return hole{}, errors.New("pdf: signature placeholder misplaced")
	}
	return h, nil
}

// sign fills in the placeholders of out: the byte ranges, then the CMS
// signature of their digest.
func (s *Signer) sign(out []byte, h hole, at time.Time) error {
	br := fmt.Sprintf("[0 %d %d %d]", h.contents, h.contentsEnd, len(out)-h.contentsEnd)
	if len(br) > h.byteRangeLen {
		return errors.New("pdf: the file is too large for its byte range")
	}
	copy(out[h.byteRange:], br+strings.Repeat(" ", h.byteRangeLen-len(br)))
	d := sha256.New()
	d.Write(out[:h.contents])
	d.Write(out[h.contentsEnd:])
	der, err := s.signedData(d.Sum(nil), at)
	if err != nil {
		return err
	}
	if 2*len(der) > h.contentsEnd-h.contents-2 {
		return fmt.Errorf("pdf: the signature (%d bytes) is larger than its reserved place", len(der))
	}
	hex.Encode(out[h.contents+1:], der)
	return nil
}

// pdfText is s as a PDF text string: UTF-16BE hex with a byte order mark,
// so any script survives.
func pdfText(s string) string { return "<FEFF" + utf16Hex(s) + ">" }

// pdfDate is t as a PDF date, D:YYYYMMDDHHmmSS+HH'mm'.
func pdfDate(t time.Time) string {
	_, off := t.Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("(D:%s%c%02d'%02d')", t.Format("20060102150405"), sign, off/3600, off%3600/60)
}

// parsePDFText reads back a pdfText value.
func parsePDFText(v []byte) (string, bool) {
	v = bytes.TrimSpace(v)
	if !bytes.HasPrefix(v, []byte("<FEFF")) || !bytes.HasSuffix(v, []byte(">")) {
		return "", false
	}
	raw, err := hex.DecodeString(string(v[5 : len(v)-1]))
	if err != nil || len(raw)%2 != 0 {
		return "", false
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i])<<8 | uint16(raw[2*i+1])
	}
	return string(utf16.Decode(u)), true
}
