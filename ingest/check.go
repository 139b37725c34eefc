package ingest

import (
	"github.com/issuerkit/issuerkit/schema"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// Schema is the official schema of the profile's DocType, or nil when none
// is known (package schema).
func (p *Profile) Schema() *schema.Schema { return schema.For(p.DocType) }

// CheckRow renders the row as the profile's Certificate and lists its
// deviations from the DocType's official schema (none when no schema is
// known). A row the profile rejects is returned as its *RowError.
func (m *Mapper) CheckRow(row Row, iss Issuer, issueDate string) ([]schema.Deviation, error) {
	rec, err := m.Map(row)
	if err != nil {
		return nil, err
	}
	c, err := m.Certificate(rec, iss, issueDate, xmlschema.StatusActive)
	if err != nil {
		return nil, err
	}
	doc, err := c.Render()
	if err != nil {
		return nil, err
	}
	s := m.p.Schema()
	if s == nil {
		return nil, nil
	}
	return s.Check(doc.Root()), nil
}
