package samples

import (
	"bytes"
	"math"
	"testing"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
)

func TestRowsValidAndDeterministic(t *testing.T) {
	o := Options{Rows: 500, Seed: 7}
	rolls := map[string]bool{}
	for i := range o.Rows {
		a, bad := o.Row(i)
		b, _ := o.Row(i)
		if bad != "" {
			t.Fatalf("row %d is bad with BadRate 0", i)
		}
		if len(a) != len(Header) {
			t.Fatalf("row %d has %d cells", i, len(a))
		}
		for j := range a {
			if a[j] != b[j] {
				t.Fatalf("row %d differs between calls", i)
			}
		}
		if err := aadhaar.Validate(a[8]); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if rolls[a[0]] {
			t.Fatalf("row %d repeats roll %s", i, a[0])
		}
		rolls[a[0]] = true
	}
	other, _ := Options{Seed: 8}.Row(0)
	first, _ := o.Row(0)
	if other[0] == first[0] {
		t.Fatal("two seeds give the same student")
	}
}

func TestBadRate(t *testing.T) {
	for _, rate := range []float64{0.05, 0.25, 0.5} {
		o := Options{Rows: 4000, Seed: 11, BadRate: rate}
		kinds := map[string]int{}
		n := 0
		for i := range o.Rows {
			if _, bad := o.Row(i); bad != "" {
				n++
				kinds[bad]++
			}
		}
		got := float64(n) / float64(o.Rows)
		// Binomial: 4 standard deviations is far outside chance.
		if sd := math.Sqrt(rate * (1 - rate) / float64(o.Rows)); math.Abs(got-rate) > 4*sd {
			t.Errorf("rate %.2f: %.3f of rows bad", rate, got)
		}
		if len(kinds) != len(BadKinds) {
			t.Errorf("rate %.2f: kinds %v, want all of %v", rate, kinds, BadKinds)
		}
	}
}

func TestAadhaarRate(t *testing.T) {
	o := Options{Rows: 2000, Seed: 3, AadhaarRate: 0.3}
	n := 0
	for i := range o.Rows {
		if r, _ := o.Row(i); r[8] != "" {
			n++
		}
	}
	if n < 500 || n > 700 {
		t.Fatalf("%d of 2000 rows have an Aadhaar at rate 0.3", n)
	}
	none, _ := Options{Seed: 3, NoAadhaar: true, AadhaarRate: 0}.Row(0)
	if none[8] != "" {
		t.Fatal("NoAadhaar row has an Aadhaar")
	}
}

func TestWriteCSVStreams(t *testing.T) {
	var buf bytes.Buffer
	if err := (Options{Rows: 3, Seed: 1}).WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != 4 {
		t.Fatalf("%d lines, want header + 3", n)
	}
}
