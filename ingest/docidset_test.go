package ingest

import (
	"runtime"
	"strconv"
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
