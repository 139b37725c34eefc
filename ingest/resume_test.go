package ingest_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/samples"
)

// interruptAt runs inputs until at least n rows were read, then
// interrupts the run; it fails the test unless the run was partial.
func (f *fixture) interruptAt(t *testing.T, inputs []string, n int) ingest.Summary {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := f.run(t, ctx, inputs, func(o *ingest.Options) {
		o.Progress = func(p ingest.Progress) {
			if p.Read >= n {
				cancel()
			}
		}
	})
	if !errors.Is(err, context.Canceled) || !s.Interrupted {
		t.Fatalf("interrupted run: %+v, %v", s, err)
	}
	return s
}

// TestResumeRemembersRejectedDocIDs: a row that maps but is rejected
// later (here its Certificate: a uid that looks like an Aadhaar number)
// keeps its DocID, so a later row with the same DocID is a duplicate —
// in one run, and alike when the batch was interrupted in between and
// resumed (the resumed run once remembered it and the first did not: the
// later row was issued by one and rejected by the other).
func TestResumeRemembersRejectedDocIDs(t *testing.T) {
	b, err := os.ReadFile("../samples/profiles/cbse-sscer.yaml")
	if err != nil {
		t.Fatal(err)
	}
	yaml := strings.Replace(string(b), `uid: "{Aadhaar}"`, `uid: "{SchoolName}"`, 1)
	if yaml == string(b) {
		t.Fatal("the sample profile has no uid template to change")
	}
	const total = 3000
	rows := genRows(total, samples.Options{Seed: 21})
	rows[1][11] = "234123412346" // SchoolName: rejected at rendering
	last := len(rows) - 1
	rows[last][0], rows[last][1] = rows[1][0], rows[1][1] // the same RollNo and Year
	for _, interrupted := range []bool{false, true} {
		f := newFixture(t)
		prof := filepath.Join(f.dir, "p.yaml")
		if err := os.WriteFile(prof, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		if f.prof, err = ingest.LoadProfile(prof); err != nil {
			t.Fatal(err)
		}
		in := f.writeCSV(t, "in.csv", rows)
		if interrupted {
			f.interruptAt(t, []string{in}, 50)
		}
		s, err := f.run(t, context.Background(), []string{in}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Resumed != interrupted || s.Read != total || s.Issued != total-2 || s.Rejected != 2 {
			t.Errorf("interrupted %v: %+v, want %d issued and 2 rejected (the row and its later duplicate)", interrupted, s, total-2)
		}
		uri := "in.gov.test-SSCER-" + rows[1][0] + rows[1][1]
		if _, err := f.deps.Catalog.Current(context.Background(), uri); !errors.Is(err, repository.ErrNotFound) {
			t.Errorf("interrupted %v: %s: %v, want not found", interrupted, uri, err)
		}
	}
}

// TestResumeInLaterInputKeepsEarlierDocIDs: a batch interrupted in its
// second input and resumed there still knows the first input's DocIDs,
// so a row repeating one of them is a duplicate, not a correction.
func TestResumeInLaterInputKeepsEarlierDocIDs(t *testing.T) {
	f := newFixture(t)
	first := genRows(10, samples.Options{Seed: 22})
	second := genRows(3000, samples.Options{Seed: 23})
	last := len(second) - 1
	second[last][0], second[last][1] = first[1][0], first[1][1]
	second[last][3] = "Someone Else"
	first[2][7] = "X" // a gender the profile refuses: a.csv has a rejects report
	a, b := f.writeCSV(t, "a.csv", first), f.writeCSV(t, "b.csv", second)
	f.interruptAt(t, []string{a, b}, 10+50)
	s, err := f.run(t, context.Background(), []string{a, b}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Resumed || s.Updated != 0 || s.Rejected != 2 || s.Issued != 10+3000-2 {
		t.Fatalf("resumed run: %+v, want the repeat rejected as a duplicate and nothing updated", s)
	}
	want := []string{"rejects-" + s.BatchID + ".csv", "rejects-" + s.BatchID + "-2.csv"}
	if len(s.Rejects) != 2 || filepath.Base(s.Rejects[0]) != want[0] || filepath.Base(s.Rejects[1]) != want[1] {
		t.Errorf("resumed run's rejects reports %q, want a.csv's and b.csv's, %q", s.Rejects, want)
	}
	doc, err := f.deps.Catalog.Current(context.Background(), "in.gov.test-SSCER-"+first[1][0]+first[1][1])
	if err != nil || doc.Version != 1 || doc.HolderName != first[1][3] {
		t.Fatalf("the first input's document: %+v, %v; want version 1 held by %q", doc, err, first[1][3])
	}
}

// TestResumeWithoutRejectsReport: a batch whose rejects report was removed
// after its interruption is not resumed blindly; the error says what the
// report was and how to go on.
func TestResumeWithoutRejectsReport(t *testing.T) {
	f := newFixture(t)
	rows := genRows(3000, samples.Options{Seed: 24})
	for i := 2; i < len(rows); i += 2 {
		rows[i][0] = rows[i-1][0] // every second row a duplicate: rejected
	}
	in := f.writeCSV(t, "in.csv", rows)
	s := f.interruptAt(t, []string{in}, 50)
	if len(s.Rejects) != 1 || s.Rejected == 0 {
		t.Fatalf("interrupted run: %+v, want rows rejected into one report", s)
	}
	if err := os.Remove(s.Rejects[0]); err != nil {
		t.Fatal(err)
	}
	_, err := f.run(t, context.Background(), []string{in}, nil)
	if err == nil || !strings.Contains(err.Error(), "rejects report of the resumed batch") || !strings.Contains(err.Error(), "touch the input") {
		t.Fatalf("rerun without the report: %v", err)
	}
}
