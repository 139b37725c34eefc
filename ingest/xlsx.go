package ingest

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/xuri/excelize/v2"
)

// DateSystem says how a row's bare numbers in date columns are read: CSV
// rows have none; XLSX rows count days from 1899-12-30 (the 1900 system) or
// from 1904-01-01.
type DateSystem int8

// Date systems.
const (
	NoSerialDates DateSystem = iota
	Excel1900
	Excel1904
)

// XLSXReader streams one sheet of an XLSX workbook with excelize's row
// iterator: worksheets larger than 16 MiB are spilled to a temporary file
// rather than held in memory. Cells are read raw, so a date cell arrives as
// its serial number (never in a locale's display format) and a formula as
// its cached value.
type XLSXReader struct {
	f      *excelize.File
	rows   *excelize.Rows
	header []string
	line   int
	dates  DateSystem
	sheet  string
	done   atomic.Int64
	total  int64 // rows the sheet declares, 0 when unknown
}

// Progress implements progressReporter: rows read of the sheet's declared
// rows.
func (r *XLSXReader) Progress() (int64, int64) { return r.done.Load(), r.total }

// EstimatedRows implements rowEstimator: the rows the sheet declares, 0
// when it declares none.
func (r *XLSXReader) EstimatedRows() int64 { return r.total }

// NewXLSXReader opens sheet (the first one when empty) of the workbook at
// path and reads its header row.
func NewXLSXReader(path, sheet string) (*XLSXReader, error) {
	f, err := excelize.OpenFile(path, excelize.Options{UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	sheets := f.GetSheetList()
	if sheet == "" {
		if len(sheets) == 0 {
			f.Close()
			return nil, errors.New("the workbook has no sheets")
		}
		sheet = sheets[0]
	} else if idx, _ := f.GetSheetIndex(sheet); idx < 0 {
		f.Close()
		return nil, fmt.Errorf("no sheet %q (the workbook has %s)", sheet, strings.Join(sheets, ", "))
	}
	r := &XLSXReader{f: f, sheet: sheet, dates: Excel1900}
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil && *props.Date1904 {
		r.dates = Excel1904
	}
	if r.rows, err = f.Rows(sheet); err != nil {
		f.Close()
		return nil, fmt.Errorf("sheet %q: %w", sheet, err)
	}
	if !r.rows.Next() {
		r.Close()
		return nil, fmt.Errorf("sheet %q is empty: want a header row", sheet)
	}
	r.line = 1
	if dim, err := f.GetSheetDimension(sheet); err == nil {
		if _, last, ok := strings.Cut(dim, ":"); ok {
			if _, rows, err := excelize.CellNameToCoordinates(last); err == nil {
				r.total = int64(rows)
			}
		}
	}
	h, err := r.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("sheet %q: header: %w", sheet, err)
	}
	for i := range h {
		h[i] = strings.TrimSpace(h[i])
	}
	for len(h) > 0 && h[len(h)-1] == "" {
		h = h[:len(h)-1]
	}
	if len(h) >= 2 && h[0] == "row" && h[1] == "error" {
		return nil, errors.New("this looks like a rejects report: save it as CSV and ingest the CSV")
	}
	r.header = h
	return r, nil
}

// Header implements RowReader.
func (r *XLSXReader) Header() []string { return r.header }

// Next implements RowReader.
func (r *XLSXReader) Next() (Row, error) {
	for r.rows.Next() {
		r.line++
		r.done.Store(int64(r.line))
		cells, err := r.rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return Row{}, fmt.Errorf("sheet %q row %d: %w", r.sheet, r.line, err)
		}
		empty := true
		for _, c := range cells {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		return Row{Line: r.line, Cells: cells, Dates: r.dates}, nil
	}
	if err := r.rows.Error(); err != nil {
		return Row{}, fmt.Errorf("sheet %q: %w", r.sheet, err)
	}
	return Row{}, io.EOF
}

// Close releases the workbook and any temporary files.
func (r *XLSXReader) Close() error {
	if r.rows != nil {
		r.rows.Close()
	}
	return r.f.Close()
}

// serialDate reads s as an Excel date serial in system ds.
func serialDate(s string, ds DateSystem) (time.Time, bool) {
	if ds == NoSerialDates {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 2958465 || math.IsNaN(f) {
		return time.Time{}, false
	}
	days := int(math.Floor(f))
	if ds == Excel1904 {
		return time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days), true
	}
	if days < 61 {
		// Excel's 1900 system counts a 29 February 1900 that never was.
		days++
	}
	return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days), true
}
