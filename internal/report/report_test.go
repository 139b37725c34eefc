package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/repository"
)

func TestIngestUIPlainLines(t *testing.T) {
	var buf bytes.Buffer
	u := NewIngestUI(&buf, false)
	if u.bar != nil {
		t.Fatal("a bar on a buffer, which is no terminal")
	}
	u.start = time.Now().Add(-10 * time.Second)
	u.every = 0
	u.Update(ingest.Progress{Counts: repository.Counts{Read: 5000, Issued: 4900, Rejected: 100}, Input: "/data/results.csv", Done: 250, Total: 1000})
	got := buf.String()
	for _, want := range []string{"results.csv 25%", "5000 rows", "500 rows/s", "490 docs/s", "100 rejected", "ETA 30s"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress line %q lacks %q", got, want)
		}
	}
	buf.Reset()
	u.every = time.Hour
	u.Update(ingest.Progress{Counts: repository.Counts{Read: 6000}})
	if buf.Len() != 0 {
		t.Errorf("a line before the interval: %q", buf.String())
	}
	q := NewIngestUI(&buf, true)
	q.every = 0
	q.Update(ingest.Progress{Counts: repository.Counts{Read: 1}})
	if buf.Len() != 0 {
		t.Errorf("--quiet printed %q", buf.String())
	}
}

func TestSummaryTable(t *testing.T) {
	var buf bytes.Buffer
	SummaryTable(&buf, ingest.Summary{Counts: repository.Counts{Read: 24, Issued: 20, Updated: 1, Unchanged: 2, Rejected: 1}, Seconds: 1.5, DocsPerSec: 14})
	lines := strings.Split(strings.TrimRight(buf.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "unchanged") || strings.Join(strings.Fields(lines[1]), " ") != "24 20 1 2 1 1.50 14" {
		t.Fatalf("table:\n%s", buf.String())
	}
}

func TestISTTime(t *testing.T) {
	if got := ISTTime(time.Date(2027, 5, 13, 6, 30, 0, 0, time.UTC)); got != "2027-05-13 12:00 IST" {
		t.Errorf("ISTTime = %q", got)
	}
}

func TestLines(t *testing.T) {
	for _, c := range []struct {
		json bool
		want string
	}{
		{false, "ID  URI\n1   a\n22  bb\n"},
		{true, "{\"id\":1}\n{\"id\":22}\n"},
	} {
		var buf bytes.Buffer
		l := NewLines(&buf, c.json, "ID\tURI")
		for _, r := range []struct {
			id  int
			uri string
		}{{1, "a"}, {22, "bb"}} {
			if err := l.Row(map[string]int{"id": r.id}, "%d\t%s", r.id, r.uri); err != nil {
				t.Fatal(err)
			}
		}
		l.Flush()
		if buf.String() != c.want {
			t.Errorf("json %v: %q, want %q", c.json, buf.String(), c.want)
		}
	}
}

// TestIngestSummaryRejects: a run with more rejects than it lists says
// where the rest are, and a dry run without a report how to get one.
func TestIngestSummaryRejects(t *testing.T) {
	first := []ingest.Reject{{Input: "r.csv", Row: 2, Error: "Gender: bad"}}
	for _, tc := range []struct {
		s    ingest.Summary
		want string
	}{
		{ingest.Summary{Counts: repository.Counts{Read: 9, Rejected: 4}, FirstRejects: first, DryRun: true}, "give one to see every rejected row"},
		{ingest.Summary{Counts: repository.Counts{Read: 9, Rejected: 4}, FirstRejects: first, Rejects: []string{"rejects-b.csv"}}, "rejected rows are in rejects-b.csv"},
	} {
		var buf bytes.Buffer
		IngestSummary(&buf, tc.s)
		if !strings.Contains(buf.String(), "… and 3 more rows") || !strings.Contains(buf.String(), tc.want) {
			t.Errorf("summary lacks %q:\n%s", tc.want, buf.String())
		}
	}
}
