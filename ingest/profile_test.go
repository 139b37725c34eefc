package ingest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/samples"
)

const sampleProfile = "../samples/profiles/cbse-sscer.yaml"

func loadSample(t testing.TB) *Profile {
	t.Helper()
	p, err := LoadProfile(sampleProfile)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// minimal is a small valid profile the error cases below mutate.
const minimal = `
doctype: TESTX
doc_name: Test
doc_id: "{Id}"
holder: {name: Name, dob: DOB}
columns:
  Id: {required: true}
  Name: {required: true, type: name}
  DOB: {required: true, type: date}
certificate:
  person: {name: "{Name}"}
`

// profileEdit changes a valid profile (from → to) into one ParseProfile
// must refuse with an error mentioning want.
type profileEdit struct{ name, from, to, want string }

// wantProfileErrors applies each edit to base and checks the error.
func wantProfileErrors(t *testing.T, base string, edits []profileEdit) {
	t.Helper()
	for _, tt := range edits {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.Replace(base, tt.from, tt.to, 1)
			if src == base {
				t.Fatalf("test setup: %q not found", tt.from)
			}
			_, err := ParseProfile([]byte(src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseProfile error = %v, want mention of %q", err, tt.want)
			}
		})
	}
}

func TestParseProfileErrors(t *testing.T) {
	tests := []profileEdit{
		{"unknown key", "doc_name: Test", "doc_name: Test\nbogus: 1", "field bogus not found"},
		{"bad doctype", "doctype: TESTX", "doctype: test-x", "doctype"},
		{"unknown template name", `doc_id: "{Id}"`, `doc_id: "{Idd}"`, `unknown name "Idd"`},
		{"bad type", "Id: {required: true}", "Id: {type: uuid}", `unknown type "uuid"`},
		{"bad regex", "Id: {required: true}", "Id: {pattern: '(('}", "pattern"},
		{"bad date format", "DOB: {required: true, type: date}", "DOB: {type: date, formats: [MM-DD-YY]}", `unknown date format "MM-DD-YY"`},
		{"holder not a column", "holder: {name: Name, dob: DOB}", "holder: {name: Nom, dob: DOB}", `holder.name: "Nom" is not a column`},
		{"dob not a date", "DOB: {required: true, type: date}", "DOB: {required: true}", "must be of type date"},
		{"type error in expression", `person: {name: "{Name}"}`, `person: {name: "{= Name + 1}"}`, "mismatched types"},
		{"search key not a column", "columns:", "search_keys: [Roll]\ncolumns:", `search_keys: "Roll" is not a column`},
		{"search key twice", "columns:", "search_keys: [Id, Id]\ncolumns:", `search_keys: "Id" is named twice`},
		{"min on a string", "Id: {required: true}", "Id: {min: 1}", "min/max need type int or decimal"},
	}
	wantProfileErrors(t, minimal, tests)
	if _, err := ParseProfile([]byte(minimal)); err != nil {
		t.Fatalf("minimal profile: %v", err)
	}
}

func TestHeaderMismatch(t *testing.T) {
	p := loadSample(t)
	h := append([]string{}, samples.Header...)
	h[3] = "FullName"
	h = append(h, "RollNo")
	_, err := p.Bind(h)
	if err == nil || !strings.Contains(err.Error(), "missing column(s) Name") || !strings.Contains(err.Error(), "duplicate column(s) RollNo") {
		t.Fatalf("Bind error = %v", err)
	}
}

// goodRow returns a valid sample row as a map from column to cell.
func goodRow(t testing.TB) map[string]string {
	t.Helper()
	rec, _ := samples.Options{Seed: 2025}.Row(0)
	m := map[string]string{}
	for i, h := range samples.Header {
		m[h] = rec[i]
	}
	return m
}

func mapRow(t testing.TB, p *Profile, cells map[string]string) (*Record, error) {
	t.Helper()
	m, err := p.Bind(samples.Header)
	if err != nil {
		t.Fatal(err)
	}
	row := Row{Line: 7, Cells: make([]string, len(samples.Header))}
	for i, h := range samples.Header {
		row.Cells[i] = cells[h]
	}
	return m.Map(row)
}

func TestMapValid(t *testing.T) {
	p := loadSample(t)
	cells := goodRow(t)
	cells["Name"] = "  Siddharth   Singh "
	cells["DOB"] = "2009/07/01"
	_, err := mapRow(t, p, cells)
	if err == nil || !strings.Contains(err.Error(), `DOB: "2009/07/01" is not a valid date`) {
		t.Fatalf("YYYY/MM/DD is not in this profile's formats: %v", err)
	}
	cells["DOB"] = "2009-07-01"
	cells["Gender"] = "m"
	rec, err := mapRow(t, p, cells)
	if err != nil {
		t.Fatal(err)
	}
	if rec.DocID != cells["RollNo"]+"2025" || rec.HolderName != "Siddharth Singh" || rec.HolderDOB != "01-07-2009" {
		t.Fatalf("record = %+v", rec)
	}
	if rec.Aadhaar != cells["Aadhaar"] || rec.env["Aadhaar"] != "XXXXXXXX"+cells["Aadhaar"][8:] {
		t.Fatalf("aadhaar plain %q env %v", rec.Aadhaar, rec.env["Aadhaar"])
	}
	if rec.env["Gender"] != "M" {
		t.Fatalf("enum not canonicalized: %v", rec.env["Gender"])
	}
	if rec.Search["RollNo"] != cells["RollNo"] || rec.Search["Year"] != "2025" {
		t.Fatalf("search = %v", rec.Search)
	}
	// Same data in another date format and spacing hashes the same.
	cells2 := goodRow(t)
	cells2["DOB"] = "01/07/2009"
	cells2["Name"] = "Siddharth Singh"
	cells2["Gender"] = "M"
	rec2, err := mapRow(t, p, cells2)
	if err != nil {
		t.Fatal(err)
	}
	if rec2.ContentHash("SSCER", "u") != rec.ContentHash("SSCER", "u") {
		t.Fatal("content hash depends on date format or spacing")
	}
	if rec.ContentHash("SSCER", "u") == rec.ContentHash("SSCER", "v") {
		t.Fatal("content hash ignores the Aadhaar")
	}
}

func TestMapRejects(t *testing.T) {
	p := loadSample(t)
	good := goodRow(t)
	uid := good["Aadhaar"]
	badUID := uid[:11] + string('0'+(uid[11]-'0'+1)%10)
	tests := []struct {
		name  string
		edit  map[string]string
		wants []string
	}{
		{"required", map[string]string{"Name": " "}, []string{"Name: required"}},
		{"bad date", map[string]string{"DOB": "31-02-2009"}, []string{`DOB: "31-02-2009" is not a valid date (want DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD)`}},
		{"gender", map[string]string{"Gender": "X"}, []string{`Gender: "X" is not one of M, F, T`}},
		{"aadhaar checksum", map[string]string{"Aadhaar": badUID}, []string{"Aadhaar: number ending " + badUID[8:] + " fails the Verhoeff check"}},
		{"aadhaar leading 1", map[string]string{"Aadhaar": "1" + uid[1:]}, []string{"must not start with 0 or 1"}},
		{"aadhaar length", map[string]string{"Aadhaar": "12345"}, []string{"Aadhaar: must be 12 digits"}},
		{"roll pattern", map[string]string{"RollNo": "12AB"}, []string{`RollNo: "12AB" does not match the pattern ^[0-9]{7,8}$`}},
		{"year range", map[string]string{"Year": "1999"}, []string{"Year: 1999 is below the minimum 2004"}},
		{"not a number", map[string]string{"Sub2Theory": "seventy"}, []string{`Sub2Theory: "seventy" is not a whole number`}},
		{"theory over max", map[string]string{"Sub1Theory": "95", "Sub1Practical": "10", "Sub1Max": "90"}, []string{"Sub1: theory marks 95 exceed the maximum 90", "Sub1: theory + practical marks (95 + 10) exceed the maximum 90"}},
		{"total over max", map[string]string{"Sub3Theory": "85", "Sub3Practical": "20"}, []string{"Sub3: theory + practical marks (85 + 20) exceed the maximum 100"}},
		{"subject incomplete", map[string]string{"Sub4Grade": ""}, []string{"Sub4Grade: required when subjects 4 is given"}},
		{"too few subjects", map[string]string{"Sub1Code": "", "Sub1Name": "", "Sub1Theory": "", "Sub1Practical": "", "Sub1Max": "", "Sub1Grade": "", "Sub6Code": "", "Sub6Name": "", "Sub6Theory": "", "Sub6Practical": "", "Sub6Max": "", "Sub6Grade": ""}, []string{"subjects: at least 5 required, found 4"}},
		{"name charset", map[string]string{"Name": "R0bert"}, []string{`Name: "R0bert" has a character '0' not allowed in a name`}},
		{"control char", map[string]string{"SchoolName": "A\x07B"}, []string{"SchoolName: contains a control character or invalid UTF-8"}},
		{"aadhaar in mobile column", map[string]string{"Mobile": uid}, []string{`Mobile: "XXXXXXXX` + uid[8:] + `" does not match the pattern`}},
		{"several at once", map[string]string{"Gender": "Q", "Year": "abc"}, []string{`Year: "abc" is not a whole number; `, `Gender: "Q" is not one of M, F, T`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells := goodRow(t)
			for k, v := range tt.edit {
				cells[k] = v
			}
			_, err := mapRow(t, p, cells)
			var re *RowError
			if !errors.As(err, &re) {
				t.Fatalf("Map error = %v, want *RowError", err)
			}
			if re.Line != 7 {
				t.Errorf("Line = %d, want 7", re.Line)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\n does not contain %q", err, w)
				}
			}
			for _, n := range []string{uid, badUID, "1" + uid[1:]} {
				if strings.Contains(err.Error(), n) {
					t.Errorf("error leaks a full Aadhaar number: %q", err)
				}
			}
		})
	}
}

func TestGuard(t *testing.T) {
	for in, want := range map[string]string{
		"234567890124":         "XXXXXXXX0124",
		"id 2345678901245 end": "id XXXXXXXXX1245 end",
		"roll 51000032025":     "roll 51000032025",
	} {
		if got := guard(in); got != want {
			t.Errorf("guard(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestGroupScopeSeesRecordValues checks that group rules, messages, labels
// and repeated elements can use record-level columns and derived values.
func TestGroupScopeSeesRecordValues(t *testing.T) {
	src := `
doctype: TESTG
doc_name: Test
doc_id: "{Id}"
holder: {name: Name, dob: DOB}
columns:
  Id: {required: true}
  Name: {required: true, type: name}
  DOB: {required: true, type: date}
  Cap: {required: true, type: int}
derived:
  Twice: Cap * 2
groups:
  items:
    count: 2
    label: "{Id}/item{k}"
    columns:
      V: {column: "V{k}", required: true, type: int}
    checks:
      - rule: V <= Cap
        message: "{V} is over the cap {Cap} (item {= k} of {= Id})"
certificate:
  person: {name: "{Name}"}
  data:
    - element: Items
      children:
        - element: Item
          each: items
          attrs: {v: "{V}", cap: "{Cap}", of: "{Id}", k: "{k}"}
`
	p, err := ParseProfile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Bind([]string{"Id", "Name", "DOB", "Cap", "V1", "V2"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Map(Row{Line: 2, Cells: []string{"A1", "Asha", "01-01-2000", "10", "3", "12"}})
	if err == nil || !strings.Contains(err.Error(), "A1/item2: 12 is over the cap 10 (item 2 of A1)") {
		t.Fatalf("Map error = %v", err)
	}
	rec, err := m.Map(Row{Line: 3, Cells: []string{"A2", "Asha", "01-01-2000", "10", "3", "4"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Certificate(rec, Issuer{ID: "in.gov.x", Name: "X"}, "01-01-2025", "A")
	if err != nil {
		t.Fatal(err)
	}
	items := c.Data[0].Children
	if len(items) != 2 || fmt.Sprint(items[1].Attrs) != "[{v 4} {cap 10} {of A2} {k 2}]" {
		t.Fatalf("items = %+v", items)
	}
	// Record-level derived values come after the groups (they may sum over
	// them), so a group rule cannot use one: the profile is refused at load.
	bad := strings.Replace(src, "(item {= k} of {= Id})", "(twice {= Twice})", 1)
	if _, err := ParseProfile([]byte(bad)); err == nil || !strings.Contains(err.Error(), "unknown name Twice") {
		t.Fatalf("group rule using a record-derived value: %v", err)
	}
}

// TestRowErrorsRedactAadhaar feeds a number where it does not belong in the
// three ways that used to reach the rejects report in clear: written with
// spaces or hyphens, far enough into a long cell that the 40-character cut
// fell inside it, and quoted by an expression error from the profile.
func TestRowErrorsRedactAadhaar(t *testing.T) {
	src := strings.Replace(minimal, "  DOB: {required: true, type: date}",
		"  DOB: {required: true, type: date}\n  Ref: {required: true}\n  Code: {pattern: '^[A-Z]+$'}\nderived:\n  N: int(Ref) + 1", 1)
	p, err := ParseProfile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Bind([]string{"Id", "Name", "DOB", "Ref", "Code"})
	if err != nil {
		t.Fatal(err)
	}
	const uid = "548965425043"
	tests := []struct{ name, cell, code string }{
		{"spaced in an expression", "5489 6542 5043", ""},
		{"hyphenated in an expression", "5489-6542-5043", ""},
		{"cut at 40 characters", "7", strings.Repeat("A", 29) + uid},
		{"spaced in a pattern error", "7", "5489 6542 5043"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Map(Row{Line: 2, Cells: []string{"A1", "Asha", "01-01-2000", tt.cell, tt.code}})
			if err == nil {
				t.Fatal("row accepted")
			}
			digits := strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' || r == 'X' {
					return r
				}
				return -1
			}, err.Error())
			for i := 0; i+8 <= len(uid); i++ {
				if strings.Contains(digits, uid[i:i+8]) {
					t.Fatalf("error %q shows %s of the number", err, uid[i:i+8])
				}
			}
			if !strings.Contains(err.Error(), "X") {
				t.Fatalf("error %q does not show the masked value", err)
			}
		})
	}
}
