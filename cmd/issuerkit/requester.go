package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/apisetu"
	"github.com/urfave/cli/v2"
)

// clientsOf is the catalog's requesters and consent managers.
func clientsOf(r *repo) (apisetu.Clients, error) {
	c, ok := r.cat.(apisetu.Clients)
	if !ok {
		return nil, errors.New("this catalog keeps no requesters (API Setu clients)")
	}
	return c, nil
}

func requesterCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "requester",
		Usage: "manage the clients of the API Setu certificate API (banks, employers, universities)",
		Description: "A requester calls POST /apisetu/{doctype}/certificate with X-APISETU-CLIENTID and\n" +
			"X-APISETU-APIKEY. The home keeps only a hash of each key.\n\n" +
			"Example:\n" +
			"   issuerkit requester add --id bank.example --api-key-file bank.key --doctypes SSCER\n" +
			"   issuerkit requester list --json\n" +
			"   issuerkit requester revoke bank.example",
		Subcommands: []*cli.Command{requesterAddCommand(e), requesterListCommand(e), requesterRevokeCommand(e)},
	}
}

func requesterAddCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "add",
		Usage: "register a client; its API key is read from --api-key-file, or made and written there once (0600)",
		Description: "Example:\n" +
			"   issuerkit requester add --id bank.example --api-key-file bank.key\n" +
			"   issuerkit requester add --id nad --api-key-file nad.key --doctypes SSCER,HSCER --no-consent --rate-per-min 600",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "id", Required: true, Usage: "the client `ID` (X-APISETU-CLIENTID; dataConsumer.id of its consents)"},
			&cli.StringFlag{Name: "api-key-file", Required: true, Usage: "`FILE` with the client's API key; when missing, a new key is written there 0600"},
			&cli.StringFlag{Name: "doctypes", Usage: "comma-separated `DOCTYPES` the client may read (default: every DocType of the home)"},
			&cli.BoolFlag{Name: "no-consent", Usage: "the client needs no consent artifact (a government registry with its own mandate)"},
			&cli.IntFlag{Name: "rate-per-min", Usage: "requests per minute it may make (0: serve's --apisetu-rate-per-min)"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			r, err := openRepo(c, false)
			if err != nil {
				return err
			}
			defer r.Close()
			cl, err := clientsOf(r)
			if err != nil {
				return err
			}
			var doctypes []string
			if s := c.String("doctypes"); s != "" {
				doctypes = strings.Split(s, ",")
			}
			rq, wrote, err := apisetu.AddRequester(c.Context, cl, apisetu.AddOptions{ID: c.String("id"), KeyFile: c.String("api-key-file"),
				DocTypes: doctypes, NoConsent: c.Bool("no-consent"), RatePerMin: c.Int("rate-per-min")}, time.Now())
			if err != nil {
				return err
			}
			how := "with the key in " + c.String("api-key-file")
			if wrote {
				how = "with a new key written to " + c.String("api-key-file") + " (0600; give it to the client, it is not shown again)"
			}
			fmt.Fprintf(e.stdout, "requester %s added %s\n", rq.ID, how)
			return nil
		},
	}
}

func requesterListCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "list",
		Usage:       "list the clients: DocTypes, consent, rate, added and revoked",
		Description: "Example:\n   issuerkit requester list\n   issuerkit requester list --json | jq -r '.[].id'",
		Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print one JSON array"}},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			r, err := openRepo(c, false)
			if err != nil {
				return err
			}
			defer r.Close()
			cl, err := clientsOf(r)
			if err != nil {
				return err
			}
			list, err := cl.ListRequesters(c.Context)
			if err != nil {
				return err
			}
			if c.Bool("json") {
				if list == nil {
					list = []apisetu.Requester{}
				}
				b, err := json.Marshal(list)
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tDOCTYPES\tCONSENT\tRATE/MIN\tADDED\tREVOKED")
			for _, q := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", q.ID, orDash(strings.Join(q.DocTypes, ","), "all"),
					map[bool]string{true: "not needed", false: "required"}[q.NoConsent], orDash(fmt.Sprint(q.RatePerMin), "default"),
					q.AddedAt.Format(time.DateTime), timeOrDash(q.RevokedAt))
			}
			return tw.Flush()
		},
	}
}

func orDash(s, none string) string {
	if s == "" || s == "0" {
		return none
	}
	return s
}

func timeOrDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateTime)
}

func requesterRevokeCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:        "revoke",
		Usage:       "revoke a client: its key is refused from then on (by every serve within a second)",
		Description: "Example:\n   issuerkit requester revoke bank.example",
		ArgsUsage:   "ID",
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, 1, "one client ID"); err != nil {
				return err
			}
			r, err := openRepo(c, false)
			if err != nil {
				return err
			}
			defer r.Close()
			cl, err := clientsOf(r)
			if err != nil {
				return err
			}
			id := c.Args().First()
			if err := cl.RevokeRequester(c.Context, id, time.Now().UTC()); err != nil {
				if errors.Is(err, repository.ErrNotFound) {
					return fmt.Errorf("requester %s: %w", id, err)
				}
				return err
			}
			fmt.Fprintf(e.stdout, "requester %s revoked\n", id)
			return nil
		},
	}
}
