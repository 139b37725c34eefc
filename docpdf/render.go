// Package docpdf renders a signed Certificate as a printable A4 PDF: the
// issuer's header, the holder's details, the certificate data (tables for
// repeated entries such as subjects), the status, and a QR code of the
// document's public /verify link.
//
// Text is shaped with go-text/typesetting (a HarfBuzz port) and placed by
// glyph ID in embedded, subsetted Noto fonts, so Devanagari conjuncts and
// vowel signs render as the font designs them — most Go PDF libraries
// place glyphs one rune at a time and break them. Each line carries its
// text as ActualText, so text extraction finds names as written.
package docpdf

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/issuerkit/issuerkit/xmlschema"

	"github.com/beevik/etree"
	qrcode "github.com/skip2/go-qrcode"
)

// Renderer renders documents; it is safe for concurrent use.
type Renderer struct {
	Fonts *FontSet
	// VerifyURL is the public base of the repository API, e.g.
	// https://results.cbse.gov.in: the QR code encodes VerifyURL/verify/URI.
	VerifyURL string
	// Signer signs every PDF (PAdES B-B); Render fails without one, so an
	// unsigned PDF is never made.
	Signer *Signer
	// Link, when set, returns the whole link the QR code and the print of
	// uri carry (with its /verify token); VerifyURL is then unused.
	Link func(uri string) string
}

// VerifyLink is the link the QR code of uri encodes.
func (r *Renderer) VerifyLink(uri string) string {
	if r.Link != nil {
		return r.Link(uri)
	}
	return strings.TrimSuffix(r.VerifyURL, "/") + "/verify/" + uri
}

var personLabels = []struct{ attr, label string }{
	{"name", "Name"}, {"motherName", "Mother's name"}, {"fatherName", "Father's name"}, {"dob", "Date of birth"},
	{"gender", "Gender"}, {"uid", "Aadhaar"},
}

var statusBanner = map[string]string{"R": "REVOKED", "S": "SUSPENDED", "E": "EXPIRED"}

const (
	margin = 48.0
	ink    = 0.13
)

// Render lays out the signed document data (a Certificate) as a PDF and
// signs it with r.Signer: a PAdES B-B signature over the whole file, shown
// on the page by a signature field naming the issuer and the signing time.
// It returns an error, and no PDF, when the key cannot sign.
func (r *Renderer) Render(data []byte, uri string) ([]byte, error) {
	if r.Signer == nil {
		return nil, errors.New("pdf: no signing key: every PDF issuerkit makes is signed")
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, fmt.Errorf("pdf: %w", err)
	}
	root := doc.Root()
	if root == nil || root.Tag != "Certificate" {
		return nil, fmt.Errorf("pdf: not a Certificate")
	}
	p := newPage(r.Fonts)
	org := root.FindElement("IssuedBy/Organization")
	person := root.FindElement("IssuedTo/Person")

	y := p.head(root, org, person, uri)

	// The certificate data: key/value lines, and a table for each list.
	if data := root.SelectElement("CertificateData"); data != nil {
		y = p.section(y, "Details")
		for _, e := range data.ChildElements() {
			y = p.element(y, e)
		}
	}
	if v := attr(root, "expiryDate"); v != "" {
		p.text(margin, y, 10, false, "Valid until")
		p.text(margin+120, y, 10.5, false, v)
	}

	// The QR code of the public verification page, and what it says.
	link := r.VerifyLink(uri)
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("pdf: QR code: %w", err)
	}
	q.DisableBorder = true
	bm := q.Bitmap()
	const qrSize = 116.0
	cell := qrSize / float64(len(bm))
	qx, qy := pageW-margin-qrSize, margin+24
	p.color(0, 0, 0, true)
	for row := range bm {
		for col, black := range bm[row] {
			if black {
				p.rect(qx+float64(col)*cell, qy+qrSize-float64(row+1)*cell, cell+0.01, cell+0.01, true)
			}
		}
	}
	p.color(ink, ink, ink, true)
	p.text(qx, qy-14, 8, true, "Scan to verify")
	p.color(0.6, 0.6, 0.6, false)
	p.line(margin, margin+qrSize+36, pageW-margin-qrSize-16, margin+qrSize+36)
	p.color(ink, ink, ink, true)
	foot := []string{
		"Digitally signed by " + attr(org, "name") + " (" + attr(org, "code") + ").",
		"The signed XML document is the authoritative copy; this print shows its content.",
		"Verify it at:",
		link,
	}
	fy := margin + qrSize + 18
	for _, l := range foot {
		p.text(margin, fy, 8.5, false, l)
		fy -= 13
	}
	meta := docMeta{title: attr(root, "name") + " " + attr(root, "number"), uri: uri, issuer: attr(org, "name"),
		status: attr(root, "status"), signed: r.Signer.now().In(xmlschema.IST).Truncate(time.Second)}
	if meta.status == "" {
		meta.status = string(xmlschema.StatusActive)
	}
	const apH = 64.0
	ap := p.signatureAppearance(margin, fy-6-apH, qx-16-margin, apH, meta, r.Signer)
	return p.finish(meta, ap, r.Signer)
}

// attr is e's attribute k, or "" (also when e is nil).
func attr(e *etree.Element, k string) string {
	if e == nil {
		return ""
	}
	return e.SelectAttrValue(k, "")
}

// head draws the header band, the status banner of a document that is no
// longer active, and the holder; it returns the next line's y.
func (p *page) head(root, org, person *etree.Element, uri string) float64 {
	// Header band.
	y := pageH - margin
	p.color(0.91, 0.93, 0.98, true)
	p.rect(0, pageH-110, pageW, 110, true)
	p.color(0.16, 0.22, 0.55, true)
	p.rect(0, pageH-114, pageW, 4, true)
	p.color(ink, ink, ink, true)
	p.text(margin, y-8, 18, true, attr(org, "name"))
	p.text(margin, y-32, 13, true, attr(root, "name"))
	p.text(margin, y-50, 9.5, false, fmt.Sprintf("Document No. %s   ·   Issued %s at %s   ·   %s",
		attr(root, "number"), attr(root, "issueDate"), attr(root, "issuedAt"), uri))
	y = pageH - 140

	if b, bad := statusBanner[attr(root, "status")]; bad {
		p.color(0.64, 0.09, 0.10, true)
		p.text(margin, y, 16, true, "THIS DOCUMENT IS "+b)
		p.color(ink, ink, ink, true)
		y -= 26
	}

	// The holder.
	y = p.section(y, "Issued to")
	for _, pl := range personLabels {
		if v := attr(person, pl.attr); v != "" {
			p.text(margin, y, 10, false, pl.label)
			p.text(margin+120, y, 10.5, pl.attr == "name", v)
			y -= 16
		}
	}
	y -= 6

	return y
}

// signatureAppearance draws the visible signature field into its own
// appearance stream: who signed, with which certificate, and when.
func (p *page) signatureAppearance(x, y, w, h float64, meta docMeta, s *Signer) *appearance {
	page := p.content
	p.content = bytes.Buffer{}
	p.color(0.16, 0.42, 0.25, false)
	p.rect(0.5, 0.5, w-1, h-1, false)
	p.color(0.16, 0.42, 0.25, true)
	p.text(8, h-15, 9, true, "Digitally signed by "+meta.issuer)
	p.color(ink, ink, ink, true)
	cert := s.Certificate()
	by := "issued by " + cert.Issuer.CommonName
	if bytes.Equal(cert.RawIssuer, cert.RawSubject) {
		by = "self-signed"
	}
	lines := []string{
		"Certificate: " + cert.Subject.CommonName + " (" + by + ")",
		"Signed on " + meta.signed.Format("02-01-2006 at 15:04:05 IST"),
		"Check it in the PDF reader's signature panel, or scan the QR code.",
	}
	ly := h - 29
	for _, l := range lines {
		p.text(8, ly, 8, false, l)
		ly -= 12
	}
	ap := &appearance{x: x, y: y, w: w, h: h, content: slices.Clone(p.content.Bytes())}
	p.content = page
	return ap
}

// section draws a section heading and returns the next line's y.
func (p *page) section(y float64, title string) float64 {
	p.color(0.16, 0.22, 0.55, true)
	p.text(margin, y, 11, true, strings.ToUpper(title))
	p.color(0.16, 0.22, 0.55, false)
	p.line(margin, y-5, pageW-margin, y-5)
	p.color(ink, ink, ink, true)
	return y - 22
}

// element draws one CertificateData child: its attributes on a line, then
// each list it holds as a table.
func (p *page) element(y float64, e *etree.Element) float64 {
	if y < 220 {
		return y // the page is full; the QR code and footer keep their place
	}
	var parts []string
	if v := e.SelectAttrValue("name", ""); v != "" {
		parts = append(parts, v)
	}
	for _, a := range e.Attr {
		if a.Key != "name" && a.Value != "" {
			parts = append(parts, humanize(a.Key)+" "+a.Value)
		}
	}
	if len(parts) > 0 {
		p.text(margin, y, 10, false, humanize(e.Tag))
		for _, l := range p.wrapParts(parts, "  ·  ", 10.5, false, pageW-2*margin-120) {
			p.text(margin+120, y, 10.5, false, l)
			y -= 14
		}
		y -= 4
	}
	for _, list := range e.ChildElements() {
		items := list.ChildElements()
		if len(items) == 0 {
			y = p.element(y, list)
			continue
		}
		y = p.table(y, items)
	}
	return y
}

// table draws items (elements of one kind) as rows, one column per
// attribute.
func (p *page) table(y float64, items []*etree.Element) float64 {
	// A column is shown when some row has a value in it: the schemas
	// make attributes present that are often empty (marksMaxTheory, gp).
	var cols []string
	seen := map[string]bool{}
	for _, it := range items {
		for _, a := range it.Attr {
			if !seen[a.Key] && a.Value != "" {
				seen[a.Key] = true
				cols = append(cols, a.Key)
			}
		}
	}
	if len(cols) == 0 {
		return y
	}
	// The name column is wide; the others share the rest.
	width := pageW - 2*margin
	colW := make([]float64, len(cols))
	nameW := 0.0
	for i, c := range cols {
		if c == "name" {
			nameW = width * 0.38
			colW[i] = nameW
		}
	}
	for i := range cols {
		if colW[i] == 0 {
			colW[i] = (width - nameW) / float64(len(cols)-btoi(nameW > 0))
		}
	}
	// Headers that do not fit their column wrap at spaces.
	heads := make([][]string, len(cols))
	rows := 1
	for i, c := range cols {
		heads[i] = p.wrap(humanize(c), 8.5, true, colW[i]-6)
		rows = max(rows, len(heads[i]))
	}
	hh := 16.0 + 10*float64(rows-1)
	p.color(0.91, 0.93, 0.98, true)
	p.rect(margin, y-5-(hh-16), width, hh, true)
	p.color(ink, ink, ink, true)
	x := margin + 4
	for i := range cols {
		for j, l := range heads[i] {
			p.text(x, y-10*float64(j), 8.5, true, l)
		}
		x += colW[i]
	}
	y -= hh + 1
	p.color(0.8, 0.8, 0.8, false)
	for _, it := range items {
		if y < 200 {
			break
		}
		x = margin + 4
		for i, c := range cols {
			p.text(x, y, 9.5, false, it.SelectAttrValue(c, ""))
			x += colW[i]
		}
		p.line(margin, y-5, margin+width, y-5)
		y -= 16
	}
	return y - 8
}

// wrap breaks s at spaces into lines no wider than w (a word wider than w
// has a line of its own).
func (p *page) wrap(s string, size float64, bold bool, w float64) []string {
	return p.wrapParts(strings.Fields(s), " ", size, bold, w)
}

// wrapParts joins parts with sep into lines no wider than w, breaking only
// between parts.
func (p *page) wrapParts(parts []string, sep string, size float64, bold bool, w float64) []string {
	var lines []string
	cur := ""
	for _, part := range parts {
		next := part
		if cur != "" {
			next = cur + sep + part
		}
		if cur != "" && p.width(size, bold, next) > w {
			lines = append(lines, cur)
			next = part
		}
		cur = next
	}
	if cur != "" || len(lines) == 0 {
		lines = append(lines, cur)
	}
	return lines
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// humanize turns marksTheory into "Marks Theory".
func humanize(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i == 0 {
			b.WriteRune(unicode.ToUpper(r))
			continue
		}
		if unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
