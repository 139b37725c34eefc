package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/xmlschema"
)

func readAll(t testing.TB, src string) ([]string, []Row, error) {
	t.Helper()
	r, err := NewCSVReader(strings.NewReader(src))
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return r.Header(), rows, nil
		}
		if err != nil {
			return r.Header(), rows, err
		}
		rows = append(rows, row)
	}
}

func TestCSVReader(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		header string
		lines  []int
		cells  [][]string
	}{
		{"lf", "a,b\n1,2\n3,4\n", "a|b", []int{2, 3}, [][]string{{"1", "2"}, {"3", "4"}}},
		{"crlf and bom", "\xEF\xBB\xBFa,b\r\n1,2\r\n", "a|b", []int{2}, [][]string{{"1", "2"}}},
		{"quoted newline shifts lines", "a,b\n\"x\ny\",2\n3,4\n", "a|b", []int{2, 4}, [][]string{{"x\ny", "2"}, {"3", "4"}}},
		{"blank lines skipped", "a,b\n\n1,2\n\n", "a|b", []int{3}, [][]string{{"1", "2"}}},
		{"short row", "a,b,c\n1\n", "a|b|c", []int{2}, [][]string{{"1"}}},
		{"rejects report", "row,error,a,b\n4,bad,'=1+1,x\n", "a|b", []int{2}, [][]string{{"=1+1", "x"}}},
		{"header trimmed", " a , b \n1,2\n", "a|b", []int{2}, [][]string{{"1", "2"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, rows, err := readAll(t, tt.src)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(h, "|") != tt.header {
				t.Fatalf("header = %q", h)
			}
			if len(rows) != len(tt.lines) {
				t.Fatalf("%d rows, want %d", len(rows), len(tt.lines))
			}
			for i, r := range rows {
				if r.Line != tt.lines[i] || strings.Join(r.Cells, "|") != strings.Join(tt.cells[i], "|") {
					t.Errorf("row %d = line %d %q, want line %d %q", i, r.Line, r.Cells, tt.lines[i], tt.cells[i])
				}
			}
		})
	}
}

func TestCSVDelimitersAndEncodings(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts CSVOptions
		want string // header|cells of the first row
	}{
		{"semicolon detected", "a;b\n1;\"x;y\"\n", CSVOptions{}, "a,b|1,x;y"},
		{"tab detected", "a\tb\n1\t2\n", CSVOptions{}, "a,b|1,2"},
		{"comma wins a tie", "a,b;c\n1,2;3\n", CSVOptions{}, "a,b;c|1,2;3"},
		{"quoted commas ignored", "\"a,b,c\";d;e\n1;2;3\n", CSVOptions{}, "a,b,c,d,e|1,2,3"},
		{"forced", "a;b\n1;2\n", CSVOptions{Delimiter: ','}, "a;b|1;2"},
		{"windows-1252", "a,b\nRen\xe9,\x80\n", CSVOptions{Encoding: "windows-1252"}, "a,b|René,€"},
		{"latin1", "a,b\nJos\xe9,x\n", CSVOptions{Encoding: "latin1"}, "a,b|José,x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := NewCSVReader(strings.NewReader(tt.src), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			row, err := r.Next()
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.Header(), ",") + "|" + strings.Join(row.Cells, ","); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	for _, d := range []string{"auto", ",", ";", "tab"} {
		if _, err := ParseDelimiter(d); err != nil {
			t.Errorf("ParseDelimiter(%q): %v", d, err)
		}
	}
	if _, err := ParseDelimiter("|"); err == nil {
		t.Error("ParseDelimiter(|) accepted")
	}
}

func TestCSVNotUTF8(t *testing.T) {
	_, _, err := readAll(t, "a,b\n1,2\n3,Ren\xe9\n")
	if !errors.Is(err, ErrNotUTF8) || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "--encoding windows-1252") {
		t.Fatalf("error = %v, want line 3 and the --encoding hint", err)
	}
	if _, err := NewCSVReader(strings.NewReader("Ren\xe9,b\n")); !errors.Is(err, ErrNotUTF8) {
		t.Fatalf("non-UTF-8 header: %v", err)
	}
	if _, err := NewCSVReader(strings.NewReader("a\n"), CSVOptions{Encoding: "ebcdic"}); err == nil {
		t.Fatal("unknown encoding accepted")
	}
}

func TestCSVReaderErrors(t *testing.T) {
	if _, err := NewCSVReader(strings.NewReader("")); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty file: %v", err)
	}
	_, _, err := readAll(t, "a,b\n1,2\n\"unterminated,3\n")
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("bad quote: %v, want the line named", err)
	}
}

func TestFormulaEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{"=SUM(A1)", "+91", "-5", "@x", "\tx", "\rx", "plain", "'quoted", "", "'=already", "''+x", "'"} {
		if got := unescapeFormula(escapeFormula(s)); got != s {
			t.Errorf("round trip of %q gave %q", s, got)
		}
	}
}

// sampleMapper binds the sample profile to the samples' header.
func sampleMapper(tb testing.TB) *Mapper {
	tb.Helper()
	p, err := LoadProfile(sampleProfile)
	if err != nil {
		tb.Fatal(err)
	}
	m, err := p.Bind(samples.Header)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// FuzzCSVRow feeds arbitrary bytes as a data row through the reader and the
// sample profile: nothing may panic, and an accepted row must render.
func FuzzCSVRow(f *testing.F) {
	rec, _ := samples.Options{Seed: 1}.Row(0)
	f.Add(strings.Join(rec, ","))
	f.Add(`5100003,2025,MAR,"A ""B""",,,"01-01-2009",M,,,10201,"S, N",PASS`)
	f.Add("\"\n\"")
	m := sampleMapper(f)
	hdr := strings.Join(samples.Header, ",") + "\n"
	f.Fuzz(func(t *testing.T, line string) {
		r, err := NewCSVReader(strings.NewReader(hdr + line))
		if err != nil {
			return
		}
		for {
			row, err := r.Next()
			if err != nil {
				return
			}
			rec, err := m.Map(row)
			if err != nil {
				var re *RowError
				if !errors.As(err, &re) || len(re.Problems) == 0 {
					t.Fatalf("Map returned %v, want a *RowError with problems", err)
				}
				continue
			}
			c, err := m.Certificate(rec, Issuer{ID: "in.gov.x", Name: "X", Type: "SG"}, "01-01-2025", "A")
			if err != nil {
				t.Fatalf("valid row failed to map to a certificate: %v", err)
			}
			if _, err := c.Render(); err != nil {
				t.Fatalf("valid row failed to render: %v", err)
			}
		}
	})
}

// TestCollapseSpace: the allocation-free collapse is strings.Fields's for
// every trimmed cell.
func TestCollapseSpace(t *testing.T) {
	for _, s := range []string{"", "a", "Aarav Sharma", "a  b", "a\tb", "a \t b", "मौर्य  शर्मा", "a\u00a0b", "a\u2003 b", "x\ny", "ab\u0301c d", "\u00e9 \u00e9"} {
		s = strings.TrimSpace(s)
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Errorf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzCollapseSpace(f *testing.F) {
	f.Add("a  b\tc")
	f.Add("मौर्य\u2003 शर्मा")
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.TrimSpace(s)
		if got, want := collapseSpace(s), strings.Join(strings.Fields(s), " "); got != want {
			t.Fatalf("collapseSpace(%q) = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkMapCertificate is a worker's cost of a row before its
// signature: validate and map the cells, then build the Certificate.
func BenchmarkMapCertificate(b *testing.B) {
	m := sampleMapper(b)
	rows := make([]Row, 64)
	for i := range rows {
		cells, _ := samples.Options{Seed: 3}.Row(i)
		rows[i] = Row{Line: i + 2, Cells: cells}
	}
	iss := Issuer{ID: "in.gov.bench", Name: "Bench Board", Type: "SG"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		rec, err := m.Map(rows[i%len(rows)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := m.Certificate(rec, iss, "01-06-2025", xmlschema.StatusActive); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeMarksheet writes the sample marksheets' Certificates as a
// worker does before it signs them: the document and its canonical form.
func BenchmarkEncodeMarksheet(b *testing.B) {
	m := sampleMapper(b)
	iss := Issuer{ID: "in.gov.bench", Name: "Bench Board", Type: "SG"}
	certs := make([]*xmlschema.Certificate, 64)
	for i := range certs {
		cells, _ := samples.Options{Seed: 3}.Row(i)
		rec, err := m.Map(Row{Line: i + 2, Cells: cells})
		if err != nil {
			b.Fatal(err)
		}
		if certs[i], err = m.Certificate(rec, iss, "01-06-2025", xmlschema.StatusActive); err != nil {
			b.Fatal(err)
		}
	}
	var e xmlschema.Encoded
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := certs[i%len(certs)].Encode(&e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(e.Doc)), "doc-bytes")
}
