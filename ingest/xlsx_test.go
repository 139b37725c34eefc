package ingest

import (
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/samples"
	"github.com/xuri/excelize/v2"
)

func TestSerialDate(t *testing.T) {
	tests := []struct {
		s    string
		ds   DateSystem
		want string
		ok   bool
	}{
		{"39886", Excel1900, "14-03-2009", true},
		{"39886.75", Excel1900, "14-03-2009", true}, // a time of day is dropped
		{"1", Excel1900, "01-01-1900", true},
		{"61", Excel1900, "01-03-1900", true},
		{"38424", Excel1904, "14-03-2009", true},
		{"39886", NoSerialDates, "", false},
		{"14-03-2009", Excel1900, "", false},
		{"-5", Excel1900, "", false},
	}
	for _, tt := range tests {
		d, ok := serialDate(tt.s, tt.ds)
		if ok != tt.ok || (ok && d.Format("02-01-2006") != tt.want) {
			t.Errorf("serialDate(%q, %d) = %s, %v; want %s, %v", tt.s, tt.ds, d.Format("02-01-2006"), ok, tt.want, tt.ok)
		}
	}
	// Cross-check with excelize's own conversion.
	for _, serial := range []float64{61, 367, 39886, 45000} {
		want, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := serialDate(strconv.FormatFloat(serial, 'f', -1, 64), Excel1900)
		if got.Format("2006-01-02") != want.Format("2006-01-02") {
			t.Errorf("serial %v: %s, excelize says %s", serial, got.Format("2006-01-02"), want.Format("2006-01-02"))
		}
	}
}

func writeXLSX(t *testing.T, o samples.Options) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.xlsx")
	if err := o.WriteXLSX(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestXLSXReader(t *testing.T) {
	path := writeXLSX(t, samples.Options{Rows: 30, Seed: 4})
	r, err := NewXLSXReader(path, "")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if strings.Join(r.Header(), ",") != strings.Join(samples.Header, ",") {
		t.Fatalf("header = %v", r.Header())
	}
	p := loadSample(t)
	m, err := p.Bind(r.Header())
	if err != nil {
		t.Fatal(err)
	}
	csvRows := map[int][]string{}
	for i := range 30 {
		csvRows[i+2], _ = samples.Options{Seed: 4}.Row(i)
	}
	n := 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if row.Dates != Excel1900 {
			t.Fatalf("row %d date system %d", row.Line, row.Dates)
		}
		rec, err := m.Map(row)
		if err != nil {
			t.Fatalf("row %d: %v", row.Line, err)
		}
		// The same row from CSV maps to the same record.
		crec, err := m.Map(Row{Line: row.Line, Cells: csvRows[row.Line]})
		if err != nil {
			t.Fatal(err)
		}
		if rec.ContentHash("SSCER", "") != crec.ContentHash("SSCER", "") {
			t.Fatalf("row %d: XLSX and CSV give different records:\n%v\n%v", row.Line, row.Cells, csvRows[row.Line])
		}
		if row.Cells[17] == "" || strings.Contains(row.Cells[17], "+") {
			t.Fatalf("Sub1Max formula not read as its cached value: %q", row.Cells[17])
		}
	}
	if n != 30 {
		t.Fatalf("read %d rows, want 30", n)
	}
}

func TestXLSXSheetAndDisplay(t *testing.T) {
	path := writeXLSX(t, samples.Options{Rows: 3, Seed: 4})
	if _, err := NewXLSXReader(path, "Nope"); err == nil || !strings.Contains(err.Error(), `no sheet "Nope" (the workbook has Results)`) {
		t.Fatalf("missing sheet: %v", err)
	}
	r, err := NewXLSXReader(path, "Results")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	row, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	m, _ := loadSample(t).Bind(r.Header())
	shown := m.Display(row)
	if _, err := time.Parse("02-01-2006", shown[6]); err != nil {
		t.Fatalf("DOB shown as %q (raw %q), want DD-MM-YYYY", shown[6], row.Cells[6])
	}
	if row.Cells[6] == shown[6] {
		t.Fatal("Display did not convert the serial")
	}
}
