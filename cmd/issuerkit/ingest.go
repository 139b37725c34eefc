package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/urfave/cli/v2"
)

// ingestMemoryLimit is the Go heap's soft bound during ingest; the process's
// RSS is this plus the binary, SQLite's caches and stacks.
const ingestMemoryLimit = 160 << 20

func ingestCommand(e *env) *cli.Command {
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
			&cli.StringFlag{Name: "profile", Required: true, Usage: "profile `FILE` (YAML) mapping the input's columns to a DocType"},
			&cli.StringFlag{Name: "sheet", Usage: "XLSX sheet `NAME` (default: the first sheet)"},
			&cli.IntFlag{Name: "workers", Usage: "rows validated, rendered and signed in parallel (default: number of CPUs)"},
			&cli.StringFlag{Name: "shard", Usage: "handle only shard `I/N` of the rows (by DocID hash; 0-based), for N processes sharing a PostgreSQL catalog"},
			&cli.BoolFlag{Name: "dry-run", Usage: "validate, render and sign everything but write nothing"},
			&cli.StringFlag{Name: "release-at", Usage: "hold the new documents back until `TIME` (results day): RFC 3339, or YYYY-MM-DDTHH:MM in IST; see `issuerkit release`"},
			&cli.StringFlag{Name: "rejects", Usage: "rejects report `FILE` (default rejects-<batch>.csv beside the input)"},
			&cli.StringFlag{Name: "delimiter", Value: "auto", Usage: "CSV delimiter: auto, \",\", \";\" or tab"},
			&cli.StringFlag{Name: "encoding", Value: "utf-8", Usage: "CSV encoding: utf-8, windows-1252 or latin1"},
			&cli.BoolFlag{Name: "json", Usage: "print the summary as one JSON object"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress on stderr"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, -1, "one or more INPUT files"); err != nil {
				return err
			}
			if c.Int("workers") < 0 {
				return usageErr("--workers must be positive")
			}
			delim, err := ingest.ParseDelimiter(c.String("delimiter"))
			if err != nil {
				return usageErr("--%v", err)
			}
			switch strings.ToLower(c.String("encoding")) {
			case "utf-8", "utf8", "windows-1252", "cp1252", "latin1", "iso-8859-1":
			default:
				return usageErr("--encoding %q: want utf-8, windows-1252 or latin1", c.String("encoding"))
			}
			// Ingest allocates many short-lived trees: collect less often,
			// but never let the heap grow past a fixed bound (GOGC and
			// GOMEMLIMIT, when set, say otherwise).
			if os.Getenv("GOGC") == "" {
				debug.SetGCPercent(400)
			}
			if os.Getenv("GOMEMLIMIT") == "" {
				debug.SetMemoryLimit(ingestMemoryLimit)
			}
			prof, err := ingest.LoadProfile(c.String("profile"))
			if err != nil {
				return err
			}
			r, err := openRepo(c, true)
			if err != nil {
				return err
			}
			defer r.Close()
			h, cat, store := r.h, r.cat, r.store
			sgn, err := h.Signer()
			if err != nil {
				return err
			}
			kr, err := h.Keyring()
			if err != nil {
				return err
			}
			var release time.Time
			if v := c.String("release-at"); v != "" {
				if release, err = parseWhen(v); err != nil {
					return usageErr("--release-at: %v", err)
				}
			}
			var shard ingest.Shard
			if v := c.String("shard"); v != "" {
				if _, err := fmt.Sscanf(v, "%d/%d", &shard.Index, &shard.Count); err != nil || shard.Count < 1 || shard.Index < 0 || shard.Index >= shard.Count {
					return usageErr("--shard %q: want I/N with 0 <= I < N, e.g. 0/2", v)
				}
			}
			iss, err := issuerOf(h)
			if err != nil {
				return err
			}
			ui := newIngestUI(e.stderr, c.Bool("quiet"))
			sum, err := ingest.Run(c.Context, ingest.Deps{Store: store, Catalog: cat, Signer: sgn, Keyring: kr}, ingest.Options{
				Progress:    ui.update,
				Profile:     prof,
				Issuer:      iss,
				Inputs:      c.Args().Slice(),
				Workers:     c.Int("workers"),
				DryRun:      c.Bool("dry-run"),
				RejectsPath: c.String("rejects"),
				CSV:         ingest.CSVOptions{Delimiter: delim, Encoding: c.String("encoding")},
				Sheet:       c.String("sheet"),
				Shard:       shard,
				ReleaseAt:   release,
				Logger:      e.log.With("component", "ingest"),
			})
			ui.finish()
			if err != nil && sum.Read == 0 && !sum.Interrupted {
				return err // nothing was read: a summary of zeros would only hide the error
			}
			if !c.Bool("dry-run") && (sum.Issued > 0 || sum.Updated > 0 || sum.Unchanged > 0) {
				if rerr := recordProfile(h, prof, c.String("profile")); rerr != nil {
					e.log.Warn("the profile was not recorded for serve", "err", rerr.Error())
				}
			}
			if c.Bool("json") {
				b, _ := json.Marshal(sum)
				fmt.Fprintln(e.stdout, string(b))
			} else {
				printIngestSummary(e, sum)
			}
			if err != nil {
				return err
			}
			if sum.Rejected > 0 {
				return &exitErr{code: exitRejected}
			}
			return nil
		},
	}
}

func printIngestSummary(e *env, s ingest.Summary) {
	verb := "ingest"
	if s.DryRun {
		verb = "ingest (dry run, nothing written)"
	}
	fmt.Fprintf(e.stdout, "%s: read %d, issued %d, updated %d, unchanged %d, rejected %d in %s (%.0f docs/s), batch %s\n",
		verb, s.Read, s.Issued, s.Updated, s.Unchanged, s.Rejected,
		(time.Duration(s.Seconds*1e3) * time.Millisecond).String(), s.DocsPerSec, s.BatchID)
	if s.Resumed {
		fmt.Fprintf(e.stdout, "resumed the batch after row %d of an earlier, unfinished run; the counts include that run\n", s.ResumedAfter)
	}
	if !s.ReleaseAt.IsZero() && !s.DryRun {
		fmt.Fprintf(e.stdout, "new documents are held until %s: lockers pulling them get Status 9 (pending) and their pushes wait; `issuerkit release` releases them sooner\n", istTime(s.ReleaseAt))
	}
	printSummaryTable(e.stdout, s)
	for _, r := range s.FirstRejects {
		fmt.Fprintf(e.stdout, "  %s row %d: %s\n", filepath.Base(r.Input), r.Row, r.Error)
	}
	if more := s.Rejected - len(s.FirstRejects); more > 0 {
		fmt.Fprintf(e.stdout, "  … and %d more %s\n", more, plural(more, "row", "rows"))
	}
	if len(s.Rejects) > 0 {
		fmt.Fprintf(e.stdout, "rejected rows are in %s: correct them there and ingest that file again\n", strings.Join(s.Rejects, ", "))
	}
}
