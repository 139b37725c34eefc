package samples

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// WriteXLSX writes the header and o.Rows rows to a workbook at path, as an
// exam board's spreadsheet would hold them: DOB as a date cell, marks,
// Aadhaar and mobile numbers as numbers, each subject's maximum as a formula
// with its cached value. Rows stream through excelize's StreamWriter, so
// memory stays flat whatever the row count.
func (o Options) WriteXLSX(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Results"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: strPtr("dd-mm-yyyy")})
	if err != nil {
		return err
	}
	header, err := HeaderFor(o.Kind)
	if err != nil {
		return err
	}
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return err
	}
	numeric := map[string]bool{"Year": true, "Aadhaar": true, "Mobile": true, "Pin": true}
	for i := range o.Rows {
		rec, _ := o.Row(i)
		row := make([]any, len(rec))
		for j, v := range rec {
			col := header[j]
			switch {
			case v == "":
				row[j] = nil
			case col == "DOB" || col == "IssueDate" || col == "ValidTill" || strings.HasSuffix(col, "IssueDate"):
				if d, ok := parseAnyDate(v); ok {
					row[j] = excelize.Cell{StyleID: dateStyle, Value: d}
				} else {
					row[j] = v // a bad date stays text, as a person typed it
				}
			case strings.HasSuffix(col, "Max") && strings.HasPrefix(col, "Sub"):
				n, _ := strconv.Atoi(v)
				row[j] = excelize.Cell{Formula: fmt.Sprintf("%d+%d", n/2, n-n/2), Value: n}
			case numeric[col] || strings.HasSuffix(col, "Theory") || strings.HasSuffix(col, "Practical"):
				if n, err := strconv.Atoi(v); err == nil {
					row[j] = n
				} else {
					row[j] = v
				}
			default:
				row[j] = v
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if err := f.SaveAs(path); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

func strPtr(s string) *string { return &s }

func parseAnyDate(s string) (time.Time, bool) {
	for _, l := range []string{"02-01-2006", "02/01/2006", "2006-01-02"} {
		if d, err := time.Parse(l, s); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}
