package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/keyfile"
	"github.com/issuerkit/issuerkit/locker"
	"github.com/urfave/cli/v2"
)

// The reference locker's sandbox commands: the SMS outbox, requesters, the
// consent-manager certificate, and the issuer-directory flags of
// `locker issuer add` and the citizen flags of `locker serve`.

func lockerSandboxCommands(e *env) []*cli.Command {
	return []*cli.Command{lockerOTPCommand(e), lockerRequesterCommand(e), lockerCMCertCommand(e)}
}

// issuerDirectoryOptions are `locker issuer add`'s directory and API Setu
// flags.
type issuerDirectoryOptions struct {
	Name, APISetuURL, APISetuClientID, APISetuKeyFile string
	DocTypes                                          docTypeList
}

func (o *issuerDirectoryOptions) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "name", Destination: &o.Name, Usage: "the issuer's display `NAME` in the issuers directory"},
		&cli.GenericFlag{Name: "doctype", Value: &o.DocTypes, Usage: "a DocType citizens pull by search, `'CODE=Name:Param1,Param2'` such as 'SSCER=Class X Marksheet:RollNo,Year' (repeatable)"},
		&cli.StringFlag{Name: "apisetu-url", Destination: &o.APISetuURL, Usage: "base `URL` of the issuer's API Setu certificate API (requesters' reads of pulled documents go through it)"},
		&cli.StringFlag{Name: "apisetu-client-id", Destination: &o.APISetuClientID, Usage: "the client `ID` the locker has at the issuer's certificate API"},
		&cli.StringFlag{Name: "apisetu-key-file", Destination: &o.APISetuKeyFile, Usage: "`FILE` with that client's API key"},
	}
}

// docTypeList collects repeated --doctype values whole: their parameter
// lists hold commas, which a string-slice flag would split on.
type docTypeList []string

func (l *docTypeList) Set(v string) error { *l = append(*l, v); return nil }
func (l *docTypeList) String() string     { return strings.Join(*l, " ") }

// set records the issuer id's directory entry in st after it is added.
func (o *issuerDirectoryOptions) set(ctx context.Context, st *locker.Store, id string) error {
	var dts []locker.DocType
	for _, v := range o.DocTypes {
		dt, err := locker.ParseDocType(v)
		if err != nil {
			return usageErr("%v", err)
		}
		dts = append(dts, dt)
	}
	setu := locker.APISetu{URL: strings.TrimSuffix(o.APISetuURL, "/"), ClientID: o.APISetuClientID}
	if setu.URL != "" {
		if setu.ClientID == "" || o.APISetuKeyFile == "" {
			return usageErr("--apisetu-url needs --apisetu-client-id and --apisetu-key-file")
		}
		b, err := os.ReadFile(o.APISetuKeyFile)
		if err != nil {
			return fmt.Errorf("--apisetu-key-file: %w", err)
		}
		setu.APIKey = strings.TrimSpace(string(b))
	}
	return st.SetIssuerDirectory(ctx, id, o.Name, dts, setu)
}

// lockerSandboxOptions are `locker serve`'s citizen and requester flags.
type lockerSandboxOptions struct {
	IdleTimeout, AccessTTL time.Duration
	PublicURL              string
}

func (o *lockerSandboxOptions) flags() []cli.Flag {
	return []cli.Flag{
		&cli.DurationFlag{Name: "idle-timeout", Value: locker.DefaultIdle, Destination: &o.IdleTimeout, Usage: "a citizen's session ends after this long without a request"},
		&cli.DurationFlag{Name: "access-ttl", Value: locker.DefaultAccess, Destination: &o.AccessTTL, Usage: "how long a granted consent lets the requester read"},
		&cli.StringFlag{Name: "public-url", Destination: &o.PublicURL, Usage: "the locker's base `URL` as citizens reach it (for authorization_url); default: the request's host"},
	}
}

// lockerOTPOptions are locker otp's flags.
type lockerOTPOptions struct {
	Data, Mobile string
	JSON         bool
}

func lockerOTPCommand(e *env) *cli.Command {
	o := &lockerOTPOptions{}
	return &cli.Command{
		Name:  "otp",
		Usage: "print the latest unexpired OTP the sandbox \"sent\" to a mobile (its SMS outbox)",
		Description: "Example:\n" +
			"   curl -s -X POST -H 'Content-Type: application/json' -d '{\"mobile\":\"9876543210\"}' http://127.0.0.1:9090/api/auth/otp\n" +
			"   issuerkit locker otp --data ./locker --mobile 9876543210",
		Flags: []cli.Flag{dataFlag(&o.Data), &cli.StringFlag{Name: "mobile", Required: true, Destination: &o.Mobile, Usage: "the 10-digit `MOBILE`"},
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: `print {"mobile", "otp"}`}},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			st, err := locker.Open(c.Context, o.Data)
			if err != nil {
				return err
			}
			defer st.Close()
			code, err := st.LatestOTP(c.Context, o.Mobile, time.Now())
			if errors.Is(err, locker.ErrNotFound) {
				return fmt.Errorf("locker otp: no unexpired OTP for %s (POST /api/auth/otp sends one)", o.Mobile)
			}
			if err != nil {
				return err
			}
			if o.JSON {
				return json.NewEncoder(e.stdout).Encode(map[string]string{"mobile": o.Mobile, "otp": code})
			}
			fmt.Fprintln(e.stdout, code)
			return nil
		},
	}
}

// lockerRequesterAddOptions are locker requester add's flags.
type lockerRequesterAddOptions struct {
	Data, ID, Name, APIKeyFile, RedirectURL string
}

func lockerRequesterCommand(e *env) *cli.Command {
	o := &lockerRequesterAddOptions{}
	return &cli.Command{
		Name:  "requester",
		Usage: "manage the requesters (banks, employers) that open consent sessions",
		Subcommands: []*cli.Command{{
			Name:  "add",
			Usage: "register a requester (or replace its registration)",
			Description: "The key file is read if it exists, else a new key is written there (0600); the locker keeps\n" +
				"only its hash. The requester sends it as x-api-key and its id as Authorization.\n\n" +
				"Example:\n" +
				"   issuerkit locker requester add --data ./locker --id bank.example --name 'Example Bank' \\\n" +
				"       --api-key-file bank.key --redirect-url https://bank.example/digilocker/done",
			Flags: []cli.Flag{dataFlag(&o.Data),
				&cli.StringFlag{Name: "id", Required: true, Destination: &o.ID, Usage: "the requester `ID` (its Authorization header)"},
				&cli.StringFlag{Name: "name", Required: true, Destination: &o.Name, Usage: "the `NAME` citizens see on the consent screen"},
				&cli.StringFlag{Name: "api-key-file", Required: true, Destination: &o.APIKeyFile, Usage: "`FILE` with its API key (created when missing)"},
				&cli.StringFlag{Name: "redirect-url", Required: true, Destination: &o.RedirectURL, Usage: "`URL` citizens return to; a session's redirect_url must start with it"},
			},
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 0, 0, "no arguments"); err != nil {
					return err
				}
				key, created, err := keyfile.ReadOrCreate(o.APIKeyFile, 0)
				if err != nil {
					return fmt.Errorf("--api-key-file: %w", err)
				}
				st, err := locker.Open(c.Context, o.Data)
				if err != nil {
					return err
				}
				defer st.Close()
				if err := st.AddRequester(c.Context, o.ID, o.Name, key, o.RedirectURL); err != nil {
					return err
				}
				how := "its key read from"
				if created {
					how = "a new key written to"
				}
				fmt.Fprintf(e.stdout, "locker: requester %s registered (%s %s)\n", o.ID, how, o.APIKeyFile)
				return nil
			},
		}},
	}
}

func lockerCMCertCommand(e *env) *cli.Command {
	var data string
	return &cli.Command{
		Name:  "cm-cert",
		Usage: "print the locker's consent-manager certificate (PEM), for the issuer's `issuerkit consent trust`",
		Description: "The key is made on first use in the data directory (cm.key, 0600).\n\n" +
			"Example:\n" +
			"   issuerkit locker cm-cert --data ./locker > locker-cm.pem\n" +
			"   issuerkit --home board consent trust --id issuerkit-locker --cert locker-cm.pem",
		Flags: []cli.Flag{dataFlag(&data)},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			st, err := locker.Open(c.Context, data)
			if err != nil {
				return err
			}
			defer st.Close()
			_, pem, err := st.ConsentManager()
			if err != nil {
				return err
			}
			_, err = e.stdout.Write(pem)
			return err
		},
	}
}
