package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/urfave/cli/v2"
)

// whenLayouts are the forms a release time may take; those without a zone
// are Indian Standard Time, the issuers' clock.
var whenLayouts = []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// parseWhen reads a release time: RFC 3339 with a zone, or a date and time
// in IST.
func parseWhen(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for i, layout := range whenLayouts {
		loc := xmlschema.IST
		if i == 0 {
			loc = time.UTC // the value's own zone wins
		}
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want e.g. 2027-05-13T12:00 (IST) or 2027-05-13T12:00:00+05:30", s)
}

// istTime formats t for people: in IST, with the zone named.
func istTime(t time.Time) string { return t.In(xmlschema.IST).Format("2006-01-02 15:04 MST") }

func releaseCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "release",
		Usage: "make documents held by `ingest --release-at` public now, or move their release time",
		Description: "Documents ingested with --release-at are signed and stored but held back: Pull URI answers\n" +
			"their holders Status 9 (pending), /verify does not show them and their pushes wait. They\n" +
			"become public on their own at that time; release makes the still-held ones public now (or\n" +
			"at --at), and their pushes due then. It is recorded in the audit log.\n\n" +
			"Example:\n" +
			"   issuerkit release --doctype SSCER\n" +
			"   issuerkit release --doctype SSCER --at 2027-05-14T10:00   # results postponed a day",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "doctype", Usage: "only documents of this `DOCTYPE` (default: every held document)"},
			&cli.StringFlag{Name: "at", Usage: "the new release `TIME` instead of now: RFC 3339, or YYYY-MM-DDTHH:MM in IST"},
			&cli.BoolFlag{Name: "json", Usage: "print the outcome as one JSON object"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			var at time.Time
			if v := c.String("at"); v != "" {
				t, err := parseWhen(v)
				if err != nil {
					return usageErr("--at: %v", err)
				}
				at = t
			}
			r, err := openRepo(c, false)
			if err != nil {
				return err
			}
			defer r.Close()
			n, err := r.cat.Release(c.Context, c.String("doctype"), at)
			if err != nil {
				return err
			}
			public := !at.After(time.Now())
			if c.Bool("json") {
				out := map[string]any{"released": n, "doctype": c.String("doctype"), "public_now": public}
				if !public {
					out["release_at"] = at.UTC()
				}
				b, _ := json.Marshal(out)
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			what := plural(n, "held document", "held documents")
			if dt := c.String("doctype"); dt != "" {
				what += " of " + dt
			}
			switch {
			case n == 0:
				fmt.Fprintln(e.stdout, "no document is held: nothing to release")
			case public:
				fmt.Fprintf(e.stdout, "released %d %s: public now; `issuerkit push` sends their pushes\n", n, what)
			default:
				fmt.Fprintf(e.stdout, "%d %s now become public at %s, and their pushes wait until then\n", n, what, istTime(at))
			}
			return nil
		},
	}
}
