package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// Issuer is what every document of an issuer carries about it.
type Issuer struct {
	ID   string
	Name string
	Type string // CG, SG or NG
	// TIN and UID, when set, fill Organization/@tin and @uid.
	TIN, UID string
	// Address is the issuer-wide Organization/Address (issuer.address in
	// issuerkit.yaml), in the order written.
	Address []xmlschema.Attr
}

// ContentHash is the hash of the record's profile-mapped values (not the
// issue date), with the Aadhaar represented by its keyed lookup hash: the
// same data ingested again on another day hashes the same.
func (r *Record) ContentHash(doctype, uidHash string) string {
	h := sha256.New()
	h.Write([]byte("issuerkit content v1\n" + doctype + "\n"))
	h.Write([]byte(r.canon))
	h.Write([]byte("uid=" + uidHash + "\n"))
	if r.revision > 0 {
		// Only a profile that sets a revision changes the hash: documents
		// issued before it existed stay unchanged.
		fmt.Fprintf(h, "revision=%d\n", r.revision)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Certificate renders the record as the profile's Certificate.
func (m *Mapper) Certificate(r *Record, iss Issuer, issueDate string, status xmlschema.Status) (*xmlschema.Certificate, error) {
	p := m.p
	c := &xmlschema.Certificate{
		Name: p.DocName, Type: p.DocType, Number: r.DocID, IssuedAt: p.IssuedAt,
		IssueDate: issueDate, ValidFromDate: issueDate, Status: status,
		IssuedBy: xmlschema.Organization{Name: iss.Name, Code: iss.ID, TIN: iss.TIN, UID: iss.UID, Type: iss.Type, Address: iss.Address},
	}
	var err error
	if c.Person, err = execAttrs(p.person, p.personSpare, r.env); err != nil {
		return nil, fmt.Errorf("row %d: person: %w", r.Line, err)
	}
	if c.PersonChildren, err = m.execNodes(p.personX, r.env); err != nil {
		return nil, fmt.Errorf("row %d: person: %w", r.Line, err)
	}
	if c.Data, err = m.execNodes(p.data, r.env); err != nil {
		return nil, fmt.Errorf("row %d: %w", r.Line, err)
	}
	if p.validFrom != nil {
		if c.ValidFromDate, err = p.validFrom.exec(r.env); err != nil {
			return nil, fmt.Errorf("row %d: valid_from: %w", r.Line, err)
		}
	}
	if p.expiry != nil {
		if c.ExpiryDate, err = p.expiry.exec(r.env); err != nil {
			return nil, fmt.Errorf("row %d: expiry: %w", r.Line, err)
		}
	}
	if p.prevNumber != nil {
		if c.PrevNumber, err = p.prevNumber.exec(r.env); err != nil {
			return nil, fmt.Errorf("row %d: prev_number: %w", r.Line, err)
		}
	}
	if err := m.fillSchema(c, iss, r.env); err != nil {
		return nil, fmt.Errorf("row %d: %w", r.Line, err)
	}
	return c, nil
}

// execAttrs renders the attributes ts with env, with room for spare more.
func execAttrs(ts []attrTmpl, spare int, env map[string]any) ([]xmlschema.Attr, error) {
	out := make([]xmlschema.Attr, 0, len(ts)+spare)
	for _, t := range ts {
		v, err := t.val.exec(env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		out = append(out, xmlschema.Attr{Name: t.name, Value: v})
	}
	return out, nil
}

func (m *Mapper) execNodes(ts []nodeTmpl, env map[string]any) ([]xmlschema.Node, error) {
	n := 0 // the elements to render: one a template, or one a member
	for i := range ts {
		if ts[i].each == "" {
			n++
		} else {
			members, _ := env[ts[i].each].([]map[string]any)
			n += len(members)
		}
	}
	if n == 0 {
		return nil, nil
	}
	out := make([]xmlschema.Node, 0, n)
	for i := range ts {
		t := &ts[i]
		if t.each == "" {
			n, err := m.execNode(t, env)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
			continue
		}
		members, _ := env[t.each].([]map[string]any)
		var buf map[string]any // a member's scope, reused
		for _, mem := range members {
			n, err := m.execNode(t, memberScope(&buf, env, mem, t.deps))
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// execNode renders one element of t with scope.
func (m *Mapper) execNode(t *nodeTmpl, scope map[string]any) (xmlschema.Node, error) {
	n := xmlschema.Node{Tag: t.tag}
	var err error
	if n.Attrs, err = execAttrs(t.attrs, t.spare, scope); err != nil {
		return n, fmt.Errorf("%s: %w", t.tag, err)
	}
	if t.text != nil {
		if n.Text, err = t.text.exec(scope); err != nil {
			return n, fmt.Errorf("%s: %w", t.tag, err)
		}
	}
	if n.Children, err = m.execNodes(t.children, scope); err != nil {
		return n, fmt.Errorf("%s/%w", t.tag, err)
	}
	return n, nil
}
