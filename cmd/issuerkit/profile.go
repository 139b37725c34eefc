package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/schema"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/urfave/cli/v2"
)

func profileCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "profile",
		Usage: "work with profiles",
		Subcommands: []*cli.Command{{
			Name:      "check",
			Usage:     "render rows with a profile and list every deviation from its DocType's official schema",
			ArgsUsage: "[INPUT]",
			Description: "Loads the profile, renders the first rows of INPUT (CSV or XLSX; without INPUT, synthetic rows\n" +
				"for SSCER, HSCER and DRVLC) and lists each deviation from the official description of the DocType\n" +
				"(API Setu's AcademicCertificateSchema for SSCER and HSCER, DrivingLicenseSchema for DRVLC): a\n" +
				"missing required attribute or element, an empty required value, an unknown element. Exit 0\n" +
				"when there is none: what to run before registering a DocType with DigiLocker. Needs no home.\n\n" +
				"Example:\n" +
				"   issuerkit profile check --profile samples/profiles/cbse-sscer.yaml samples/cbse-sscer-2025.csv",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "profile", Required: true, Usage: "the profile `FILE`"},
				&cli.IntFlag{Name: "rows", Value: 20, Usage: "how many rows to render"},
				&cli.StringFlag{Name: "sheet", Usage: "XLSX sheet `NAME` (default the first)"},
			},
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 0, 1, "at most one INPUT"); err != nil {
					return err
				}
				n, err := checkProfile(e.stdout, c.String("profile"), c.Args().First(), c.String("sheet"), c.Int("rows"))
				if err != nil {
					return err
				}
				if n > 0 {
					return fmt.Errorf("profile check: %d %s from the official schema", n, plural(n, "deviation", "deviations"))
				}
				return nil
			},
		}},
	}
}

// rowSource yields the rows to check.
type rowSource struct {
	header []string
	next   func() (ingest.Row, error)
	close  func() error
}

func openRows(prof *ingest.Profile, input, sheet string) (*rowSource, error) {
	if input == "" {
		h, err := samples.HeaderFor(prof.DocType)
		if err != nil {
			return nil, fmt.Errorf("profile check: no synthetic rows for DocType %s: give an INPUT file", prof.DocType)
		}
		o, i := samples.Options{Kind: prof.DocType, Seed: 1}, 0
		return &rowSource{header: h, close: func() error { return nil }, next: func() (ingest.Row, error) {
			cells, _ := o.Row(i)
			i++
			return ingest.Row{Line: i + 1, Cells: cells}, nil
		}}, nil
	}
	if strings.EqualFold(filepath.Ext(input), ".xlsx") {
		r, err := ingest.NewXLSXReader(input, sheet)
		if err != nil {
			return nil, err
		}
		return &rowSource{header: r.Header(), next: r.Next, close: r.Close}, nil
	}
	f, err := os.Open(input)
	if err != nil {
		return nil, err
	}
	r, err := ingest.NewCSVReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &rowSource{header: r.Header(), next: r.Next, close: f.Close}, nil
}

// checkProfile prints every deviation of the first rows and returns how
// many there were (a deviation found in several rows counts once).
func checkProfile(w io.Writer, profile, input, sheet string, rows int) (int, error) {
	prof, err := ingest.LoadProfile(profile)
	if err != nil {
		return 0, err
	}
	s := prof.Schema()
	if s == nil {
		fmt.Fprintf(w, "%s: no official schema is known for DocType %s (known: %s); nothing to check\n",
			profile, prof.DocType, strings.Join(schema.DocTypes(), ", "))
		return 0, nil
	}
	src, err := openRows(prof, input, sheet)
	if err != nil {
		return 0, err
	}
	defer src.close()
	m, err := prof.Bind(src.header)
	if err != nil {
		return 0, err
	}
	iss := ingest.Issuer{ID: "in.gov.example", Name: "Profile check", Type: "SG"}
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
		var re *ingest.RowError
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
