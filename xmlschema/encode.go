package xmlschema

import (
	"errors"
	"fmt"
	"strings"
)

// Encoded is a Certificate written without building a tree: the document
// exactly as Bytes(Render()) writes it, and the exclusive XML canonical
// form (C14N 1.0, without comments) of its root, which an enveloped
// signature's reference digests. Its buffers are reused by the next Encode.
type Encoded struct {
	// Doc is the unsigned document, XML declaration first.
	Doc []byte
	// Canon is the canonical form of the root element.
	Canon []byte
	// End is the offset in Doc of the root's end tag, where an enveloped
	// Signature goes as the root's last child.
	End int

	spans []attrSpan
}

// attrSpan is where an attribute of the start tag being written lies in
// Doc: the canonical form copies those bytes in its own order rather than
// escaping the value again.
type attrSpan struct {
	name     string
	from, to int
}

// ErrNotPlain is returned by Encode for a Certificate that the direct
// encoder leaves to Render: a name with a namespace prefix, an xmlns
// attribute or an element with the same attribute twice (which the tree
// merges into one).
var ErrNotPlain = errors.New("certificate needs the tree encoder")

const xmlDecl = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`

// Encode writes c into e. It gives the bytes Bytes(Render()) gives, and the
// canonical form goxmldsig's exclusive canonicalizer gives for the root,
// at a fraction of the cost; it fails where Render fails, with the same
// errors, and with ErrNotPlain where only Render can encode c.
func (c *Certificate) Encode(e *Encoded) error {
	if !c.Status.Valid() {
		return fmt.Errorf("render certificate: invalid status %q", c.Status)
	}
	for _, a := range c.Person {
		if a.Name == "uid" && looksLikeAadhaar(a.Value) {
			return errors.New("render certificate: Person/@uid must be masked, not a full Aadhaar number")
		}
	}
	lang := c.Language
	if lang == "" {
		lang = "99"
	}
	w := encoder{e: e}
	e.Doc = append(e.Doc[:0], xmlDecl...)
	e.Canon = e.Canon[:0]
	root := [...]Attr{
		{"language", lang}, {"name", c.Name}, {"type", c.Type}, {"number", c.Number},
		{"prevNumber", c.PrevNumber}, {"issuedAt", c.IssuedAt}, {"issueDate", c.IssueDate},
		{"validFromDate", c.ValidFromDate}, {"expiryDate", c.ExpiryDate}, {"status", string(c.Status)},
	}
	w.start("Certificate", root[:])
	w.body()
	w.start("IssuedBy", nil)
	w.body()
	o := c.IssuedBy
	org := [...]Attr{{"name", o.Name}, {"code", o.Code}, {"tin", o.TIN}, {"uid", o.UID}, {"type", o.Type}}
	w.start("Organization", org[:])
	if len(o.Address) > 0 {
		w.body()
		w.start("Address", o.Address)
		w.end("Address", true)
		w.end("Organization", false)
	} else {
		w.end("Organization", true)
	}
	w.end("IssuedBy", false)
	w.start("IssuedTo", nil)
	w.body()
	w.start("Person", c.Person)
	w.children("Person", "", c.PersonChildren)
	w.end("IssuedTo", false)
	w.start("CertificateData", nil)
	w.children("CertificateData", "", c.Data)
	e.End = len(e.Doc)
	w.end("Certificate", false)
	if w.err != nil {
		if errors.Is(w.err, ErrNotPlain) {
			return w.err
		}
		return fmt.Errorf("render certificate: %w", w.err)
	}
	return nil
}

// encoder writes each element into both forms. The document keeps the
// attributes in the order given and writes an element with no content as
// an empty-element tag, as etree does; the canonical form sorts the
// attributes by name and always writes an end tag. Both escape alike:
// etree's canonical settings are C14N's escaping.
type encoder struct {
	e   *Encoded
	err error
}

func (w *encoder) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

func (w *encoder) name(s string) {
	if strings.IndexByte(s, ':') >= 0 || s == "xmlns" {
		w.fail(ErrNotPlain)
	}
}

// start writes the start tag up to its closing '>'. Each attribute is
// escaped once, into the document; the canonical form, whose escaping is
// the same, copies the attributes' bytes from there sorted by name.
func (w *encoder) start(tag string, attrs []Attr) {
	e := w.e
	w.name(tag)
	e.Doc = append(append(e.Doc, '<'), tag...)
	e.Canon = append(append(e.Canon, '<'), tag...)
	spans := e.spans[:0]
	for _, a := range attrs {
		w.name(a.Name)
		if !ValidXMLText(a.Value) {
			w.fail(fmt.Errorf("%s/@%s: %w", tag, a.Name, ErrInvalidXMLText))
		}
		from := len(e.Doc)
		e.Doc = appendAttr(e.Doc, a)
		spans = append(spans, attrSpan{a.Name, from, len(e.Doc)})
	}
	for i := 1; i < len(spans); i++ { // insertion sort: a dozen attributes
		for j := i; j > 0; j-- {
			c := compareNames(spans[j].name, spans[j-1].name)
			if c == 0 {
				w.fail(ErrNotPlain)
			}
			if c >= 0 {
				break
			}
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	for _, sp := range spans {
		e.Canon = append(e.Canon, e.Doc[sp.from:sp.to]...)
	}
	e.spans = spans[:0]
}

// compareNames orders attribute names as strings.Compare does, most of
// them by their first byte alone.
func compareNames(a, b string) int {
	if a != "" && b != "" && a[0] != b[0] {
		return int(a[0]) - int(b[0])
	}
	return strings.Compare(a, b)
}

// body closes a start tag that has content.
func (w *encoder) body() {
	w.e.Doc = append(w.e.Doc, '>')
	w.e.Canon = append(w.e.Canon, '>')
}

// end writes the end tag of an element; empty says it has no content and
// its start tag is still open.
func (w *encoder) end(tag string, empty bool) {
	e := w.e
	if empty {
		e.Doc = append(e.Doc, "/>"...)
		e.Canon = append(e.Canon, '>')
	} else {
		e.Doc = append(append(append(e.Doc, "</"...), tag...), '>')
	}
	e.Canon = append(append(append(e.Canon, "</"...), tag...), '>')
}

// children writes the content of an open start tag (text, then nodes)
// and its end tag.
func (w *encoder) children(tag, text string, nodes []Node) {
	if text == "" && len(nodes) == 0 {
		w.end(tag, true)
		return
	}
	w.body()
	if text != "" {
		if !ValidXMLText(text) {
			w.fail(fmt.Errorf("%s: %w", tag, ErrInvalidXMLText))
		}
		w.e.Doc = appendEscaped(w.e.Doc, text, false)
		w.e.Canon = appendEscaped(w.e.Canon, text, false)
	}
	for i := range nodes {
		n := &nodes[i]
		w.start(n.Tag, n.Attrs)
		w.children(n.Tag, n.Text, n.Children)
	}
	w.end(tag, false)
}

func appendAttr(dst []byte, a Attr) []byte {
	dst = append(append(append(dst, ' '), a.Name...), `="`...)
	return append(appendEscaped(dst, a.Value, true), '"')
}

// appendEscaped escapes s as C14N does (and etree with CanonicalText and
// CanonicalAttrVal): &, < and > in text, with CR as a character
// reference; &, <, " and tab, LF and CR in attribute values.
func appendEscaped(dst []byte, s string, attr bool) []byte {
	mask := uint8(escText)
	if attr {
		mask = escAttr
	}
	last := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if escapes[c]&mask == 0 {
			continue
		}
		var esc string
		switch c {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&quot;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		}
		dst = append(append(dst, s[last:i]...), esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}

// escapes says, for every byte, whether text (escText) or an attribute
// value (escAttr) escapes it.
const (
	escText = 1 << iota
	escAttr
)

var escapes = [256]uint8{
	'&': escText | escAttr, '<': escText | escAttr, '\r': escText | escAttr,
	'>': escText, '"': escAttr, '\t': escAttr, '\n': escAttr,
}
