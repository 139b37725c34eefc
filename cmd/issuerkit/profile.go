package main

import (
	"fmt"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/urfave/cli/v2"
)

// profileCheckOptions are profile check's flags.
type profileCheckOptions struct {
	Profile, Sheet string
	Rows           int
}

func profileCommand(e *env) *cli.Command {
	o := &profileCheckOptions{}
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
				&cli.StringFlag{Name: "profile", Required: true, Destination: &o.Profile, Usage: "the profile `FILE`"},
				&cli.IntFlag{Name: "rows", Value: 20, Destination: &o.Rows, Usage: "how many rows to render"},
				&cli.StringFlag{Name: "sheet", Destination: &o.Sheet, Usage: "XLSX sheet `NAME` (default the first)"},
			},
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 0, 1, "at most one INPUT"); err != nil {
					return err
				}
				n, err := ingest.CheckProfile(e.stdout, o.Profile, c.Args().First(), o.Sheet, o.Rows)
				if err != nil {
					return err
				}
				if n > 0 {
					return fmt.Errorf("profile check: %d %s from the official schema", n, report.Plural(n, "deviation", "deviations"))
				}
				return nil
			},
		}},
	}
}
