package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/urfave/cli/v2"
)

// operator names who runs a command, for the audit log.
func operator() string {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	host, _ := os.Hostname()
	return name + "@" + host
}

// lifecycleOptions are revoke's, suspend's and reinstate's flags.
type lifecycleOptions struct {
	Reason string
	JSON   bool
}

func lifecycleCommand(e *env, action, usage, effect string) *cli.Command {
	o := &lifecycleOptions{}
	return &cli.Command{
		Name:      action,
		Usage:     usage,
		ArgsUsage: "URI",
		Description: effect + "\nThe change is a new version, re-signed with the new status; every earlier version is kept.\n" +
			"The reason and who ran the command go to the audit log (`issuerkit audit --uri URI`).\n\n" +
			"Example:\n" +
			"   issuerkit " + action + " in.gov.cbse-SSCER-75000032025 --reason \"issued in error (ticket 4411)\"",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "reason", Required: true, Destination: &o.Reason, Usage: "why (kept in the audit log)"},
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "print the new version as JSON"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, 1, "one URI"); err != nil {
				return err
			}
			r, err := openRepo(c, true)
			if err != nil {
				return err
			}
			defer r.Close()
			sg, err := r.Home.Signer()
			if err != nil {
				return err
			}
			d, err := ingest.ChangeStatus(c.Context, ingest.Deps{Store: r.Store, Catalog: r.Catalog, Signer: sg},
				ingest.StatusChange{URI: c.Args().First(), Action: action, Reason: o.Reason, Actor: operator()})
			if err != nil {
				return err
			}
			if o.JSON {
				b, _ := json.Marshal(map[string]any{"uri": d.URI, "version": d.Version, "status": d.Status, "batch": d.BatchID})
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			fmt.Fprintf(e.stdout, "%s: version %d, status %s, re-signed; `issuerkit push` tells the holder's locker\n", d.URI, d.Version, d.Status)
			return nil
		},
	}
}

// auditOptions are audit's flags.
type auditOptions struct {
	URI, ConsentID, Since string
	VerifyChain, JSON     bool
}

func auditCommand(e *env) *cli.Command {
	o := &auditOptions{}
	return &cli.Command{
		Name:  "audit",
		Usage: "print the audit log: issuance, changes, pushes, API pulls and certificate API uses, hash-chained",
		Description: "Every entry names who, what, when, batch and reason (never an Aadhaar number), and carries\n" +
			"the hash of the entry before it. --verify-chain recomputes every hash and prints the head:\n" +
			"record it elsewhere, since it also pins the log's length.\n\n" +
			"Example:\n" +
			"   issuerkit audit --uri in.gov.cbse-SSCER-75000032025\n" +
			"   issuerkit audit --consent 0f6c0d52-6f77-4d0c-9a1c-3d3c1b7e9a10   # a consent's uses by requesters\n" +
			"   issuerkit audit --since 24h --json\n" +
			"   issuerkit audit --verify-chain",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "uri", Destination: &o.URI, Usage: "only entries of this `URI`"},
			&cli.StringFlag{Name: "consent", Destination: &o.ConsentID, Usage: "only the certificate API's uses of this consent `ID` (granted or refused)"},
			&cli.StringFlag{Name: "since", Destination: &o.Since, Usage: "only entries since `T` (RFC 3339 time, or a duration such as 24h)"},
			&cli.BoolFlag{Name: "verify-chain", Destination: &o.VerifyChain, Usage: "check the whole chain instead of printing entries"},
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "one JSON object per line"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			q := repository.AuditQuery{URI: o.URI, ConsentID: o.ConsentID}
			if o.Since != "" {
				var err error
				if q.Since, err = xmlschema.ParseSince(o.Since, time.Now()); err != nil {
					return usageErr("--since %v", err)
				}
			}
			r, err := openRepo(c, false)
			if err != nil {
				return err
			}
			defer r.Close()
			if o.VerifyChain {
				n, head, err := r.Catalog.VerifyAuditChain(c.Context)
				if err != nil {
					return err
				}
				if o.JSON {
					b, _ := json.Marshal(struct {
						OK      bool   `json:"ok"`
						Entries int    `json:"entries"`
						Head    string `json:"head"`
					}{true, n, head})
					fmt.Fprintln(e.stdout, string(b))
					return nil
				}
				fmt.Fprintf(e.stdout, "audit chain OK: %d %s, head %s\n", n, report.Plural(n, "entry", "entries"), head)
				return nil
			}
			out := report.NewLines(e.stdout, o.JSON, "ID\tAT\tACTOR\tACTION\tURI\tVERSION\tBATCH\tREASON")
			err = r.Catalog.AuditLog(c.Context, q, func(a repository.AuditEntry) error {
				return out.Row(a, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s", a.ID, a.At.Format(time.DateTime), a.Actor, a.Action, a.URI, a.Version, a.BatchID, auditReason(a))
			})
			if err != nil {
				return err
			}
			return out.Flush()
		},
	}
}

// auditReason is an entry's reason with, for a certificate API use, its
// consent id and purpose.
func auditReason(a repository.AuditEntry) string {
	r := a.Reason
	if a.ConsentID != "" {
		r += "; consent " + a.ConsentID
	}
	if a.Purpose != "" {
		r += "; purpose " + a.Purpose
	}
	return r
}
