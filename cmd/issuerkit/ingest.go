package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/issuer"
	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/urfave/cli/v2"
)

// ingestOptions are ingest's flags.
type ingestOptions struct {
	Profile, Sheet, Shard, ReleaseAt, Rejects, Delimiter, Encoding string
	Workers                                                        int
	DryRun, JSON, Quiet                                            bool
}

func ingestCommand(e *env) *cli.Command {
	o := &ingestOptions{}
	return &cli.Command{
		Name:      "ingest",
		Usage:     "validate, render, sign and store documents from CSV or XLSX files",
		ArgsUsage: "INPUT...",
		Description: "Reads each INPUT row by row, validates it against the profile, renders and signs the\n" +
			"Certificate XML, stores it and records it in the catalog. Rows that fail validation go to a\n" +
			"rejects report (CSV, 0600) that can be corrected and fed back as it is. Data identical to\n" +
			"what is already issued is left unchanged; changed data becomes a new version.\n\n" +
			"Exit codes: 0 all rows fine, 3 some rows rejected (the rest committed), 130 interrupted\n" +
			"(rows read so far are committed: run the same command again to continue).\n\n" +
			"Example:\n" +
			"   issuerkit ingest --profile samples/profiles/cbse-sscer.yaml samples/cbse-sscer-2025.csv\n" +
			"   issuerkit ingest --profile samples/profiles/cbse-sscer.yaml --release-at 2027-05-13T12:00 results.csv",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "profile", Required: true, Destination: &o.Profile, Usage: "profile `FILE` (YAML) mapping the input's columns to a DocType"},
			&cli.StringFlag{Name: "sheet", Destination: &o.Sheet, Usage: "XLSX sheet `NAME` (default: the first sheet)"},
			&cli.IntFlag{Name: "workers", Destination: &o.Workers, Usage: "rows validated, rendered and signed in parallel (default: three times the number of CPUs)"},
			&cli.StringFlag{Name: "shard", Destination: &o.Shard, Usage: "handle only shard `I/N` of the rows (by DocID hash; 0-based), for N processes sharing a PostgreSQL catalog"},
			&cli.BoolFlag{Name: "dry-run", Destination: &o.DryRun, Usage: "validate, render and sign everything but write nothing"},
			&cli.StringFlag{Name: "release-at", Destination: &o.ReleaseAt, Usage: "hold the new documents back until `TIME` (results day): RFC 3339, or YYYY-MM-DDTHH:MM in IST; see `issuerkit release`"},
			&cli.StringFlag{Name: "rejects", Destination: &o.Rejects, Usage: "rejects report `FILE` (default rejects-<batch>.csv beside the input)"},
			&cli.StringFlag{Name: "delimiter", Value: "auto", Destination: &o.Delimiter, Usage: "CSV delimiter: auto, \",\", \";\" or tab"},
			&cli.StringFlag{Name: "encoding", Value: "utf-8", Destination: &o.Encoding, Usage: "CSV encoding: utf-8, windows-1252 or latin1"},
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "print the summary as one JSON object"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Destination: &o.Quiet, Usage: "no progress on stderr"},
		},
		Action: func(c *cli.Context) error { return o.run(c, e) },
	}
}

// options checks the flags that need no home and makes ingest's options
// of them (all but the profile, issuer and progress).
func (o *ingestOptions) options(c *cli.Context) (ingest.Options, error) {
	if err := needArgs(c, 1, -1, "one or more INPUT files"); err != nil {
		return ingest.Options{}, err
	}
	if o.Workers < 0 {
		return ingest.Options{}, usageErr("--workers must be positive")
	}
	delim, err := ingest.ParseDelimiter(o.Delimiter)
	if err != nil {
		return ingest.Options{}, usageErr("--%v", err)
	}
	switch strings.ToLower(o.Encoding) {
	case "utf-8", "utf8", "windows-1252", "cp1252", "latin1", "iso-8859-1":
	default:
		return ingest.Options{}, usageErr("--encoding %q: want utf-8, windows-1252 or latin1", o.Encoding)
	}
	opts := ingest.Options{Inputs: c.Args().Slice(), Workers: o.Workers, DryRun: o.DryRun, RejectsPath: o.Rejects,
		CSV: ingest.CSVOptions{Delimiter: delim, Encoding: o.Encoding}, Sheet: o.Sheet}
	return opts, nil
}

// releaseAndShard parses --release-at and --shard.
func (o *ingestOptions) releaseAndShard(opts *ingest.Options) error {
	var err error
	if o.ReleaseAt != "" {
		if opts.ReleaseAt, err = xmlschema.ParseWhen(o.ReleaseAt); err != nil {
			return usageErr("--release-at: %v", err)
		}
	}
	if v := o.Shard; v != "" {
		sh := &opts.Shard
		if _, err := fmt.Sscanf(v, "%d/%d", &sh.Index, &sh.Count); err != nil || sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
			return usageErr("--shard %q: want I/N with 0 <= I < N, e.g. 0/2", v)
		}
	}
	return nil
}

func (o *ingestOptions) run(c *cli.Context, e *env) error {
	opts, err := o.options(c)
	if err != nil {
		return err
	}
	ingest.TuneGC()
	if opts.Profile, err = ingest.LoadProfile(o.Profile); err != nil {
		return err
	}
	r, err := openRepo(c, true)
	if err != nil {
		return err
	}
	defer r.Close()
	h := r.Home
	deps, err := r.IngestDeps()
	if err != nil {
		return err
	}
	if err := o.releaseAndShard(&opts); err != nil {
		return err
	}
	if opts.Issuer, err = issuer.Of(h); err != nil {
		return err
	}
	ui := report.NewIngestUI(e.stderr, o.Quiet)
	opts.Progress, opts.Logger = ui.Update, e.log.With("component", "ingest")
	sum, err := ingest.Run(c.Context, deps, opts)
	ui.Finish()
	if err != nil && sum.Read == 0 && !sum.Interrupted {
		return err // nothing was read: a summary of zeros would only hide the error
	}
	if !o.DryRun && (sum.Issued > 0 || sum.Updated > 0 || sum.Unchanged > 0) {
		if rerr := issuer.RecordProfile(h, opts.Profile, o.Profile); rerr != nil {
			e.log.Warn("the profile was not recorded for serve", "err", rerr.Error())
		}
	}
	if o.JSON {
		b, _ := json.Marshal(sum)
		fmt.Fprintln(e.stdout, string(b))
	} else {
		report.IngestSummary(e.stdout, sum)
	}
	if err != nil {
		return err
	}
	return sum.Err()
}
