package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/urfave/cli/v2"
)

// releaseOptions are release's flags.
type releaseOptions struct {
	DocType, At string
	JSON        bool
}

func releaseCommand(e *env) *cli.Command {
	o := &releaseOptions{}
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
			&cli.StringFlag{Name: "doctype", Destination: &o.DocType, Usage: "only documents of this `DOCTYPE` (default: every held document)"},
			&cli.StringFlag{Name: "at", Destination: &o.At, Usage: "the new release `TIME` instead of now: RFC 3339, or YYYY-MM-DDTHH:MM in IST"},
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "print the outcome as one JSON object"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			var at time.Time
			if v := o.At; v != "" {
				t, err := xmlschema.ParseWhen(v)
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
			n, err := r.Catalog.Release(c.Context, o.DocType, at)
			if err != nil {
				return err
			}
			public := !at.After(time.Now())
			if o.JSON {
				out := map[string]any{"released": n, "doctype": o.DocType, "public_now": public}
				if !public {
					out["release_at"] = at.UTC()
				}
				b, _ := json.Marshal(out)
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			what := report.Plural(n, "held document", "held documents")
			if dt := o.DocType; dt != "" {
				what += " of " + dt
			}
			switch {
			case n == 0:
				fmt.Fprintln(e.stdout, "no document is held: nothing to release")
			case public:
				fmt.Fprintf(e.stdout, "released %d %s: public now; `issuerkit push` sends their pushes\n", n, what)
			default:
				fmt.Fprintf(e.stdout, "%d %s now become public at %s, and their pushes wait until then\n", n, what, report.ISTTime(at))
			}
			return nil
		},
	}
}
