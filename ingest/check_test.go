package ingest_test

import (
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/schema"
)

var checkIssuer = ingest.Issuer{ID: "in.gov.test", Name: "Test Board", Type: "SG"}

// checkCSV renders every row of a CSV with the profile and returns the
// deviations.
func checkCSV(t *testing.T, prof *ingest.Profile, path string) []schema.Deviation {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	r, err := ingest.NewCSVReader(fh)
	if err != nil {
		t.Fatal(err)
	}
	m, err := prof.Bind(r.Header())
	if err != nil {
		t.Fatal(err)
	}
	var out []schema.Deviation
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		devs, err := m.CheckRow(row, checkIssuer, "01-06-2025")
		if err != nil {
			t.Fatalf("row %d: %v", row.Line, err)
		}
		out = append(out, devs...)
	}
}

// TestShippedProfilesMatchTheSchemas: each shipped profile renders its
// sample data with zero deviations from its DocType's official schema.
func TestShippedProfilesMatchTheSchemas(t *testing.T) {
	for _, tt := range []struct{ profile, csv, schema string }{
		{"cbse-sscer.yaml", "cbse-sscer-2025.csv", "AcademicCertificateSchema"},
		{"cbse-hscer.yaml", "cbse-hscer-2025.csv", "AcademicCertificateSchema"},
		{"transport-drvlc.yaml", "transport-drvlc.csv", "DrivingLicenseSchema"},
	} {
		t.Run(tt.profile, func(t *testing.T) {
			prof, err := ingest.LoadProfile("../samples/profiles/" + tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			if s := prof.Schema(); s == nil || s.Name != tt.schema {
				t.Fatalf("schema %v, want %s", s, tt.schema)
			}
			if devs := checkCSV(t, prof, "../samples/"+tt.csv); len(devs) != 0 {
				t.Errorf("%d deviations, first %v", len(devs), devs[0])
			}
		})
	}
}

// TestCheckFindsDeviations: an unknown element, and an empty value the
// schema requires (a row without a father's name leaves swd empty).
func TestCheckFindsDeviations(t *testing.T) {
	base, err := os.ReadFile("../samples/profiles/cbse-sscer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(base), "    - element: School\n", "    - element: Remarks\n      attrs: {text: x}\n    - element: School\n", 1)
	prof, err := ingest.ParseProfile([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile("../samples/cbse-sscer-2025.csv")
	lines := strings.SplitN(string(data), "\n", 3)
	cells := strings.Split(lines[1], ",")
	cells[5] = "" // FatherName
	path := t.TempDir() + "/one.csv"
	os.WriteFile(path, []byte(lines[0]+"\n"+strings.Join(cells, ",")+"\n"), 0o600)
	got := map[string]bool{}
	for _, d := range checkCSV(t, prof, path) {
		got[d.String()] = true
	}
	for _, want := range []string{
		"Certificate/CertificateData/Remarks: unknown element",
		"Certificate/IssuedTo/Person/@swd: empty required value",
	} {
		if !got[want] {
			t.Errorf("missing deviation %q in %v", want, got)
		}
	}
}
