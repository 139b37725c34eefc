package xmlschema

import (
	"bytes"
	"errors"
	"testing"

	dsig "github.com/russellhaering/goxmldsig"
)

// viaTree is what Encode must match: the document through Render and
// Bytes, and the root's canonical form through goxmldsig's exclusive
// canonicalizer.
func viaTree(t testing.TB, c *Certificate) (doc, canon []byte, err error) {
	t.Helper()
	d, err := c.Render()
	if err != nil {
		return nil, nil, err
	}
	if doc, err = Bytes(d); err != nil {
		t.Fatal(err)
	}
	canon, err = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(d.Root())
	if err != nil {
		t.Fatal(err)
	}
	return doc, canon, nil
}

func checkEncode(t testing.TB, c *Certificate) {
	t.Helper()
	var e Encoded
	err := c.Encode(&e)
	if errors.Is(err, ErrNotPlain) {
		return // prefixed names have no canonical form without their declarations
	}
	wantDoc, wantCanon, wantErr := viaTree(t, c)
	if wantErr != nil || err != nil {
		if wantErr == nil || err == nil || err.Error() != wantErr.Error() {
			t.Fatalf("Encode error %v, Render error %v", err, wantErr)
		}
		return
	}
	if !bytes.Equal(e.Doc, wantDoc) {
		t.Fatalf("document differs:\n got %s\nwant %s", e.Doc, wantDoc)
	}
	if !bytes.Equal(e.Canon, wantCanon) {
		t.Fatalf("canonical form differs:\n got %s\nwant %s", e.Canon, wantCanon)
	}
	if got := string(e.Doc[e.End:]); got != "</Certificate>" {
		t.Fatalf("Doc[End:] = %q, want the root's end tag", got)
	}
}

func TestEncodeMatchesTree(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Certificate)
	}{
		{"sample", func(*Certificate) {}},
		{"address and photo", func(c *Certificate) {
			c.IssuedBy.Address = []Attr{{"line1", "Shiksha Kendra, 2 Community Centre"}, {"city", "Delhi"}, {"pin", "110092"}}
			c.IssuedBy.TIN, c.IssuedBy.UID = "TIN-1", "UID-1"
			c.PersonChildren = []Node{{Tag: "Address", Attrs: []Attr{{"type", "permanent"}, {"line1", "12\r\nMG Road"}}},
				{Tag: "Photo", Attrs: []Attr{{"format", "jpeg"}}, Text: "/9j/4AAQ+base64=="}}
		}},
		{"expiry, previous number, language", func(c *Certificate) {
			c.ExpiryDate, c.PrevNumber, c.Language = "19-05-2035", "51171332014", "23"
		}},
		{"no data, no person", func(c *Certificate) { c.Data, c.Person = nil, nil }},
		{"text and children", func(c *Certificate) {
			c.Data = []Node{{Tag: "Note", Text: "a < b && c > d\r\n\t\"q\" 'a'", Children: []Node{{Tag: "Empty"}, {Tag: "T", Text: "x"}}}}
		}},
		{"attributes out of order", func(c *Certificate) {
			c.Data = []Node{{Tag: "Z", Attrs: []Attr{{"zz", "1"}, {"a", "2"}, {"B", "3"}, {"aa", "4"}, {"a1", "5"}}}}
		}},
		{"escapes in every attribute", func(c *Certificate) {
			c.Name, c.IssuedAt = "<&>\"'\t\n\r", "]]>"
			c.IssuedBy.Name = "A & B \"Board\""
		}},
		{"invalid status", func(c *Certificate) { c.Status = "X" }},
		{"control character", func(c *Certificate) { c.Person[1].Value = "A\x01B" }},
		{"invalid UTF-8 in data", func(c *Certificate) { c.Data[0].Attrs[0].Value = "\xff" }},
		{"invalid text", func(c *Certificate) { c.Data[0].Text = "\x00" }},
		{"unmasked uid beats invalid text", func(c *Certificate) {
			c.Name = "\x01"
			c.Person[0].Value = "234123412346"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCertificate()
			tt.mutate(c)
			checkEncode(t, c)
		})
	}
}

func TestEncodeLeavesToRender(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Certificate)
	}{
		{"prefixed tag", func(c *Certificate) { c.Data = append(c.Data, Node{Tag: "ext:Note"}) }},
		{"prefixed attribute", func(c *Certificate) { c.Data[0].Attrs = append(c.Data[0].Attrs, Attr{"xml:lang", "hi"}) }},
		{"xmlns", func(c *Certificate) { c.Data[0].Attrs = append(c.Data[0].Attrs, Attr{"xmlns", "urn:x"}) }},
		{"repeated attribute", func(c *Certificate) { c.Person = append(c.Person, Attr{"name", "Other"}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCertificate()
			tt.mutate(c)
			var e Encoded
			if err := c.Encode(&e); !errors.Is(err, ErrNotPlain) {
				t.Fatalf("Encode = %v, want ErrNotPlain", err)
			}
		})
	}
}

func TestEncodeReusesBuffers(t *testing.T) {
	var e Encoded
	big := sampleCertificate()
	big.Data = append(big.Data, Node{Tag: "Padding", Text: string(bytes.Repeat([]byte("x"), 4096))})
	if err := big.Encode(&e); err != nil {
		t.Fatal(err)
	}
	c := sampleCertificate()
	if err := c.Encode(&e); err != nil {
		t.Fatal(err)
	}
	want, _, _ := viaTree(t, c)
	if !bytes.Equal(e.Doc, want) {
		t.Fatal("a reused Encoded carries bytes of the previous document")
	}
	allocs := testing.AllocsPerRun(50, func() {
		if err := c.Encode(&e); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 0 {
		t.Fatalf("Encode into a warm Encoded allocates %.0f times, want 0", allocs)
	}
}

// FuzzEncode checks the direct encoder against the tree for any values
// and names: the same bytes, the same errors, or a hand-off to Render.
func FuzzEncode(f *testing.F) {
	f.Add("Aarav Sharma", "School", "name", "Kendriya <1>", "text & more", "a")
	f.Add("\t\r\n", "ext:X", "xmlns", "\"", "\r", "b")
	f.Add("\xff", "Z", "z", "\x00", "", "z")
	f.Fuzz(func(t *testing.T, name, tag, attr, val, text, attr2 string) {
		c := sampleCertificate()
		c.Person[1].Value = name
		c.Data = append(c.Data, Node{Tag: tag, Attrs: []Attr{{attr, val}, {attr2, name}}, Text: text,
			Children: []Node{{Tag: tag + "1", Text: val}}})
		checkEncode(t, c)
	})
}

func BenchmarkEncode(b *testing.B) {
	c := sampleCertificate()
	var e Encoded
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Encode(&e); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderBytes(b *testing.B) {
	c := sampleCertificate()
	b.ReportAllocs()
	for b.Loop() {
		d, err := c.Render()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Bytes(d); err != nil {
			b.Fatal(err)
		}
	}
}
