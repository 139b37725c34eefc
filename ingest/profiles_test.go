package ingest_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/samples"
)

// TestSampleProfiles ingests every sample profile's CSV, then its XLSX twin:
// the second run must find every document unchanged.
func TestSampleProfiles(t *testing.T) {
	tests := []struct {
		profile, csv, xlsx string
		want               []string // in every document of the kind
	}{
		{"cbse-sscer.yaml", "cbse-sscer-2025.csv", "cbse-sscer-2025.xlsx", []string{`type="SSCER"`, "<Subject ", `swdIndicator="`, `category="NA"`, `resultDate="`, `month="MARCH"`, `<Photo format=""/>`, `country="IN"`}},
		{"cbse-hscer.yaml", "cbse-hscer-2025.csv", "cbse-hscer-2025.xlsx", []string{`type="HSCER"`, `stream="`}},
		{"transport-drvlc.yaml", "transport-drvlc.csv", "transport-drvlc.xlsx", []string{`type="DRVLC"`, "<DrivingLicense ", `abbreviation="`, "<Address ", `expiryDate="`, `swd="`}},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			f := newFixture(t)
			var err error
			if f.prof, err = ingest.LoadProfile("../samples/profiles/" + tt.profile); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			s, err := f.run(t, ctx, []string{"../samples/" + tt.csv}, nil)
			if err != nil || s.Issued != 24 || s.Rejected != 0 {
				t.Fatalf("CSV: %+v, %v", s, err)
			}
			s, err = f.run(t, ctx, []string{"../samples/" + tt.xlsx}, nil)
			if err != nil || s.Unchanged != 24 {
				t.Fatalf("XLSX twin: %+v, %v; want 24 unchanged", s, err)
			}
			n := 0
			err = f.deps.Catalog.ForEachURI(ctx, f.prof.DocType, func(uri string) error {
				d, err := f.deps.Catalog.Current(ctx, uri)
				if err != nil {
					return err
				}
				data, err := f.deps.Store.Get(ctx, d.ObjectKey)
				if err != nil {
					return err
				}
				for _, w := range tt.want {
					if !bytes.Contains(data, []byte(w)) {
						t.Errorf("%s lacks %s", uri, w)
					}
				}
				n++
				return nil
			})
			if err != nil || n != 24 {
				t.Fatalf("%d documents, %v", n, err)
			}
		})
	}
}

// TestEveryBadKindEveryProfile generates rows with faults of every kind for
// each sample profile and checks each rejected row's line and message, and
// that no good row was rejected.
func TestEveryBadKindEveryProfile(t *testing.T) {
	for _, tt := range []struct {
		kind, profile string
		msgs          map[string]string // bad kind → expected message part
	}{
		{"SSCER", "cbse-sscer.yaml", map[string]string{"marks-over-max": "Sub1: theory + practical marks (95 + ",
			"too-young": "DOB: 01-01-2019 makes the holder 6 on 31-12-2025, below the minimum age 10 (rule age.min)"}},
		{"HSCER", "cbse-hscer.yaml", map[string]string{"marks-over-max": "Sub1Theory: 95 is above the maximum 80",
			"too-young": "DOB: 01-01-2017 makes the holder 8 on 31-12-2025, below the minimum age 12 (rule age.min)"}},
		{"DRVLC", "transport-drvlc.yaml", map[string]string{"marks-over-max": "ValidTill: 01-01-1990 is not after IssueDate ",
			"too-young": "makes the holder 10 on ", "dob-future": "DOB: 15-08-2085 is in the future (rule not_future; the run is on "}},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			f := newFixture(t)
			var err error
			if f.prof, err = ingest.LoadProfile("../samples/profiles/" + tt.profile); err != nil {
				t.Fatal(err)
			}
			o := samples.Options{Rows: 400, Seed: 77, BadRate: 0.2, Kind: tt.kind}
			path := filepath.Join(f.dir, "in.csv")
			fh, _ := os.Create(path)
			if err := o.WriteCSV(fh); err != nil {
				t.Fatal(err)
			}
			fh.Close()
			rej := filepath.Join(f.dir, "rej.csv")
			s, err := f.run(t, context.Background(), []string{path}, func(o *ingest.Options) { o.RejectsPath = rej })
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(rej)
			recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			got := map[int]string{}
			for _, r := range recs[1:] {
				n, _ := strconv.Atoi(r[0])
				got[n] = r[1]
			}
			kinds := map[string]int{}
			// A duplicate names the first row of its DocID that was not
			// rejected for something else; a "duplicate" whose original was
			// rejected is itself the first valid row.
			firstOK := map[string]int{}
			for i := range o.Rows {
				line := i + 2
				rec, bad := o.Row(i)
				if bad == "" || bad == "duplicate-roll" {
					if first, dup := firstOK[rec[0]]; dup {
						want := "duplicate DocID: the same document as row " + strconv.Itoa(first)
						if !strings.Contains(got[line], want) {
							t.Errorf("row %d (duplicate): error %q, want %q", line, got[line], want)
						}
						kinds["duplicate-roll"]++
						continue
					}
					firstOK[rec[0]] = line
					bad = ""
				}
				if bad == "" {
					if msg, ok := got[line]; ok {
						t.Errorf("good row %d rejected: %s", line, msg)
					}
					continue
				}
				kinds[bad]++
				want := map[string]string{
					"aadhaar-checksum": "fails the Verhoeff check",
					"dob":              `DOB: "31-02-`,
					"missing-name":     "Name: required",
					"gender":           `Gender: "X" is not one of M, F, T`,
					"dob-future":       "DOB: 15-08-2085 is in the future (rule not_future; the run is on ",
				}[bad]
				if w, ok := tt.msgs[bad]; ok {
					want = w
				}
				if !strings.Contains(got[line], want) {
					t.Errorf("row %d (%s): error %q, want %q", line, bad, got[line], want)
				}
			}
			if len(kinds) != len(samples.BadKinds) {
				t.Errorf("kinds made: %v", kinds)
			}
			if s.Rejected != len(got) || s.Issued+s.Rejected != o.Rows {
				t.Errorf("summary %+v vs %d rejects in the report", s.Counts, len(got))
			}
		})
	}
}
