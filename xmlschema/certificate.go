package xmlschema

import (
	"bytes"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// IST is India Standard Time. DigiLocker's dates (DD-MM-YYYY) and times
// are Indian: a document issued at 01:00 IST is dated that day.
var IST = time.FixedZone("IST", 5*3600+1800)

// Status is a Certificate's status attribute.
type Status string

// Certificate statuses (digilocker-spec.md §6).
const (
	StatusActive    Status = "A"
	StatusExpired   Status = "E"
	StatusRevoked   Status = "R"
	StatusSuspended Status = "S"
)

// Valid reports whether s is one of the four statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusActive, StatusExpired, StatusRevoked, StatusSuspended:
		return true
	}
	return false
}

// Attr is one XML attribute. Slices of Attr keep the order a profile gave.
type Attr struct {
	Name, Value string
}

// Node is a generic XML element: the document-specific content of
// CertificateData (a marksheet's School/Examination/Performance, a driving
// licence's DrivingLicense) is described by profiles as a tree of Nodes.
type Node struct {
	Tag      string
	Attrs    []Attr
	Text     string
	Children []Node
}

// Organization is the issuing body (Certificate/IssuedBy/Organization).
type Organization struct {
	Name, Code, TIN, UID string
	Type                 string // CG, SG or NG
	Address              []Attr // optional Address attributes
}

// Certificate is DigiLocker's standard document body (digilocker-spec.md §6).
type Certificate struct {
	Language      string // defaults to "99"
	Name          string // document name, e.g. "Class X Marksheet"
	Type          string // DocType
	Number        string // DocID
	PrevNumber    string
	IssuedAt      string
	IssueDate     string // DD-MM-YYYY
	ValidFromDate string // DD-MM-YYYY
	ExpiryDate    string // DD-MM-YYYY or empty
	Status        Status

	IssuedBy Organization
	// Person holds the attributes of IssuedTo/Person in order. The uid
	// attribute must already be masked: Render refuses a 12-digit uid.
	Person []Attr
	// PersonChildren are optional Address/Photo elements of the Person.
	PersonChildren []Node
	// Data is the content of CertificateData.
	Data []Node
}

// ErrInvalidXMLText is returned (wrapped) when a value holds a character
// XML 1.0 cannot carry.
var ErrInvalidXMLText = errors.New("value holds a character XML cannot carry")

// WriteSettings are the serialization settings of every document issuerkit
// writes: tabs, newlines and carriage returns become character references so
// a parser gives back exactly the values that were signed.
var WriteSettings = etree.WriteSettings{CanonicalText: true, CanonicalAttrVal: true}

// Render builds the Certificate element tree, ready to sign. It fails if any
// value is not valid XML text or if the Person carries an unmasked Aadhaar.
func (c *Certificate) Render() (*etree.Document, error) {
	if !c.Status.Valid() {
		return nil, fmt.Errorf("render certificate: invalid status %q", c.Status)
	}
	lang := c.Language
	if lang == "" {
		lang = "99"
	}
	r := renderer{}
	doc := etree.NewDocument()
	doc.WriteSettings = WriteSettings
	doc.CreateProcInst("xml", `version="1.0" encoding="UTF-8" standalone="yes"`)
	root := doc.CreateElement("Certificate")
	r.attrs(root, []Attr{
		{"language", lang}, {"name", c.Name}, {"type", c.Type}, {"number", c.Number},
		{"prevNumber", c.PrevNumber}, {"issuedAt", c.IssuedAt}, {"issueDate", c.IssueDate},
		{"validFromDate", c.ValidFromDate}, {"expiryDate", c.ExpiryDate}, {"status", string(c.Status)},
	})
	org := root.CreateElement("IssuedBy").CreateElement("Organization")
	o := c.IssuedBy
	r.attrs(org, []Attr{{"name", o.Name}, {"code", o.Code}, {"tin", o.TIN}, {"uid", o.UID}, {"type", o.Type}})
	if len(o.Address) > 0 {
		r.attrs(org.CreateElement("Address"), o.Address)
	}
	person := root.CreateElement("IssuedTo").CreateElement("Person")
	for _, a := range c.Person {
		if a.Name == "uid" && looksLikeAadhaar(a.Value) {
			return nil, errors.New("render certificate: Person/@uid must be masked, not a full Aadhaar number")
		}
	}
	r.attrs(person, c.Person)
	r.nodes(person, c.PersonChildren)
	r.nodes(root.CreateElement("CertificateData"), c.Data)
	if r.err != nil {
		return nil, fmt.Errorf("render certificate: %w", r.err)
	}
	return doc, nil
}

// Bytes serializes a rendered or signed document with WriteSettings.
func Bytes(doc *etree.Document) ([]byte, error) {
	doc.WriteSettings = WriteSettings
	var buf bytes.Buffer
	buf.Grow(8 << 10)
	if _, err := doc.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

type renderer struct{ err error }

func (r *renderer) check(where, s string) {
	if r.err == nil && !ValidXMLText(s) {
		r.err = fmt.Errorf("%s: %w", where, ErrInvalidXMLText)
	}
}

func (r *renderer) attrs(el *etree.Element, attrs []Attr) {
	for _, a := range attrs {
		r.check(el.Tag+"/@"+a.Name, a.Value)
		el.CreateAttr(a.Name, a.Value)
	}
}

func (r *renderer) nodes(parent *etree.Element, nodes []Node) {
	for i := range nodes {
		n := &nodes[i]
		el := parent.CreateElement(n.Tag)
		r.attrs(el, n.Attrs)
		if n.Text != "" {
			r.check(n.Tag, n.Text)
			el.SetText(n.Text)
		}
		r.nodes(el, n.Children)
	}
}

// ValidXMLText reports whether s is valid UTF-8 made only of characters
// allowed by XML 1.0 (so no NUL and no C0 controls except tab, LF and CR).
// ASCII, which most values are, is checked a byte at a time.
func ValidXMLText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return validXMLRunes(s[i:])
		}
		if c < 0x20 && c != 0x9 && c != 0xA && c != 0xD {
			return false
		}
	}
	return true
}

// validXMLRunes is ValidXMLText rune by rune.
func validXMLRunes(s string) bool {
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && w == 1 {
			return false
		}
		i += w
		switch {
		case r == 0x9 || r == 0xA || r == 0xD:
		case r >= 0x20 && r <= 0xD7FF:
		case r >= 0xE000 && r <= 0xFFFD:
		case r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}

func looksLikeAadhaar(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
