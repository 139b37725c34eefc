package signer

import (
	"bytes"
	"slices"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// excC14N is exclusive XML canonicalization (without comments) with a fast
// path for the documents issuerkit signs. A Certificate uses no XML
// namespaces, and for a namespace-free tree exclusive C14N is a single
// serialization pass: attributes sorted by name, no empty-element tags,
// C14N's escaping, no declaration. Any element that is not namespace-free
// (SignedInfo, or an issuer's own extensions) goes to goxmldsig's
// implementation, so the output is always the standard's. Unlike goxmldsig,
// the fast path leaves the tree as it was (attribute order included).
type excC14N struct {
	slow dsig.Canonicalizer
}

func newExcC14N() *excC14N {
	return &excC14N{slow: dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")}
}

// Algorithm implements dsig.Canonicalizer.
func (c *excC14N) Algorithm() dsig.AlgorithmID { return c.slow.Algorithm() }

// Canonicalize implements dsig.Canonicalizer.
func (c *excC14N) Canonicalize(el *etree.Element) ([]byte, error) {
	if !namespaceFree(el) {
		return c.slow.Canonicalize(el)
	}
	for p := el.Parent(); p != nil; p = p.Parent() {
		if hasNamespaceDecl(p) {
			return c.slow.Canonicalize(el)
		}
	}
	var b bytes.Buffer
	b.Grow(8 << 10)
	writeC14N(&b, el)
	return b.Bytes(), nil
}

func hasNamespaceDecl(el *etree.Element) bool {
	for _, a := range el.Attr {
		if a.Key == "xmlns" || a.Space == "xmlns" {
			return true
		}
	}
	return false
}

// namespaceFree reports whether el's subtree has no prefixes, no namespace
// declarations and nothing but elements and text (no comments, processing
// instructions or directives, which the fast path does not handle).
func namespaceFree(el *etree.Element) bool {
	if el.Space != "" || hasNamespaceDecl(el) {
		return false
	}
	for _, a := range el.Attr {
		if a.Space != "" {
			return false
		}
	}
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if !namespaceFree(t) {
				return false
			}
		case *etree.CharData:
		default:
			return false
		}
	}
	return true
}

func writeC14N(b *bytes.Buffer, el *etree.Element) {
	b.WriteByte('<')
	b.WriteString(el.Tag)
	attrs := el.Attr
	if !slices.IsSortedFunc(attrs, cmpAttr) {
		attrs = slices.Clone(attrs)
		slices.SortFunc(attrs, cmpAttr)
	}
	for _, a := range attrs {
		b.WriteByte(' ')
		b.WriteString(a.Key)
		b.WriteString(`="`)
		attrEscaper.WriteString(b, a.Value)
		b.WriteByte('"')
	}
	b.WriteByte('>')
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			writeC14N(b, t)
		case *etree.CharData:
			textEscaper.WriteString(b, t.Data)
		}
	}
	b.WriteString("</")
	b.WriteString(el.Tag)
	b.WriteByte('>')
}

func cmpAttr(x, y etree.Attr) int { return strings.Compare(x.Key, y.Key) }

// C14N's character escaping (XML-C14N 1.0, section 2.3).
var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", `"`, "&quot;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;")
)
