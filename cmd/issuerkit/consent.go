package main

import (
	"fmt"
	"os"
	"time"

	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/repository/apisetu"
	"github.com/urfave/cli/v2"
)

func consentCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "consent",
		Usage: "consent managers whose signed consent artifacts the certificate API accepts; sign a test artifact",
		Description: "Example:\n" +
			"   issuerkit consent trust --id digilocker-cm --cert cm.crt\n" +
			"   issuerkit consent list\n" +
			"   issuerkit consent sign --key cm.key --consent consent.json > artifact.json",
		Subcommands: []*cli.Command{consentTrustCommand(e), consentListCommand(e), consentSignCommand(e)},
	}
}

// consentTrustOptions are consent trust's flags.
type consentTrustOptions struct{ ID, Cert string }

func consentTrustCommand(e *env) *cli.Command {
	o := &consentTrustOptions{}
	return &cli.Command{
		Name:        "trust",
		Usage:       "trust a consent manager's certificate (RSA or ECDSA P-256); an id already trusted gets the new one",
		Description: "Example:\n   issuerkit consent trust --id digilocker-cm --cert cm.crt",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "id", Required: true, Destination: &o.ID, Usage: "the consent manager's `ID`"},
			&cli.StringFlag{Name: "cert", Required: true, Destination: &o.Cert, Usage: "`PEM` file: its certificate (or public key)"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			return o.run(c, e)
		},
	}
}

func (o *consentTrustOptions) run(c *cli.Context, e *env) error {
	pemBytes, err := os.ReadFile(o.Cert)
	if err != nil {
		return err
	}
	return withClients(c, func(cl apisetu.Clients) error {
		if err := apisetu.Trust(c.Context, cl, o.ID, pemBytes, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "consent manager %s trusted\n", o.ID)
		return nil
	})
}

func consentListCommand(e *env) *cli.Command {
	o := &jsonOptions{}
	return &cli.Command{
		Name:        "list",
		Usage:       "list the trusted consent managers",
		Description: "Example:\n   issuerkit consent list --json",
		Flags:       []cli.Flag{o.flag()},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			return withClients(c, func(cl apisetu.Clients) error {
				list, err := cl.ConsentManagers(c.Context)
				if err != nil {
					return err
				}
				return report.ConsentManagers(e.stdout, list, o.JSON)
			})
		},
	}
}

// consentSignOptions are consent sign's flags.
type consentSignOptions struct{ Key, Consent string }

func consentSignCommand(e *env) *cli.Command {
	o := &consentSignOptions{}
	return &cli.Command{
		Name:  "sign",
		Usage: "sign a consent as a consent manager would, for tests and the demo; prints the consentArtifact JSON",
		Description: "The consent is JSON with the ConsentArtifactSchema's members; consentId, timestamp and\n" +
			"permission.dateRange left empty are filled (a new UUID, now, now to a day later). Needs no home.\n\n" +
			"Example:\n" +
			"   issuerkit consent sign --key cm.key --consent consent.json > artifact.json",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "key", Required: true, Destination: &o.Key, Usage: "`PEM` file: the consent manager's private key (RSA or ECDSA P-256)"},
			&cli.StringFlag{Name: "consent", Required: true, Destination: &o.Consent, Usage: "`FILE` with the consent JSON"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			key, err := os.ReadFile(o.Key)
			if err != nil {
				return err
			}
			doc, err := os.ReadFile(o.Consent)
			if err != nil {
				return err
			}
			out, err := apisetu.SignConsent(key, doc, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintln(e.stdout, string(out))
			return nil
		},
	}
}
