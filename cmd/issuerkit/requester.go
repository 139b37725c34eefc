package main

import (
	"errors"
	"fmt"
	"github.com/issuerkit/issuerkit/internal/issuer"
	"slices"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/apisetu"
	"github.com/urfave/cli/v2"
)

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

// requesterAddOptions are requester add's flags.
type requesterAddOptions struct {
	ID, KeyFile, DocTypes string
	NoConsent             bool
	RatePerMin            int
}

func requesterAddCommand(e *env) *cli.Command {
	o := &requesterAddOptions{}
	return &cli.Command{
		Name:  "add",
		Usage: "register a client; its API key is read from --api-key-file, or made and written there once (0600)",
		Description: "Example:\n" +
			"   issuerkit requester add --id bank.example --api-key-file bank.key\n" +
			"   issuerkit requester add --id nad --api-key-file nad.key --doctypes SSCER,HSCER --no-consent --rate-per-min 600",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "id", Required: true, Destination: &o.ID, Usage: "the client `ID` (X-APISETU-CLIENTID; dataConsumer.id of its consents)"},
			&cli.StringFlag{Name: "api-key-file", Required: true, Destination: &o.KeyFile, Usage: "`FILE` with the client's API key; when missing, a new key is written there 0600"},
			&cli.StringFlag{Name: "doctypes", Destination: &o.DocTypes, Usage: "comma-separated `DOCTYPES` the client may read (default: every DocType of the home)"},
			&cli.BoolFlag{Name: "no-consent", Destination: &o.NoConsent, Usage: "the client needs no consent artifact (a government registry with its own mandate)"},
			&cli.IntFlag{Name: "rate-per-min", Destination: &o.RatePerMin, Usage: "requests per minute it may make (0: serve's --apisetu-rate-per-min)"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			return o.run(c, e)
		},
	}
}

func (o *requesterAddOptions) run(c *cli.Context, e *env) error {
	var doctypes []string
	if o.DocTypes != "" {
		doctypes = strings.Split(o.DocTypes, ",")
		if err := knownDocTypes(c, doctypes); err != nil {
			return err
		}
	}
	return withClients(c, func(cl apisetu.Clients) error {
		rq, wrote, err := apisetu.AddRequester(c.Context, cl, apisetu.AddOptions{ID: o.ID, KeyFile: o.KeyFile,
			DocTypes: doctypes, NoConsent: o.NoConsent, RatePerMin: o.RatePerMin}, time.Now())
		if err != nil {
			return err
		}
		how := "with the key in " + o.KeyFile
		if wrote {
			how = "with a new key written to " + o.KeyFile + " (0600; give it to the client, it is not shown again)"
		}
		fmt.Fprintf(e.stdout, "requester %s added %s\n", rq.ID, how)
		return nil
	})
}

// knownDocTypes refuses a DocType the home does not issue, once it issues
// any (a typo cannot be fixed later: a requester's id is never reused).
func knownDocTypes(c *cli.Context, doctypes []string) error {
	h, err := openHome(c)
	if err != nil {
		return err
	}
	known, err := issuer.RecordedDocTypes(h)
	if err != nil || len(known) == 0 {
		return err
	}
	for _, d := range doctypes {
		if d = strings.ToUpper(strings.TrimSpace(d)); d != "" && !slices.Contains(known, d) {
			return usageErr("--doctypes: the home issues no %s (it issues %s)", d, strings.Join(known, ", "))
		}
	}
	return nil
}

// withClients runs fn on the home's requesters and consent managers.
func withClients(c *cli.Context, fn func(apisetu.Clients) error) error {
	r, err := openRepo(c, false)
	if err != nil {
		return err
	}
	defer r.Close()
	cl, err := r.Clients()
	if err != nil {
		return err
	}
	return fn(cl)
}

// jsonOptions are the flags of a listing with nothing but --json.
type jsonOptions struct{ JSON bool }

func (o *jsonOptions) flag() cli.Flag {
	return &cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "print one JSON array"}
}

func requesterListCommand(e *env) *cli.Command {
	o := &jsonOptions{}
	return &cli.Command{
		Name:        "list",
		Usage:       "list the clients: DocTypes, consent, rate, added and revoked",
		Description: "Example:\n   issuerkit requester list\n   issuerkit requester list --json | jq -r '.[].id'",
		Flags:       []cli.Flag{o.flag()},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			return withClients(c, func(cl apisetu.Clients) error {
				list, err := cl.ListRequesters(c.Context)
				if err != nil {
					return err
				}
				return report.Requesters(e.stdout, list, o.JSON)
			})
		},
	}
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
			id := c.Args().First()
			return withClients(c, func(cl apisetu.Clients) error {
				if err := cl.RevokeRequester(c.Context, id, time.Now().UTC()); err != nil {
					if errors.Is(err, repository.ErrNotFound) {
						return fmt.Errorf("requester %s: %w", id, err)
					}
					return err
				}
				fmt.Fprintf(e.stdout, "requester %s revoked\n", id)
				return nil
			})
		},
	}
}
