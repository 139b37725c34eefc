// Package schema holds, as data, what the official descriptions of
// DigiLocker documents require of a Certificate: API Setu's OpenAPI
// descriptions of the documents its publishers return
// (AcademicCertificateSchema of apisetu.gov.in cbse 3.0.0 for marksheets,
// DrivingLicenseSchema of transport 3.0.0 for driving licences). No XSD is
// published; these are the closest thing (digilocker-spec.md §6).
//
// For each element (a path from Certificate) the data lists the attributes
// the description marks required, and which of them must not be empty
// (minLength 1). Check compares a rendered Certificate with it; ingest uses
// the same data to write every required attribute, empty when nothing
// gives it a value.
package schema

import (
	"fmt"
	"sort"
	"strings"

	"github.com/beevik/etree"
)

// Attr is a required attribute.
type Attr struct {
	Name string
	// NonEmpty: the description gives it minLength 1.
	NonEmpty bool
	// Default is the value ingest writes when the profile gives none: a
	// literal, or "=issueDate" for the Certificate's issue date.
	Default string
}

// Element is one element of a schema.
type Element struct {
	// Path is the element's path below Certificate ("" for Certificate
	// itself), e.g. "IssuedTo/Person/Address".
	Path     string
	Required bool // must be present (when its parent is)
	Attrs    []Attr
}

// Name is the element's own name.
func (e *Element) Name() string {
	if i := strings.LastIndexByte(e.Path, '/'); i >= 0 {
		return e.Path[i+1:]
	}
	if e.Path == "" {
		return "Certificate"
	}
	return e.Path
}

// Schema is one official document description.
type Schema struct {
	Name     string // e.g. AcademicCertificateSchema
	Source   string // where it is described
	DocTypes []string
	Elements []Element
	byPath   map[string]*Element
}

// Element returns the element at path, or nil.
func (s *Schema) Element(path string) *Element { return s.byPath[path] }

// For returns the schema of doctype, or nil when no official description
// is known for it.
func For(doctype string) *Schema {
	for _, s := range all {
		for _, d := range s.DocTypes {
			if d == doctype {
				return s
			}
		}
	}
	return nil
}

// All returns every schema, for listing.
func All() []*Schema { return all }

// Deviation is one way a document departs from its schema.
type Deviation struct {
	Path string // element path, e.g. IssuedTo/Person
	Attr string // the attribute, when the deviation is about one
	Kind string // missing element, missing attribute, empty value, unknown element
}

// Deviation kinds.
const (
	MissingElement   = "missing required element"
	MissingAttribute = "missing required attribute"
	EmptyValue       = "empty required value"
	UnknownElement   = "unknown element"
)

func (d Deviation) String() string {
	where := "Certificate"
	if d.Path != "" {
		where += "/" + d.Path
	}
	if d.Attr != "" {
		where += "/@" + d.Attr
	}
	return where + ": " + d.Kind
}

// Check lists every deviation of the Certificate root from s, in document
// order. The XML-DSig Signature is not part of the schema and is skipped.
func (s *Schema) Check(root *etree.Element) []Deviation {
	var out []Deviation
	if root == nil || root.Tag != "Certificate" {
		return []Deviation{{Kind: MissingElement}}
	}
	s.check(root, "", &out)
	return out
}

func (s *Schema) check(el *etree.Element, path string, out *[]Deviation) {
	def := s.byPath[path]
	for _, a := range def.Attrs {
		at := el.SelectAttr(a.Name)
		switch {
		case at == nil:
			*out = append(*out, Deviation{Path: path, Attr: a.Name, Kind: MissingAttribute})
		case a.NonEmpty && strings.TrimSpace(at.Value) == "":
			*out = append(*out, Deviation{Path: path, Attr: a.Name, Kind: EmptyValue})
		}
	}
	seen := map[string]bool{}
	for _, c := range el.ChildElements() {
		if path == "" && c.Tag == "Signature" {
			continue
		}
		cp := join(path, c.Tag)
		if s.byPath[cp] == nil {
			*out = append(*out, Deviation{Path: cp, Kind: UnknownElement})
			continue
		}
		seen[c.Tag] = true
		s.check(c, cp, out)
	}
	for _, e := range s.children(path) {
		if e.Required && !seen[e.Name()] {
			*out = append(*out, Deviation{Path: e.Path, Kind: MissingElement})
		}
	}
}

// children are the schema's elements directly below path, in order.
func (s *Schema) children(path string) []*Element {
	var out []*Element
	for i := range s.Elements {
		e := &s.Elements[i]
		if e.Path != "" && parent(e.Path) == path {
			out = append(out, e)
		}
	}
	return out
}

func parent(path string) string {
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		return path[:i]
	}
	return ""
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "/" + name
}

// build parses the compact element table: each line "path: attrs", an
// attribute "name!" must not be empty, "name=value" has a default; a path
// ending in "?" is optional.
func build(name, source string, doctypes []string, table string) *Schema {
	s := &Schema{Name: name, Source: source, DocTypes: doctypes, byPath: map[string]*Element{}}
	for _, line := range strings.Split(strings.TrimSpace(table), "\n") {
		p, attrs, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok {
			panic(fmt.Sprintf("schema %s: bad line %q", name, line))
		}
		e := Element{Path: strings.TrimSuffix(strings.TrimSpace(p), "?"), Required: !strings.HasSuffix(strings.TrimSpace(p), "?")}
		if e.Path == "." {
			e.Path = ""
		}
		for _, f := range strings.Fields(attrs) {
			a := Attr{}
			f, a.Default, _ = strings.Cut(f, "=")
			a.Name, a.NonEmpty = strings.TrimSuffix(f, "!"), strings.HasSuffix(f, "!")
			e.Attrs = append(e.Attrs, a)
		}
		s.Elements = append(s.Elements, e)
	}
	for i := range s.Elements {
		s.byPath[s.Elements[i].Path] = &s.Elements[i]
	}
	return s
}

// DocTypes lists the DocTypes with a known schema, sorted.
func DocTypes() []string {
	var out []string
	for _, s := range all {
		out = append(out, s.DocTypes...)
	}
	sort.Strings(out)
	return out
}
