package xmlschema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestJSONGolden maps the golden Certificate to JSON and compares it with
// testdata/sscer.golden.json (go test -update rewrites it).
func TestJSONGolden(t *testing.T) {
	xml, err := os.ReadFile(filepath.Join("testdata", "sscer.golden.xml"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := MarshalJSONDocument(xml)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "sscer.golden.json")
	if *update {
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(append(got, '\n'), want) {
		t.Fatalf("JSON differs from %s:\n%s", golden, got)
	}
}

func TestJSONRules(t *testing.T) {
	in := `<?xml version="1.0"?><Certificate number="7" Note="attr"><Note>child</Note><Subjects><Subject code="1"/></Subjects>` +
		`<Persons><Person name="A"/><Person name="B"/></Persons><Remark lang="en">Passed with distinction</Remark><Plain>text</Plain>` +
		`<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignatureValue>x</SignatureValue></Signature></Certificate>`
	b, err := MarshalJSONDocument([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	json.Unmarshal(b, &got)
	c := got["Certificate"].(map[string]any)
	checks := map[string]bool{
		"attribute":                 c["number"] == "7",
		"attribute clashing":        c["@Note"] == "attr" && c["Note"] == "child",
		"always an array":           len(c["Subjects"].(map[string]any)["Subject"].([]any)) == 1,
		"repeated becomes an array": len(c["Persons"].(map[string]any)["Person"].([]any)) == 2,
		"text with attributes":      c["Remark"].(map[string]any)["value"] == "Passed with distinction",
		"text alone":                c["Plain"] == "text",
		"no signature":              c["Signature"] == nil,
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("%s: %s", name, b)
		}
	}
}
