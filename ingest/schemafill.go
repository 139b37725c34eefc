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

// A fill is what the DocType's schema asks of one element, resolved
// once when the profile loads: the attributes it requires, each with the
// profile's default template or the schema's default, and the fills of
// the elements below it by name.
type fill struct {
	attrs    []attrFill
	children map[string]*fill
	required []string // child elements that must be present, in schema order
}

type attrFill struct {
	name     string
	nonEmpty bool
	tmpl     *template // the profile's certificate.defaults entry, or nil
	def      string    // the schema's default; "=issueDate" for the issue date
	where    string    // path/@name, for errors
}

// certFill holds the fills of the elements fillSchema completes.
type certFill struct {
	person, address, data *fill
}

// compileFill resolves the schema of the profile's DocType into fills,
// or returns nil when no schema is known for it.
func (p *Profile) compileFill() *certFill {
	s := schema.For(p.DocType)
	if s == nil {
		return nil
	}
	byPath := map[string]*fill{"": {}}
	var node func(path string) *fill
	node = func(path string) *fill {
		if f := byPath[path]; f != nil {
			return f
		}
		f := &fill{}
		byPath[path] = f
		parent, name := splitPath(path)
		pf := node(parent)
		if pf.children == nil {
			pf.children = map[string]*fill{}
		}
		pf.children[name] = f
		return f
	}
	for i := range s.Elements {
		e := &s.Elements[i]
		if e.Path == "" {
			continue
		}
		f := node(e.Path)
		for _, a := range e.Attrs {
			f.attrs = append(f.attrs, attrFill{name: a.Name, nonEmpty: a.NonEmpty, tmpl: p.defaultFor(e.Path, a.Name), def: a.Default, where: e.Path + "/@" + a.Name})
		}
		if e.Required {
			parent, name := splitPath(e.Path)
			pf := node(parent)
			pf.required = append(pf.required, name)
		}
	}
	return &certFill{person: node("IssuedTo/Person"), address: node("IssuedBy/Organization/Address"), data: node("CertificateData")}
}

// sizeFills gives each element template the room its attributes need for
// what the schema may add to them, so that filling them (fillAttrs) appends
// in place instead of copying.
func (p *Profile) sizeFills() {
	if p.fill == nil {
		return
	}
	p.personSpare = len(p.fill.person.attrs)
	var walk func(f *fill, ns []nodeTmpl)
	walk = func(f *fill, ns []nodeTmpl) {
		for i := range ns {
			cf := f.children[ns[i].tag]
			if cf == nil {
				continue
			}
			ns[i].spare = len(cf.attrs)
			walk(cf, ns[i].children)
		}
	}
	walk(p.fill.person, p.personX)
	walk(p.fill.data, p.data)
}

// splitPath is an element path's parent path and last name: "" and path
// for an element directly below Certificate.
func splitPath(path string) (parent, name string) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

// fillSchema completes c to the DocType's schema.
func (m *Mapper) fillSchema(c *xmlschema.Certificate, iss Issuer, env map[string]any) error {
	cf := m.p.fill
	if cf == nil {
		return nil
	}
	var err error
	if c.Person, err = cf.person.fillAttrs(c.Person, true, c, env); err != nil {
		return err
	}
	if c.IssuedBy.Address, err = cf.address.fillAttrs(iss.Address, false, c, env); err != nil {
		return err
	}
	for _, name := range cf.person.required {
		if !hasNode(c.PersonChildren, name) {
			c.PersonChildren = append(c.PersonChildren, xmlschema.Node{Tag: name})
		}
	}
	if err := cf.person.fillNodes(c.PersonChildren, c, env); err != nil {
		return err
	}
	return cf.data.fillNodes(c.Data, c, env)
}

func hasNode(ns []xmlschema.Node, tag string) bool {
	for _, n := range ns {
		if n.Tag == tag {
			return true
		}
	}
	return false
}

// fillNodes completes the elements ns below f's element, and theirs.
func (f *fill) fillNodes(ns []xmlschema.Node, c *xmlschema.Certificate, env map[string]any) error {
	for i := range ns {
		cf := f.children[ns[i].Tag]
		if cf == nil {
			continue // not in the schema, nor anything below it
		}
		var err error
		if ns[i].Attrs, err = cf.fillAttrs(ns[i].Attrs, true, c, env); err != nil {
			return err
		}
		if err := cf.fillNodes(ns[i].Children, c, env); err != nil {
			return err
		}
	}
	return nil
}

// fillAttrs adds the attributes the schema requires of f's element that
// attrs lacks, and gives an empty one that must not be empty its default
// when there is one. An attrs the caller does not own (it may be shared,
// as the issuer's address is) is not changed: when something is to be
// added, the result is a copy. One it owns (made for this row, with room
// for the additions: sizeFills) is completed in place.
func (f *fill) fillAttrs(attrs []xmlschema.Attr, owned bool, c *xmlschema.Certificate, env map[string]any) ([]xmlschema.Attr, error) {
	out := attrs
	copied := owned
	for i := range f.attrs {
		a := &f.attrs[i]
		j := -1
		for k := range out {
			if out[k].Name == a.name {
				j = k
				break
			}
		}
		if j >= 0 && (out[j].Value != "" || !a.nonEmpty) {
			continue
		}
		v := ""
		if a.tmpl != nil {
			var err error
			if v, err = a.tmpl.exec(env); err != nil {
				return nil, fmt.Errorf("certificate.defaults: %s: %w", a.where, err)
			}
		}
		if v == "" {
			v = a.def
			if v == "=issueDate" {
				v = c.IssueDate
			}
		}
		if !copied {
			out = append(make([]xmlschema.Attr, 0, len(attrs)+len(f.attrs)), attrs...)
			copied = true
		}
		if j >= 0 {
			out[j].Value = v
		} else {
			out = append(out, xmlschema.Attr{Name: a.name, Value: v})
		}
	}
	return out, nil
}
