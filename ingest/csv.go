package ingest

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/transform"
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
	r        *csv.Reader
	header   []string
	skip     int  // leading columns to drop (2 for a rejects report)
	rejects  bool // undo formula escaping
	progress progressReporter

	// rows counts the rows Next has returned and used the (decoded) input
	// bytes they took, both stored by Next for EstimatedRows on another
	// goroutine; read a moment apart, they still make a fair estimate.
	rows, used atomic.Int64
}

// Progress implements progressReporter when the pipeline set one up.
func (c *CSVReader) Progress() (int64, int64) {
	if c.progress == nil {
		return 0, 0
	}
	return c.progress.Progress()
}

// EstimatedRows implements rowEstimator: the rows the whole input holds,
// from the bytes the rows returned so far took, or 0 when the input's size
// is unknown. Progress would not do: it counts what the reader's buffer
// has read ahead, up to 256 KB more than the rows returned, so at row 4096
// it would underestimate a file by a third.
func (c *CSVReader) EstimatedRows() int64 {
	if c.progress == nil {
		return 0
	}
	_, total := c.progress.Progress()
	rows, used := c.rows.Load(), c.used.Load()
	if total <= 0 || rows <= 0 || used <= 0 {
		return 0
	}
	return int64(float64(rows) * float64(total) / float64(used))
}

// CSVOptions configure a CSVReader.
type CSVOptions struct {
	// Delimiter is ',', ';' or '\t'; 0 detects it from the header line.
	Delimiter rune
	// Encoding is "" or "utf-8" (the default), "windows-1252" or "latin1".
	Encoding string
}

// ParseDelimiter turns a --delimiter value into a rune: "auto" or "" (0),
// ",", ";", "tab" or "\t".
func ParseDelimiter(s string) (rune, error) {
	switch s {
	case "", "auto":
		return 0, nil
	case ",", "comma":
		return ',', nil
	case ";", "semicolon":
		return ';', nil
	case "\t", "\\t", "tab", "TAB":
		return '\t', nil
	}
	return 0, fmt.Errorf("delimiter %q: want auto, \",\", \";\" or tab", s)
}

// NewCSVReader reads the header from r.
func NewCSVReader(r io.Reader, opts ...CSVOptions) (*CSVReader, error) {
	var o CSVOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	switch strings.ToLower(o.Encoding) {
	case "", "utf-8", "utf8":
	case "windows-1252", "cp1252":
		r = transform.NewReader(r, charmap.Windows1252.NewDecoder())
	case "latin1", "iso-8859-1":
		r = transform.NewReader(r, charmap.ISO8859_1.NewDecoder())
	default:
		return nil, fmt.Errorf("encoding %q: want utf-8, windows-1252 or latin1", o.Encoding)
	}
	br := bufio.NewReaderSize(r, 256<<10)
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
	}
	if o.Delimiter == 0 {
		o.Delimiter = detectDelimiter(br)
	}
	cr := csv.NewReader(br)
	cr.Comma = o.Delimiter
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
			return nil, notUTF8(1)
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
		for _, cell := range rec {
			if !utf8.ValidString(cell) {
				return Row{}, notUTF8(line)
			}
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
		c.rows.Add(1)
		c.used.Store(c.r.InputOffset())
		return Row{Line: line, Cells: cells}, nil
	}
}

// ErrNotUTF8 is wrapped by the error for input that is not valid UTF-8.
var ErrNotUTF8 = errors.New("not valid UTF-8")

func notUTF8(line int) error {
	return fmt.Errorf("line %d: %w: if the file was saved as \"CSV\" by Excel on Windows or is Latin-1, "+
		"run again with --encoding windows-1252 (or latin1), or save it as \"CSV UTF-8\"", line, ErrNotUTF8)
}

// detectDelimiter picks the most frequent of , ; and TAB outside quotes on
// the first line; a tie or nothing found means ','.
func detectDelimiter(br *bufio.Reader) rune {
	head, _ := br.Peek(br.Size())
	counts := map[byte]int{}
	quoted := false
	for _, b := range head {
		if b == '"' {
			quoted = !quoted
			continue
		}
		if quoted {
			continue
		}
		if b == '\n' {
			break
		}
		if b == ',' || b == ';' || b == '\t' {
			counts[b]++
		}
	}
	best := byte(',')
	for _, d := range []byte{';', '\t'} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return rune(best)
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
