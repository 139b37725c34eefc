package ingest

import (
	"strings"
	"testing"
	"time"
)

// datesProfile has a rule of every kind: a DOB not in the future and 16–70
// years old on IssueDate, an IssueDate before ValidTill and not in the
// future, and a group field after the DOB.
const datesProfile = `
doctype: TESTD
doc_name: Test
doc_id: "{Id}"
holder: {name: Name, dob: DOB}
columns:
  Id: {required: true}
  Name: {required: true, type: name}
  DOB: {required: true, type: date, not_future: true, age: {min: 16, max: 70, on: "{IssueDate}"}}
  IssueDate: {required: true, type: date, not_future: true, before: ValidTill}
  ValidTill: {type: date, after: [IssueDate, DOB]}
groups:
  cats:
    count: 1
    columns:
      Since: {column: "Cat{k}Since", type: date, after: DOB, not_future: true}
certificate:
  person: {name: "{Name}"}
`

func TestDateRules(t *testing.T) {
	p, err := ParseProfile([]byte(datesProfile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Bind([]string{"Id", "Name", "DOB", "IssueDate", "ValidTill", "Cat1Since"})
	if err != nil {
		t.Fatal(err)
	}
	// The run is on 1 December 2026 in India: 23:30 UTC is already the 2nd.
	m.SetNow(time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC))
	tests := []struct {
		name  string
		cells []string
		want  []string // every problem, in order; none for a good row
	}{
		{"good", []string{"1", "Asha Rao", "10-05-1990", "01-06-2020", "01-06-2040", "02-06-2020"}, nil},
		{"good on the run day", []string{"1", "Asha Rao", "10-05-1990", "01-12-2026", "", "01-12-2026"}, nil},
		{"16 on the day", []string{"1", "Asha Rao", "01-06-2004", "01-06-2020", "", ""}, nil},
		{"DOB 400 days in the future", []string{"1", "Asha Rao", "05-01-2028", "01-06-2020", "", ""}, []string{
			"DOB: 05-01-2028 is in the future (rule not_future; the run is on 01-12-2026)",
			"DOB: 05-01-2028 makes the holder -8 on 01-06-2020, below the minimum age 16 (rule age.min)"}},
		{"IST day counts", []string{"1", "Asha Rao", "10-05-1990", "02-12-2026", "", ""}, []string{
			"IssueDate: 02-12-2026 is in the future (rule not_future; the run is on 01-12-2026)"}},
		{"a day short of 16", []string{"1", "Asha Rao", "02-06-2004", "01-06-2020", "", ""}, []string{
			"DOB: 02-06-2004 makes the holder 15 on 01-06-2020, below the minimum age 16 (rule age.min)"}},
		{"too old", []string{"1", "Asha Rao", "10-05-1940", "01-06-2020", "", ""}, []string{
			"DOB: 10-05-1940 makes the holder 80 on 01-06-2020, above the maximum age 70 (rule age.max)"}},
		{"expiry before issue", []string{"1", "Asha Rao", "10-05-1990", "01-06-2020", "01-01-2019", ""}, []string{
			"IssueDate: 01-06-2020 is not before ValidTill 01-01-2019 (rule before: ValidTill)",
			"ValidTill: 01-01-2019 is not after IssueDate 01-06-2020 (rule after: IssueDate)"}},
		{"equal dates are not before", []string{"1", "Asha Rao", "10-05-1990", "01-06-2020", "01-06-2020", ""}, []string{
			"IssueDate: 01-06-2020 is not before ValidTill 01-06-2020 (rule before: ValidTill)",
			"ValidTill: 01-06-2020 is not after IssueDate 01-06-2020 (rule after: IssueDate)"}},
		{"group field before DOB", []string{"1", "Asha Rao", "10-05-1990", "01-06-2020", "", "01-01-1980"}, []string{
			"Cat1Since: 01-01-1980 is not after DOB 10-05-1990 (rule after: DOB)"}},
		{"an unparsable date is its own problem", []string{"1", "Asha Rao", "31-02-1990", "01-06-2020", "", ""}, []string{
			`DOB: "31-02-1990" is not a valid date (want DD-MM-YYYY, DD/MM/YYYY, YYYY-MM-DD)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Map(Row{Line: 7, Cells: tt.cells})
			if tt.want == nil {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			re, ok := err.(*RowError)
			if !ok {
				t.Fatalf("got %v, want a row error", err)
			}
			if re.Line != 7 || strings.Join(re.Problems, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("line %d, problems:\n%s\nwant:\n%s", re.Line, strings.Join(re.Problems, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestDateRuleProfileErrors(t *testing.T) {
	wantProfileErrors(t, datesProfile, []profileEdit{
		{"not a date column", "Name: {required: true, type: name}", "Name: {required: true, type: name, not_future: true}", "column Name: not_future, before, after and age need type date"},
		{"unknown target", "before: ValidTill", "before: Expiry", `column IssueDate: before: "Expiry" is not a column`},
		{"target not a date", "before: ValidTill", "before: Name", `column IssueDate: before: column "Name" is not of type date`},
		{"itself", "before: ValidTill", "before: IssueDate", "column IssueDate: before: a date cannot be compared with itself"},
		{"group target", "before: ValidTill", "before: Cat1Since", `column IssueDate: before: "Cat1Since" is a group field; name a record column`},
		{"age without bounds", "age: {min: 16, max: 70, on: \"{IssueDate}\"}", "age: {on: \"{IssueDate}\"}", "column DOB: age needs min, max or both"},
		{"age min above max", "age: {min: 16, max: 70,", "age: {min: 71, max: 70,", "column DOB: age min 71 is above max 70"},
		{"age on an unknown name", `on: "{IssueDate}"`, `on: "{Issued}"`, "column DOB: age.on:"},
		{"age on a group field", "after: DOB, not_future: true}", "age: {min: 1}}", "column Cat1Since: age is for record columns, not group fields"},
		{"a list that is a mapping", "after: [IssueDate, DOB]", "after: {a: b}", "want a column name or a list of them"},
	})
}

func TestYearsBetween(t *testing.T) {
	d := func(s string) time.Time { v, _ := time.Parse("02-01-2006", s); return v }
	for _, tt := range []struct {
		born, on string
		want     int
	}{
		{"10-05-2000", "10-05-2016", 16}, {"10-05-2000", "09-05-2016", 15}, {"29-02-2008", "28-02-2024", 15},
		{"29-02-2008", "29-02-2024", 16}, {"29-02-2008", "01-03-2023", 15}, {"01-01-2030", "01-01-2020", -10},
	} {
		if got := yearsBetween(d(tt.born), d(tt.on)); got != tt.want {
			t.Errorf("yearsBetween(%s, %s) = %d, want %d", tt.born, tt.on, got, tt.want)
		}
	}
}

// FuzzParseLayout checks that the fast date reader agrees with time.Parse
// on every layout a profile can declare, for any text.
func FuzzParseLayout(f *testing.F) {
	for _, s := range []string{"05-06-2025", "5-6-2025", "2025-06-05", "29/02/2024", "29.02.2023", "31-04-2025",
		"00-01-2025", "01-13-2025", "1-1-0000", "2025/1/31", "+025-01-01", "05-06-20255", "05--06-2025", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range dateLayouts {
			got, ok := parseLayout(l, s)
			want, err := time.Parse(l, s)
			if ok != (err == nil) || got != want {
				t.Fatalf("parseLayout(%q, %q) = %v, %v; time.Parse: %v, %v", l, s, got, ok, want, err)
			}
		}
	})
}

func TestParseLayout(t *testing.T) {
	for _, tc := range []struct {
		layout, s string
		ok        bool
	}{
		{"2-1-2006", "05-06-2025", true}, {"2-1-2006", "5-6-2025", true}, {"2-1-2006", "29-02-2024", true},
		{"2-1-2006", "29-02-2023", false}, {"2-1-2006", "31-04-2025", false}, {"2-1-2006", "00-01-2025", false},
		{"2-1-2006", "01-13-2025", false}, {"2-1-2006", "2025-01-01", false}, {"2006-1-2", "2025-1-31", true},
		{"2006/1/2", "2025/02/30", false}, {"2.1.2006", "1.1.2000", true}, {"2/1/2006", "1/1/20000", false},
	} {
		d, ok := parseLayout(tc.layout, tc.s)
		want, err := time.Parse(tc.layout, tc.s)
		if ok != tc.ok || ok != (err == nil) || d != want {
			t.Errorf("parseLayout(%q, %q) = %v, %v; want ok %v (time.Parse %v, %v)", tc.layout, tc.s, d, ok, tc.ok, want, err)
		}
	}
}
