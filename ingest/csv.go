package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// RowReader streams rows from an input file.
type RowReader interface {
	// Header returns the column names (without a rejects report's leading
	// row and error columns).
	Header() []string
	// Next returns the next row, or io.EOF after the last one. The returned
	// Row's Cells are owned by the caller.
	Next() (Row, error)
}

// CSVReader streams a CSV file row by row; it never holds more than one row.
// It accepts UTF-8 with or without a BOM, CRLF or LF line ends and quoted
// fields with newlines. A rejects report written by ingest is read as it is:
// its leading "row" and "error" columns are dropped and the one leading "'"
// the report put before = + - @ TAB or CR is removed.
type CSVReader struct {
	r       *csv.Reader
	header  []string
	skip    int  // leading columns to drop (2 for a rejects report)
	rejects bool // undo formula escaping
}

// NewCSVReader reads the header from r.
func NewCSVReader(r io.Reader) (*CSVReader, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: want a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	c := &CSVReader{r: cr}
	h := make([]string, len(header))
	for i, s := range header {
		if !utf8.ValidString(s) {
			return nil, errors.New("line 1: header is not valid UTF-8")
		}
		h[i] = strings.TrimSpace(s)
	}
	if len(h) >= 2 && h[0] == "row" && h[1] == "error" {
		c.skip, c.rejects = 2, true
		h = h[2:]
	}
	c.header = h
	return c, nil
}

// Header implements RowReader.
func (c *CSVReader) Header() []string { return c.header }

// Next implements RowReader.
func (c *CSVReader) Next() (Row, error) {
	for {
		rec, err := c.r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return Row{}, io.EOF
			}
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return Row{}, fmt.Errorf("line %d: %w", pe.StartLine, pe.Err)
			}
			return Row{}, err
		}
		line, _ := c.r.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		if len(rec) < c.skip {
			rec = append(rec, make([]string, c.skip-len(rec))...)
		}
		cells := make([]string, len(rec)-c.skip)
		for i, s := range rec[c.skip:] {
			if c.rejects {
				s = unescapeFormula(s)
			}
			cells[i] = s
		}
		return Row{Line: line, Cells: cells}, nil
	}
}

// formulaLead are the first characters a spreadsheet treats as a formula.
const formulaLead = "=+-@\t\r"

// escapeFormula puts a "'" before a value a spreadsheet would evaluate. A
// value that already is "'" + formula gets one more "'", so that
// unescapeFormula gives every value back exactly.
func escapeFormula(s string) string {
	t := strings.TrimLeft(s, "'")
	if t != "" && strings.IndexByte(formulaLead, t[0]) >= 0 {
		return "'" + s
	}
	return s
}

// unescapeFormula removes the one "'" escapeFormula added.
func unescapeFormula(s string) string {
	t := strings.TrimLeft(s, "'")
	if len(t) < len(s) && t != "" && strings.IndexByte(formulaLead, t[0]) >= 0 {
		return s[1:]
	}
	return s
}
