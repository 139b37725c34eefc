package ingest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestReleaseAt: a batch with a release time holds its new documents (and
// their pushes) back; a correction keeps a held document held and a public
// one public; a past time is refused; a resumed batch keeps its time, and
// a rerun that would change it is refused.
func TestReleaseAt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	release := time.Now().Add(72 * time.Hour).Truncate(time.Second) // another day than today
	rows := genRows(4, samples.Options{Seed: 11})
	pub := f.writeCSV(t, "public.csv", [][]string{rows[0], rows[1]})
	if _, err := f.run(t, ctx, []string{pub}, nil); err != nil {
		t.Fatal(err)
	}
	uri := func(row []string) string { return "in.gov.test-SSCER-" + row[0] + "2025" }

	all := f.writeCSV(t, "all.csv", rows)
	s, err := f.run(t, ctx, []string{all}, func(o *ingest.Options) { o.ReleaseAt = release })
	if err != nil || s.Issued != 3 || s.Unchanged != 1 {
		t.Fatalf("held run: %+v, %v; want 3 issued, 1 unchanged", s, err)
	}
	for i, row := range rows[1:] {
		d, err := f.deps.Catalog.Current(ctx, uri(row))
		if err != nil {
			t.Fatal(err)
		}
		if want := i > 0; d.Held(time.Now()) != want || (want && !d.ReleaseAt.Equal(release)) {
			t.Errorf("row %d: held until %v, want held %v (until %v)", i+2, d.ReleaseAt, want, release)
		}
		// A held document is dated its release day.
		if want := release.In(xmlschema.IST).Format("02-01-2006"); i > 0 && d.IssueDate != want {
			t.Errorf("row %d: issue date %s, want the release day %s", i+2, d.IssueDate, want)
		}
		if i > 0 {
			data, err := f.deps.Store.Get(ctx, d.ObjectKey)
			if err != nil || !strings.Contains(string(data), `issueDate="`+d.IssueDate+`"`) {
				t.Errorf("row %d: the signed document is not dated %s (%v)", i+2, d.IssueDate, err)
			}
		}
	}
	if st := f.stats(t); st.Held != 3 || st.NextRelease == nil || !st.NextRelease.Equal(release) {
		t.Fatalf("stats: held %d next %v, want 3 at %v", st.Held, st.NextRelease, release)
	}
	if items, err := f.deps.Catalog.Claim(ctx, "t", 100, time.Minute, time.Time{}); err != nil || len(items) != 1 {
		t.Fatalf("claimable pushes: %d, %v; want only the public document's", len(items), err)
	}

	// Corrections without a release time: the held document stays held,
	// the public one changes at once.
	for _, i := range []int{1, 2} {
		if rows[i][15] == "31" {
			rows[i][15] = "32"
		} else {
			rows[i][15] = "31"
		}
	}
	fix := f.writeCSV(t, "fix.csv", [][]string{rows[0], rows[1], rows[2]})
	if s, err := f.run(t, ctx, []string{fix}, nil); err != nil || s.Updated != 2 {
		t.Fatalf("corrections: %+v, %v", s, err)
	}
	if d, _ := f.deps.Catalog.Current(ctx, uri(rows[1])); d.Version != 2 || d.Held(time.Now()) {
		t.Errorf("a public document's correction: v%d held until %v, want v2 public", d.Version, d.ReleaseAt)
	}
	if d, _ := f.deps.Catalog.Current(ctx, uri(rows[2])); d.Version != 2 || !d.ReleaseAt.Equal(release) {
		t.Errorf("a held document's correction: v%d held until %v, want v2 held until %v", d.Version, d.ReleaseAt, release)
	}

	if _, err := f.run(t, ctx, []string{all}, func(o *ingest.Options) { o.ReleaseAt = time.Now().Add(-time.Minute) }); err == nil ||
		!strings.Contains(err.Error(), "has passed") {
		t.Fatalf("a past release time: %v", err)
	}
}

func TestReleaseAtSurvivesResume(t *testing.T) {
	f := newFixture(t)
	release := time.Now().Add(time.Hour).Truncate(time.Second)
	const total = 3000
	in := f.writeCSV(t, "in.csv", genRows(total, samples.Options{Seed: 12}))
	ctx, cancel := context.WithCancel(context.Background())
	s, err := f.run(t, ctx, []string{in}, func(o *ingest.Options) {
		o.ReleaseAt = release
		o.Progress = func(p ingest.Progress) {
			if p.Read >= 50 {
				cancel()
			}
		}
	})
	if !errors.Is(err, context.Canceled) || s.Read >= total {
		t.Fatalf("interrupted run: %+v, %v", s, err)
	}
	other := release.Add(time.Hour)
	if _, err := f.run(t, context.Background(), []string{in}, func(o *ingest.Options) { o.ReleaseAt = other }); err == nil ||
		!strings.Contains(err.Error(), "holds its documents until") {
		t.Fatalf("resuming with another release time: %v", err)
	}
	// Rerun as the CONTRACT says (the same command, here without the flag):
	// the rest is held like the first part.
	s, err = f.run(t, context.Background(), []string{in}, nil)
	if err != nil || !s.Resumed || s.Issued != total {
		t.Fatalf("resumed run: %+v, %v", s, err)
	}
	if st := f.stats(t); st.Held != total || !st.NextRelease.Equal(release) {
		t.Fatalf("after the resumed run: %d held (next %v), want all %d until %v", st.Held, st.NextRelease, total, release)
	}
}
