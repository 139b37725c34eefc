package xmlschema

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func sampleCertificate() *Certificate {
	return &Certificate{
		Name: "Class X Marksheet", Type: "SSCER", Number: "51171332015",
		IssuedAt: "Delhi", IssueDate: "20-05-2015", ValidFromDate: "20-05-2015", Status: StatusActive,
		IssuedBy: Organization{Name: "Central Board of Secondary Education", Code: "in.gov.cbse", Type: "CG"},
		Person: []Attr{{"uid", "XXXXXXXX1234"}, {"name", "Aarav Sharma"}, {"dob", "14-03-2000"}, {"gender", "M"},
			{"motherName", "Sunita Sharma & Co \"quoted\"\tTab"}},
		Data: []Node{
			{Tag: "School", Attrs: []Attr{{"name", "Kendriya Vidyalaya <1>"}, {"code", "01234"}}},
			{Tag: "Examination", Attrs: []Attr{{"name", "Secondary School Examination"}, {"month", "MAR"}, {"year", "2015"}}},
			{Tag: "Performance", Attrs: []Attr{{"result", "PASS"}}, Children: []Node{
				{Tag: "Subjects", Children: []Node{
					{Tag: "Subject", Attrs: []Attr{{"name", "हिन्दी"}, {"code", "002"}, {"marksTotal", "88"}}},
				}},
			}},
		},
	}
}

func TestRenderGolden(t *testing.T) {
	doc, err := sampleCertificate().Render()
	if err != nil {
		t.Fatal(err)
	}
	doc.Indent(2)
	got, err := Bytes(doc)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sscer.golden.xml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("rendered XML differs from %s:\n%s", golden, got)
	}
}

// TestRenderRoundTrip checks that every value survives serialization and
// re-parsing unchanged, which is what makes the signature verifiable.
func TestRenderRoundTrip(t *testing.T) {
	c := sampleCertificate()
	doc, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	b, err := Bytes(doc)
	if err != nil {
		t.Fatal(err)
	}
	back := etree.NewDocument()
	if err := back.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	p := back.FindElement("/Certificate/IssuedTo/Person")
	if got := p.SelectAttrValue("motherName", ""); got != c.Person[4].Value {
		t.Fatalf("motherName = %q, want %q", got, c.Person[4].Value)
	}
	if got := back.FindElement("//Subject").SelectAttrValue("name", ""); got != "हिन्दी" {
		t.Fatalf("subject name = %q", got)
	}
	if root := back.Root(); root.Tag != "Certificate" || root.SelectAttrValue("status", "") != "A" {
		t.Fatalf("root = %s status %s", root.Tag, root.SelectAttrValue("status", ""))
	}
}

func TestRenderRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Certificate)
		msg    string
	}{
		{"bad status", func(c *Certificate) { c.Status = "X" }, "invalid status"},
		{"control char", func(c *Certificate) { c.Person[1].Value = "A\x01B" }, "Person/@name"},
		{"invalid utf8", func(c *Certificate) { c.Data[0].Attrs[0].Value = "\xff" }, "School/@name"},
		{"unmasked uid", func(c *Certificate) { c.Person[0].Value = "234123412346" }, "must be masked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sampleCertificate()
			tt.mutate(c)
			_, err := c.Render()
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Render error = %v, want mention of %q", err, tt.msg)
			}
			if strings.Contains(err.Error(), "234123412346") {
				t.Fatal("error leaks the Aadhaar number")
			}
		})
	}
	c := sampleCertificate()
	c.Person[1].Value = "\x00"
	if _, err := c.Render(); !errors.Is(err, ErrInvalidXMLText) {
		t.Fatalf("want ErrInvalidXMLText, got %v", err)
	}
}

func TestValidXMLText(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"", true},
		{"Meera Nair, 10-A", true},
		{"tab\tLF\nCR\r", true},
		{"NUL\x00", false},
		{"bell\x07", false},
		{"\x1f", false},
		{"मीरा", true},               // Devanagari
		{"ok \xff bad UTF-8", false}, // not UTF-8
		{"\uFFFE", false},            // not an XML character
		{"\U0001F600", true},         // outside the BMP
		{"a\u00e9\x01", false},       // a control after a non-ASCII character
	} {
		if got := ValidXMLText(tc.s); got != tc.want {
			t.Errorf("ValidXMLText(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// FuzzValidXMLText checks the ASCII fast path against the rune-by-rune
// check it short-cuts.
func FuzzValidXMLText(f *testing.F) {
	for _, s := range []string{"", "abc", "a\x00", "é\x01", "\xff", "\t\n\r"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := ValidXMLText(s), validXMLRunes(s); got != want {
			t.Fatalf("ValidXMLText(%q) = %v, the rune check says %v", s, got, want)
		}
	})
}
