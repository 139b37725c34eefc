package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/issuerkit/issuerkit/samples"
	"github.com/urfave/cli/v2"
)

// samplesGenOptions are samples gen's flags.
type samplesGenOptions struct {
	Rows, Year           int
	Out, Kind            string
	Seed                 uint64
	BadRate, AadhaarRate float64
}

func samplesCommand(e *env) *cli.Command {
	g := &samplesGenOptions{}
	return &cli.Command{
		Name:  "samples",
		Usage: "synthetic data for tests, benchmarks and demos",
		Subcommands: []*cli.Command{{
			Name:  "gen",
			Usage: "write deterministic synthetic records: CBSE Class X (default), Class XII or driving licences",
			Description: "The same --seed always gives the same file. Aadhaar numbers are random valid (Verhoeff)\n" +
				"numbers. --bad-rate makes that share of rows invalid, cycling through: " + strings.Join(samples.BadKinds, ", ") + ".\n" +
				"--kind picks the data set, matching samples/profiles/cbse-sscer.yaml (SSCER),\n" +
				"cbse-hscer.yaml (HSCER) or transport-drvlc.yaml (DRVLC). Needs no home.\n\n" +
				"Example:\n" +
				"   issuerkit samples gen --rows 100000 --out results.csv --seed 7 --bad-rate 0.01\n" +
				"   issuerkit samples gen --rows 24 --seed 2025 --out samples/cbse-sscer-2025.xlsx",
			Flags: []cli.Flag{
				&cli.IntFlag{Name: "rows", Required: true, Destination: &g.Rows, Usage: "number of rows"},
				&cli.StringFlag{Name: "out", Required: true, Destination: &g.Out, Usage: "output `FILE` (.csv or .xlsx)"},
				&cli.Uint64Flag{Name: "seed", Value: 1, Destination: &g.Seed, Usage: "random seed"},
				&cli.Float64Flag{Name: "bad-rate", Value: 0, Destination: &g.BadRate, Usage: "share of invalid rows, 0 to 1"},
				&cli.Float64Flag{Name: "aadhaar-rate", Value: 1, Destination: &g.AadhaarRate, Usage: "share of rows with an Aadhaar number, 0 to 1"},
				&cli.IntFlag{Name: "year", Value: 2025, Destination: &g.Year, Usage: "examination year"},
				&cli.StringFlag{Name: "kind", Value: samples.KindSSCER, Destination: &g.Kind, Usage: "data set: SSCER (Class X), HSCER (Class XII) or DRVLC (driving licences)"},
			},
			Action: func(c *cli.Context) error {
				o := samples.Options{Rows: g.Rows, Seed: g.Seed, Year: g.Year, BadRate: g.BadRate, AadhaarRate: g.AadhaarRate}
				o.NoAadhaar = o.AadhaarRate == 0
				o.Kind = strings.ToUpper(g.Kind)
				if _, err := samples.HeaderFor(o.Kind); err != nil {
					return usageErr("samples gen: --kind: %v", err)
				}
				if o.Rows < 0 || o.BadRate < 0 || o.BadRate > 1 || o.AadhaarRate < 0 || o.AadhaarRate > 1 {
					return usageErr("samples gen: --rows must be ≥ 0 and the rates between 0 and 1")
				}
				out := g.Out
				switch strings.ToLower(filepath.Ext(out)) {
				case ".csv":
					f, err := os.Create(out)
					if err != nil {
						return err
					}
					if err := o.WriteCSV(f); err != nil {
						f.Close()
						return fmt.Errorf("write %s: %w", out, err)
					}
					if err := f.Close(); err != nil {
						return err
					}
				case ".xlsx":
					if err := o.WriteXLSX(out); err != nil {
						return fmt.Errorf("write %s: %w", out, err)
					}
				default:
					return usageErr("samples gen: --out must end in .csv or .xlsx")
				}
				fmt.Fprintf(e.stdout, "wrote %d rows to %s\n", o.Rows, out)
				return nil
			},
		}},
	}
}
