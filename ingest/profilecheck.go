package ingest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/schema"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// checkRows yields the rows to check.
type checkRows struct {
	header []string
	next   func() (Row, error)
	close  func() error
}

func openCheckRows(prof *Profile, input, sheet string) (*checkRows, error) {
	if input == "" {
		h, err := samples.HeaderFor(prof.DocType)
		if err != nil {
			return nil, fmt.Errorf("profile check: no synthetic rows for DocType %s: give an INPUT file", prof.DocType)
		}
		o, i := samples.Options{Kind: prof.DocType, Seed: 1}, 0
		return &checkRows{header: h, close: func() error { return nil }, next: func() (Row, error) {
			cells, _ := o.Row(i)
			i++
			return Row{Line: i + 1, Cells: cells}, nil
		}}, nil
	}
	if strings.EqualFold(filepath.Ext(input), ".xlsx") {
		r, err := NewXLSXReader(input, sheet)
		if err != nil {
			return nil, err
		}
		return &checkRows{header: r.Header(), next: r.Next, close: r.Close}, nil
	}
	f, err := os.Open(input)
	if err != nil {
		return nil, err
	}
	r, err := NewCSVReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &checkRows{header: r.Header(), next: r.Next, close: f.Close}, nil
}

// CheckProfile renders the first rows of input (CSV or XLSX; "" for
// synthetic rows of the profile's DocType) with the profile file, prints
// every deviation of the first rows and returns how
// many there were (a deviation found in several rows counts once).
func CheckProfile(w io.Writer, profile, input, sheet string, rows int) (int, error) {
	prof, err := LoadProfile(profile)
	if err != nil {
		return 0, err
	}
	s := prof.Schema()
	if s == nil {
		fmt.Fprintf(w, "%s: no official schema is known for DocType %s (known: %s); nothing to check\n",
			profile, prof.DocType, strings.Join(schema.DocTypes(), ", "))
		return 0, nil
	}
	src, err := openCheckRows(prof, input, sheet)
	if err != nil {
		return 0, err
	}
	defer src.close()
	m, err := prof.Bind(src.header)
	if err != nil {
		return 0, err
	}
	iss := Issuer{ID: "in.gov.example", Name: "Profile check", Type: "SG"}
	today := time.Now().In(xmlschema.IST).Format("02-01-2006")
	seen := map[string]int{} // deviation → first row
	var order []string
	checked, rejected := 0, 0
	for checked+rejected < rows {
		row, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		devs, err := m.CheckRow(row, iss, today)
		var re *RowError
		if errors.As(err, &re) {
			rejected++
			fmt.Fprintf(w, "row %d: rejected by the profile: %v\n", row.Line, err)
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("row %d: %w", row.Line, err)
		}
		checked++
		for _, d := range devs {
			if _, ok := seen[d.String()]; !ok {
				seen[d.String()] = row.Line
				order = append(order, d.String())
			}
		}
	}
	for _, d := range order {
		fmt.Fprintf(w, "%s (row %d)\n", d, seen[d])
	}
	fmt.Fprintf(w, "%s: %d %s checked against %s (%s): %d %s\n", profile, checked, plural(checked, "row", "rows"),
		s.Name, s.Source, len(order), plural(len(order), "deviation", "deviations"))
	if checked == 0 {
		return 0, fmt.Errorf("profile check: no row of %s could be rendered", profile)
	}
	return len(order), nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
