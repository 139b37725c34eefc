package ingest

import (
	"fmt"
	"strings"

	"github.com/issuerkit/issuerkit/schema"
	"github.com/issuerkit/issuerkit/xmlschema"
	"go.yaml.in/yaml/v3"
)

// A profile's Certificate is completed to the official schema of its
// DocType (package schema): every attribute the schema requires is
// written, empty when nothing gives it a value, and the Person's Address
// and Photo are present. Values come, in order, from the profile's
// templates, its certificate.defaults (by element path, such as
// IssuedTo/Person, or by element name, such as Performance), and the
// schema's own defaults (country IN, the issue date for a result date).
// The content hash is over the record's values, so a document issued
// before a profile or renderer change stays "unchanged" when its data is
// re-ingested; set the profile's revision to re-issue every document on
// purpose.

// compileDefaults compiles certificate.defaults: element → attributes.
func compileDefaults(n *yaml.Node, scope map[string]any) (map[string][]attrTmpl, error) {
	ps, err := pairs(n, "certificate.defaults")
	if err != nil {
		return nil, err
	}
	out := map[string][]attrTmpl{}
	for _, kv := range ps {
		as, err := compileAttrs(kv[1], scope)
		if err != nil {
			return nil, fmt.Errorf("certificate.defaults: %s: %w", kv[0].Value, err)
		}
		out[kv[0].Value] = as
	}
	return out, nil
}

// defaultFor returns the profile's default template of attr on the element
// at path, or nil.
func (p *Profile) defaultFor(path, attr string) *template {
	name := path[strings.LastIndexByte(path, '/')+1:]
	for _, key := range []string{path, name} {
		for i := range p.defaults[key] {
			if t := &p.defaults[key][i]; t.name == attr {
				return &t.val
			}
		}
	}
	return nil
}

// checkSchema reports, at load time, a value the schema requires that the
// profile cannot produce: a non-empty attribute of the Person or of a
// CertificateData element with neither a template nor a default.
func (p *Profile) checkSchema() error {
	s := schema.For(p.DocType)
	if s == nil {
		return nil
	}
	check := func(path string, given []attrTmpl) error {
		e := s.Element(path)
		if e == nil {
			return nil
		}
		for _, a := range e.Attrs {
			if !a.NonEmpty || a.Default != "" || p.defaultFor(path, a.Name) != nil || hasAttr(given, a.Name) {
				continue
			}
			return fmt.Errorf("certificate: %s requires Certificate/%s/@%s to have a value: map it in the profile or give certificate.defaults", s.Name, path, a.Name)
		}
		return nil
	}
	if err := check("IssuedTo/Person", p.person); err != nil {
		return err
	}
	var walk func(path string, ns []nodeTmpl) error
	walk = func(path string, ns []nodeTmpl) error {
		for i := range ns {
			cp := path + "/" + ns[i].tag
			if err := check(cp, ns[i].attrs); err != nil {
				return err
			}
			if err := walk(cp, ns[i].children); err != nil {
				return err
			}
		}
		return nil
	}
	return walk("CertificateData", p.data)
}

func hasAttr(ts []attrTmpl, name string) bool {
	for _, t := range ts {
		if t.name == name {
			return true
		}
	}
	return false
}

// fillSchema completes c to the DocType's schema.
func (m *Mapper) fillSchema(c *xmlschema.Certificate, iss Issuer, env map[string]any) error {
	s := schema.For(m.p.DocType)
	if s == nil {
		return nil
	}
	var err error
	if c.Person, err = m.fillAttrs(s, "IssuedTo/Person", c.Person, c, env); err != nil {
		return err
	}
	if c.IssuedBy.Address, err = m.fillAttrs(s, "IssuedBy/Organization/Address", iss.Address, c, env); err != nil {
		return err
	}
	for _, e := range s.Children("IssuedTo/Person") {
		if e.Required && !hasNode(c.PersonChildren, e.Name()) {
			c.PersonChildren = append(c.PersonChildren, xmlschema.Node{Tag: e.Name()})
		}
	}
	if err := m.fillNodes(s, "IssuedTo/Person", c.PersonChildren, c, env); err != nil {
		return err
	}
	return m.fillNodes(s, "CertificateData", c.Data, c, env)
}

func hasNode(ns []xmlschema.Node, tag string) bool {
	for _, n := range ns {
		if n.Tag == tag {
			return true
		}
	}
	return false
}

func (m *Mapper) fillNodes(s *schema.Schema, path string, ns []xmlschema.Node, c *xmlschema.Certificate, env map[string]any) error {
	for i := range ns {
		cp := path + "/" + ns[i].Tag
		var err error
		if ns[i].Attrs, err = m.fillAttrs(s, cp, ns[i].Attrs, c, env); err != nil {
			return err
		}
		if err := m.fillNodes(s, cp, ns[i].Children, c, env); err != nil {
			return err
		}
	}
	return nil
}

// fillAttrs adds the attributes the schema requires of the element at path
// that attrs lacks, and gives an empty one that must not be empty its
// default when there is one.
func (m *Mapper) fillAttrs(s *schema.Schema, path string, attrs []xmlschema.Attr, c *xmlschema.Certificate, env map[string]any) ([]xmlschema.Attr, error) {
	e := s.Element(path)
	if e == nil {
		return attrs, nil
	}
	out := make([]xmlschema.Attr, len(attrs), len(attrs)+len(e.Attrs))
	copy(out, attrs)
	for _, a := range e.Attrs {
		i := -1
		for j := range out {
			if out[j].Name == a.Name {
				i = j
				break
			}
		}
		if i >= 0 && (out[i].Value != "" || !a.NonEmpty) {
			continue
		}
		v := ""
		if t := m.p.defaultFor(path, a.Name); t != nil {
			var err error
			if v, err = t.exec(env); err != nil {
				return nil, fmt.Errorf("certificate.defaults: %s/@%s: %w", path, a.Name, err)
			}
		}
		if v == "" {
			v = a.Default
			if v == "=issueDate" {
				v = c.IssueDate
			}
		}
		if i >= 0 {
			out[i].Value = v
		} else {
			out = append(out, xmlschema.Attr{Name: a.Name, Value: v})
		}
	}
	return out, nil
}
