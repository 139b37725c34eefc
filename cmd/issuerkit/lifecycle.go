package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/repository"
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

func lifecycleCommand(e *env, action, usage, effect string) *cli.Command {
	return &cli.Command{
		Name:      action,
		Usage:     usage,
		ArgsUsage: "URI",
		Description: effect + "\nThe change is a new version, re-signed with the new status; every earlier version is kept.\n" +
			"The reason and who ran the command go to the audit log (`issuerkit audit --uri URI`).\n\n" +
			"Example:\n" +
			"   issuerkit " + action + " in.gov.cbse-SSCER-75000032025 --reason \"issued in error (ticket 4411)\"",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "reason", Required: true, Usage: "why (kept in the audit log)"},
			&cli.BoolFlag{Name: "json", Usage: "print the new version as JSON"},
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
			sg, err := r.h.Signer()
			if err != nil {
				return err
			}
			d, err := ingest.ChangeStatus(c.Context, ingest.Deps{Store: r.store, Catalog: r.cat, Signer: sg},
				ingest.StatusChange{URI: c.Args().First(), Action: action, Reason: c.String("reason"), Actor: operator()})
			if err != nil {
				return err
			}
			if c.Bool("json") {
				b, _ := json.Marshal(map[string]any{"uri": d.URI, "version": d.Version, "status": d.Status, "batch": d.BatchID})
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			fmt.Fprintf(e.stdout, "%s: version %d, status %s, re-signed; `issuerkit push` tells the holder's locker\n", d.URI, d.Version, d.Status)
			return nil
		},
	}
}

func auditCommand(e *env) *cli.Command {
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
			&cli.StringFlag{Name: "uri", Usage: "only entries of this `URI`"},
			&cli.StringFlag{Name: "consent", Usage: "only the certificate API's uses of this consent `ID` (granted or refused)"},
			&cli.StringFlag{Name: "since", Usage: "only entries since `T` (RFC 3339 time, or a duration such as 24h)"},
			&cli.BoolFlag{Name: "verify-chain", Usage: "check the whole chain instead of printing entries"},
			&cli.BoolFlag{Name: "json", Usage: "one JSON object per line"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			q := repository.AuditQuery{URI: c.String("uri"), ConsentID: c.String("consent")}
			if s := c.String("since"); s != "" {
				if d, err := time.ParseDuration(s); err == nil {
					q.Since = time.Now().Add(-d)
				} else if t, err := time.Parse(time.RFC3339, s); err == nil {
					q.Since = t
				} else {
					return usageErr("--since %q is neither an RFC 3339 time nor a duration", s)
				}
			}
			r, err := openRepo(c, false)
			if err != nil {
				return err
			}
			defer r.Close()
			if c.Bool("verify-chain") {
				n, head, err := r.cat.VerifyAuditChain(c.Context)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "audit chain OK: %d %s, head %s\n", n, plural(n, "entry", "entries"), head)
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			if !c.Bool("json") {
				fmt.Fprintln(tw, "ID\tAT\tACTOR\tACTION\tURI\tVERSION\tBATCH\tREASON")
			}
			err = r.cat.AuditLog(c.Context, q, func(a repository.AuditEntry) error {
				if c.Bool("json") {
					b, err := json.Marshal(a)
					if err != nil {
						return err
					}
					_, err = fmt.Fprintln(e.stdout, string(b))
					return err
				}
				_, err := fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", a.ID, a.At.Format(time.DateTime), a.Actor, a.Action, a.URI, a.Version, a.BatchID, auditReason(a))
				return err
			})
			if err != nil {
				return err
			}
			return tw.Flush()
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
