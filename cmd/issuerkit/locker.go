package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/urfave/cli/v2"
)

// dataFlag is the locker commands' --data; ISSUERKIT_LOCKER_DATA, its
// alias from before the ISSUERKIT_<COMMAND>_<FLAG> rule, still works.
func dataFlag(dest *string) cli.Flag {
	return &cli.StringFlag{Name: "data", Value: "./locker-data", Destination: dest, EnvVars: []string{"ISSUERKIT_LOCKER_DATA"}, Usage: "the locker's data `DIR` (locker.db, locker.key)"}
}

func lockerCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "locker",
		Usage: "run the reference locker: receives pushes, lists citizens' documents, fetches them from issuers",
		Description: "A small real locker to push to and pull through, with its own SQLite store. Citizens are\n" +
			"named by a keyed hash of their Aadhaar number (see `locker citizen`); the number is never stored.\n\n" +
			"Example:\n" +
			"   issuerkit locker issuer add --data ./locker --id in.gov.cbse --api-key-file board/keys/api-key \\\n" +
			"       --pull-url http://127.0.0.1:8080 --cert board/keys/signing.crt\n" +
			"   issuerkit locker serve --data ./locker --addr 127.0.0.1:9090\n" +
			"   issuerkit locker list --data ./locker",
		Subcommands: append([]*cli.Command{lockerServeCommand(e), lockerIssuerCommand(e), lockerListCommand(e), lockerCitizenCommand(e)},
			lockerSandboxCommands(e)...),
	}
}

// lockerServeOptions are locker serve's flags.
type lockerServeOptions struct {
	tlsOptions
	lockerSandboxOptions
	Data, Addr, PushPath, BulkPath, CAFile, ReplyForm string
	FailRate                                          float64
	Latency, DownFor, PushWindow                      time.Duration
}

func lockerServeCommand(e *env) *cli.Command {
	o := &lockerServeOptions{}
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the locker API",
		Description: "Routes: POST " + "/public/issuer/api/issuedoc/1/xml (Push URI), POST /public/issuer/api/issuedoc/1/csv\n" +
			"(bulk), GET /citizens/{hash}/issued (JSON, or HTML for browsers), GET /citizens/{hash}/issued/{URI}\n" +
			"(the document, pulled from its issuer and signature-verified), GET /healthz. The citizen pages open\n" +
			"only with a signed link (`locker citizen --link`). A push's signed ts must be within --push-window;\n" +
			"a repeated txn (or, for bulk, a repeated row) is \"already applied\".\n" +
			"The sandbox: citizens sign in (POST /api/auth/otp, /api/auth/verify; `locker otp` reads the OTP),\n" +
			"link Aadhaar, pull by search (/api/me/pull), read Issued and Activity (/api/me/...), decide consent;\n" +
			"requesters open sessions (/kyc/digilocker/sessions/init); pages at /signin, /issuers, /issued,\n" +
			"/activity, /consent/{id}. docs/http.md lists every route.\n" +
			"Fault switches make it misbehave for tests: --fail-rate, --latency, --down-for. --push-path and\n" +
			"--bulk-path serve pushes on other paths, --reply-form json answers them as the authorized-partner\n" +
			"API does (HTTP 400 {error, error_description} for a refusal); --tls-cert/--tls-key serve HTTPS.\n\n" +
			"Example:\n" +
			"   issuerkit locker serve --data ./locker --addr 127.0.0.1:9090\n" +
			"   issuerkit locker serve --data ./locker --fail-rate 0.3 --latency 50ms --down-for 10s",
		Flags: append([]cli.Flag{
			dataFlag(&o.Data),
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:9090", Destination: &o.Addr, Usage: "listen `ADDRESS`"},
			&cli.Float64Flag{Name: "fail-rate", Destination: &o.FailRate, Usage: "fraction of pushes answered with HTTP 500 (half of them after applying)"},
			&cli.DurationFlag{Name: "latency", Destination: &o.Latency, Usage: "delay every push by this much"},
			&cli.DurationFlag{Name: "down-for", Destination: &o.DownFor, Usage: "answer pushes with 503 + Retry-After for this long after start"},
			o.tlsOptions.flags()[0], o.tlsOptions.flags()[1],
			&cli.StringFlag{Name: "push-path", Value: xmlschema.PushPath, Destination: &o.PushPath, Usage: "the `PATH` Push URI is taken on"},
			&cli.StringFlag{Name: "bulk-path", Value: xmlschema.PushBulkPath, Destination: &o.BulkPath, Usage: "the `PATH` bulk pushes are taken on"},
			caFlag(&o.CAFile, "trust anchors (`PEM` bundle) for issuers' HTTPS repository APIs with a private CA, instead of the system's"),
			&cli.StringFlag{Name: "reply-form", Value: "xml", Destination: &o.ReplyForm, Usage: "answer pushes with a PushUriResponse (xml) or as the authorized-partner API does (json: HTTP 400 {error, error_description} for a refusal)"},
			&cli.DurationFlag{Name: "push-window", Value: locker.DefaultPushWindow, Destination: &o.PushWindow, Usage: "refuse a Push URI request whose signed ts is further than this from now (negative: no window)"},
		}, o.lockerSandboxOptions.flags()...),
		Action: func(c *cli.Context) error { return o.run(c, e) },
	}
}

// check refuses flag values locker serve cannot run with.
func (o *lockerServeOptions) check() error {
	if o.FailRate < 0 || o.FailRate > 1 {
		return usageErr("--fail-rate must be between 0 and 1")
	}
	if o.ReplyForm != "xml" && o.ReplyForm != "json" {
		return usageErr("--reply-form %q: want xml or json", o.ReplyForm)
	}
	for _, f := range []struct{ flag, path string }{{"push-path", o.PushPath}, {"bulk-path", o.BulkPath}} {
		if !strings.HasPrefix(f.path, "/") || strings.ContainsAny(f.path, " {}") {
			return usageErr("--%s %q: want an absolute path such as /public/account/1/pushuri", f.flag, f.path)
		}
	}
	return nil
}

func (o *lockerServeOptions) run(c *cli.Context, e *env) error {
	if err := needArgs(c, 0, 0, "no arguments"); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	tlsCert, err := o.load()
	if err != nil {
		return err
	}
	roots, err := caRoots(o.CAFile)
	if err != nil {
		return err
	}
	st, err := locker.Open(c.Context, o.Data)
	if err != nil {
		return err
	}
	defer st.Close()
	srv := locker.NewServer(locker.Config{Store: st, Logger: e.log.With("component", "locker"),
		Faults:   locker.Faults{FailRate: o.FailRate, Latency: o.Latency, DownFor: o.DownFor},
		PushPath: o.PushPath, PushBulkPath: o.BulkPath, JSONReplies: o.ReplyForm == "json",
		RootCAs: roots, PushWindow: o.PushWindow,
		IdleTimeout: o.IdleTimeout, AccessTTL: o.AccessTTL, PublicURL: o.PublicURL})
	defer srv.Close()
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("locker serve: %w", err)
	}
	fmt.Fprintf(e.stderr, "issuerkit: reference locker on %s://%s (data %s; Ctrl-C stops)\n", o.scheme(), l.Addr(), o.Data)
	err = serveMaybeTLS(c, e.log, httpserve.New(o.Addr, srv.Handler()), l, tlsCert)
	if err == nil && c.Context.Err() != nil {
		return nil
	}
	return err
}

// lockerIssuerAddOptions are locker issuer add's flags.
type lockerIssuerAddOptions struct {
	issuerDirectoryOptions
	Data, ID, APIKeyFile, PullURL, Cert string
}

func lockerIssuerCommand(e *env) *cli.Command {
	o := &lockerIssuerAddOptions{}
	return &cli.Command{
		Name:  "issuer",
		Usage: "manage the issuers this locker accepts pushes from and pulls documents of",
		Subcommands: []*cli.Command{{
			Name:  "add",
			Usage: "register an issuer (or replace its registration)",
			Description: "Example:\n" +
				"   issuerkit locker issuer add --data ./locker --id in.gov.cbse --api-key-file board/keys/api-key \\\n" +
				"       --pull-url http://127.0.0.1:8080 --cert board/keys/signing.crt \\\n" +
				"       --name 'Central Board of Secondary Education' --doctype 'SSCER=Class X Marksheet:RollNo,Year'",
			Flags: append([]cli.Flag{
				dataFlag(&o.Data),
				&cli.StringFlag{Name: "id", Required: true, Destination: &o.ID, Usage: "the issuer `ID` (orgId)"},
				&cli.StringFlag{Name: "api-key-file", Required: true, Destination: &o.APIKeyFile, Usage: "`FILE` with the key the issuer signs pushes with and the locker signs pulls with"},
				&cli.StringFlag{Name: "pull-url", Required: true, Destination: &o.PullURL, Usage: "base `URL` of the issuer's repository API"},
				&cli.StringFlag{Name: "cert", Required: true, Destination: &o.Cert, Usage: "the issuer's signing certificate (`PEM`)"},
			}, o.issuerDirectoryOptions.flags()...),
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 0, 0, "no arguments"); err != nil {
					return err
				}
				key, err := os.ReadFile(o.APIKeyFile)
				if err != nil {
					return fmt.Errorf("--api-key-file: %w", err)
				}
				cert, err := os.ReadFile(o.Cert)
				if err != nil {
					return fmt.Errorf("--cert: %w", err)
				}
				st, err := locker.Open(c.Context, o.Data)
				if err != nil {
					return err
				}
				defer st.Close()
				if err := st.AddIssuer(c.Context, o.ID, string(key), o.PullURL, cert); err != nil {
					return err
				}
				if err := o.issuerDirectoryOptions.set(c.Context, st, o.ID); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "locker: issuer %s registered (pulls from %s)\n", o.ID, o.PullURL)
				return nil
			},
		}},
	}
}

// lockerListOptions are locker list's flags.
type lockerListOptions struct {
	Data string
	JSON bool
}

func lockerListCommand(e *env) *cli.Command {
	o := &lockerListOptions{}
	return &cli.Command{
		Name:  "list",
		Usage: "print every URI the locker holds, with its citizen hash and action history",
		Description: "Example:\n" +
			"   issuerkit locker list --data ./locker\n" +
			"   issuerkit locker list --data ./locker --json | jq -r .uri",
		Flags: []cli.Flag{dataFlag(&o.Data), &cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "one JSON object per line"}},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			st, err := locker.Open(c.Context, o.Data)
			if err != nil {
				return err
			}
			defer st.Close()
			out := report.NewLines(e.stdout, o.JSON, "URI\tCITIZEN\tSTATE\tDOCUMENT\tHISTORY")
			n := 0
			err = st.All(c.Context, func(d locker.Document) error {
				n++
				var hist []string
				for _, h := range d.History {
					hist = append(hist, h.Action+" "+h.At[:min(19, len(h.At))])
				}
				return out.Row(d, "%s\t%s…\t%s\t%s\t%s", d.URI, d.Citizen[:12], d.State, d.DocName, strings.Join(hist, ", "))
			})
			if err != nil {
				return err
			}
			if !o.JSON {
				out.Flush()
				fmt.Fprintf(e.stdout, "%d %s\n", n, report.Plural(n, "URI", "URIs"))
			}
			return nil
		},
	}
}

// lockerCitizenOptions are locker citizen's flags.
type lockerCitizenOptions struct {
	Data, Base string
	Link       bool
	Valid      time.Duration
}

func lockerCitizenCommand(e *env) *cli.Command {
	o := &lockerCitizenOptions{}
	return &cli.Command{
		Name:  "citizen",
		Usage: "print the citizen hash of an Aadhaar number read from stdin (never from the command line), or a signed link to the citizen's pages",
		Description: "The hash names the citizen in the locker's URLs: /citizens/{hash}/issued. Those pages open only\n" +
			"with a signed link, which --link prints (valid for --valid).\n\n" +
			"Example:\n" +
			"   issuerkit locker citizen --data ./locker < my-aadhaar.txt\n" +
			"   issuerkit locker citizen --data ./locker --link --base http://127.0.0.1:9090 < my-aadhaar.txt",
		Flags: []cli.Flag{dataFlag(&o.Data),
			&cli.BoolFlag{Name: "link", Destination: &o.Link, Usage: "print a signed link to the citizen's Issued Documents page instead of the hash"},
			&cli.StringFlag{Name: "base", Value: "http://127.0.0.1:9090", Destination: &o.Base, Usage: "the locker's base `URL` for --link"},
			&cli.DurationFlag{Name: "valid", Value: locker.DefaultLinkTTL, Destination: &o.Valid, Usage: "how long the --link stays valid"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments (the number is read from stdin)"); err != nil {
				return err
			}
			line, err := bufio.NewReader(os.Stdin).ReadString('\n')
			if err != nil && line == "" {
				return fmt.Errorf("locker citizen: read the Aadhaar number from stdin: %w", err)
			}
			num := strings.TrimSpace(line)
			if err := aadhaar.Validate(num); err != nil {
				return fmt.Errorf("locker citizen: %w", err)
			}
			st, err := locker.Open(c.Context, o.Data)
			if err != nil {
				return err
			}
			defer st.Close()
			hash := st.CitizenHash(num)
			if !o.Link {
				fmt.Fprintln(e.stdout, hash)
				return nil
			}
			fmt.Fprintf(e.stdout, "%s/citizens/%s/issued?%s\n", strings.TrimSuffix(o.Base, "/"), hash,
				st.CitizenLink(hash, time.Now().Add(o.Valid)))
			return nil
		},
	}
}
