package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestDocIDSet: what is put is got back with its place, growth and the
// switch to several inputs keep every entry, and release frees it.
func TestDocIDSet(t *testing.T) {
	s := newDocIDSet()
	defer s.release()
	const n = 100_000
	for i := range n {
		s.put("doc-"+strconv.Itoa(i), seenAt{line: int32(i + 2)})
		if i == n/2 {
			s.put("other-input", seenAt{input: 3, line: 7})
		}
	}
	s.put("doc-5", seenAt{input: 9, line: 99}) // already there: kept as first seen
	if s.n != n+1 {
		t.Fatalf("%d entries, want %d", s.n, n+1)
	}
	for i := range n {
		at, ok := s.get("doc-" + strconv.Itoa(i))
		if !ok || at.line != int32(i+2) || at.input != 0 {
			t.Fatalf("doc-%d: %+v %v", i, at, ok)
		}
	}
	if at, ok := s.get("other-input"); !ok || at != (seenAt{input: 3, line: 7}) {
		t.Errorf("other-input: %+v %v", at, ok)
	}
	if _, ok := s.get("doc-" + strconv.Itoa(n)); ok {
		t.Error("found a DocID never put")
	}
	if (s.n)*5 > len(s.keys)*4 {
		t.Errorf("load %d/%d above 80%%", s.n, len(s.keys))
	}
}

// TestDocIDSetReserve: a reserved set keeps what it held and takes the
// reserved number without growing again.
func TestDocIDSetReserve(t *testing.T) {
	s := newDocIDSet()
	defer s.release()
	s.put("early", seenAt{line: 2})
	s.reserve(50_000)
	slots := len(s.keys)
	if slots < 50_000*5/4 || slots > 50_000*5/4+1 {
		t.Fatalf("reserved %d slots for 50,000", slots)
	}
	for i := range 50_000 - 1 {
		s.put("doc-"+strconv.Itoa(i), seenAt{line: int32(i + 3)})
	}
	if len(s.keys) != slots {
		t.Fatalf("grew from %d to %d slots within the reservation", slots, len(s.keys))
	}
	if at, ok := s.get("early"); !ok || at.line != 2 {
		t.Fatalf("lost an entry across reserve: %+v %v", at, ok)
	}
	s.reserve(10) // less than held: nothing changes
	if len(s.keys) != slots {
		t.Fatal("a smaller reservation resized the set")
	}
}

type fixedEstimate struct {
	fixedProgress
	rows int64
}

type fixedProgress struct{ done, total int64 }

func (p fixedProgress) Progress() (int64, int64) { return p.done, p.total }
func (e fixedEstimate) EstimatedRows() int64     { return e.rows }

// TestReserveSeen: the sequencer sizes the set from the reader's estimate
// of the input's rows, so a 100,000-row input never doubles it after row
// 4096; a reader without one leaves the set to grow as it goes.
func TestReserveSeen(t *testing.T) {
	seen := newDocIDSet()
	defer seen.release()
	q := &sequencer{seen: seen, reader: fixedEstimate{rows: 100_000}, next: estimateAt}
	q.reserveSeen()
	if need := 100_000 * 5 / 4; len(seen.keys) < need {
		t.Fatalf("%d slots for ~100,000 rows, want at least %d", len(seen.keys), need)
	}
	for _, r := range []progressReporter{nil, fixedProgress{done: 4096 * 300, total: 100_000 * 300}, fixedEstimate{rows: 0}} {
		q = &sequencer{seen: newDocIDSet(), reader: r, next: estimateAt}
		q.reserveSeen()
		if len(q.seen.keys) != 1<<12 {
			t.Errorf("%#v: resized without an estimate: %d slots", r, len(q.seen.keys))
		}
		q.seen.release()
	}
}

// TestCSVEstimatedRows: a CSV input's rows are estimated from the bytes
// the rows returned took, not from what the reader's buffer read ahead,
// so the estimate at row 4096 is within 5% (the DocID set's margin) of
// the true count, with or without a byte order mark.
func TestCSVEstimatedRows(t *testing.T) {
	const n = 60_000
	for _, bom := range []string{"", "\ufeff"} {
		var b strings.Builder
		b.WriteString(bom + "RollNo,Name,Marks\n")
		for i := range n {
			fmt.Fprintf(&b, "%d,Student %d of the board,%d\n", 1_000_000+i*7919%900_000, i, i%101)
		}
		path := filepath.Join(t.TempDir(), "in.csv")
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		rr, closeInput, err := openInput(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		for range estimateAt {
			if _, err := rr.Next(); err != nil {
				t.Fatal(err)
			}
		}
		got := rr.(rowEstimator).EstimatedRows()
		closeInput()
		if got < n*100/105 || got > n*105/100 {
			t.Errorf("bom %q: %d rows estimated at row %d, want %d ± 5%%", bom, got, estimateAt, n)
		}
	}
}

func TestURISet(t *testing.T) {
	u := newURISet()
	defer u.release()
	u.add("in.gov.x-SSCER-1")
	if !u.mayHave("in.gov.x-SSCER-1") || u.mayHave("in.gov.x-SSCER-2") {
		t.Error("wrong membership")
	}
}

// BenchmarkDocIDSetMemory reports the bytes a remembered DocID costs,
// heap and off-heap tables together.
func BenchmarkDocIDSetMemory(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		s := newDocIDSet()
		for i := range n {
			s.put(strconv.Itoa(75_000_000+i*7)+"2025", seenAt{line: int32(i)})
		}
		runtime.ReadMemStats(&after)
		table := 0
		for _, bl := range s.blocks {
			table += len(bl)
		}
		b.ReportMetric(float64(table)/n, "table-B/row")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/row")
		s.release()
	}
}
