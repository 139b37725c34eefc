package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/clikit"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/internal/issuer"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/urfave/cli/v2"
)

// env is what every command writes to; tests inject buffers.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.DiscardHandler)}
	return runApp(ctx, e, newApp(e), args)
}

// runApp runs app on args and prints its error (as JSON with --json),
// with any Aadhaar number in it masked: an error may quote what came from
// elsewhere (a cell, a locker's reply), and stderr ends up in logs.
func runApp(ctx context.Context, e *env, app *cli.App, args []string) int {
	stderr := e.stderr
	err := app.RunContext(ctx, clikit.FlagsFirst(app, args))
	code := exitCode(err)
	if err != nil && err.Error() != "" {
		msg := aadhaar.Redact(err.Error())
		if jsonRequested(args) {
			b, _ := json.Marshal(map[string]any{"error": msg, "exit_code": code})
			fmt.Fprintln(stderr, string(b))
		} else {
			fmt.Fprintln(stderr, "issuerkit: "+msg)
		}
	}
	return code
}

func jsonRequested(args []string) bool {
	for _, a := range args {
		if a == "--json" || a == "-json" {
			return true
		}
	}
	return false
}

// A command is written the same way every time (see push.go): an options
// struct holding its flags, each flag with Destination into it, and an
// Action that checks its arguments and calls o.run, which does its work
// through the packages. clikit.Prepare, in newApp, gives every flag its
// ISSUERKIT_<COMMAND>_<FLAG> env alias and checks Required flags; a new
// secret among the aliases goes into sensitiveEnv (envalias.go); a
// package's typed error that needs its own exit code goes into exitRules
// (exit.go); never match an error's text.

// globalOptions are the flags before the command.
type globalOptions struct {
	Home, LogLevel, LogFormat string
}

func newApp(e *env) *cli.App {
	g := &globalOptions{}
	app := &cli.App{
		Name:  "issuerkit",
		Usage: "issue signed DigiLocker documents from an issuer's records",
		Description: "issuerkit turns CSV records into signed Certificate XML documents, stores them under\n" +
			"IssuerID-DocType-DocID URIs, and serves them to lockers.\n\n" +
			"Example:\n" +
			"   issuerkit --home ./board init --issuer-id in.gov.cbse --issuer-name \"Central Board of Secondary Education\"\n" +
			"   issuerkit --home ./board ingest --profile samples/profiles/cbse-sscer.yaml samples/cbse-sscer-2025.csv",
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "home", Value: "./issuerkit-home", Destination: &g.Home, Usage: "issuer home `DIR` (config, keys, catalog, store)"},
			&cli.StringFlag{Name: "log-level", Value: "info", Destination: &g.LogLevel, Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "log-format", Value: "text", Destination: &g.LogFormat, Usage: "text or json"},
		},
		Before: func(*cli.Context) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(g.LogLevel)); err != nil {
				return usageErr("--log-level: %q is not debug, info, warn or error", g.LogLevel)
			}
			opts := &slog.HandlerOptions{Level: lvl}
			switch g.LogFormat {
			case "text":
				e.log = slog.New(aadhaar.RedactHandler(slog.NewTextHandler(e.stderr, opts)))
			case "json":
				e.log = slog.New(aadhaar.RedactHandler(slog.NewJSONHandler(e.stderr, opts)))
			default:
				return usageErr("--log-format: %q is not text or json", g.LogFormat)
			}
			return nil
		},
		Commands: []*cli.Command{
			initCommand(e), ingestCommand(e), getCommand(e), verifyCommand(e), statusCommand(e), storeCommand(e), keysCommand(e), serveCommand(e), pushCommand(e), lockerCommand(e),
			lifecycleCommand(e, repository.AuditRevoke, "revoke a document: status R, re-signed, pushes D", "The holder's locker is told to remove it (a D push); Pull URI and /verify show it as revoked."),
			lifecycleCommand(e, repository.AuditSuspend, "suspend a document: status S until reinstated", "Lockers get an U push; the document served carries status S."),
			lifecycleCommand(e, repository.AuditReinstate, "reinstate a suspended document: status A again", "Lockers get an U push."),
			releaseCommand(e), auditCommand(e), catalogCommand(e), samplesCommand(e), profileCommand(e), envCommand(e), requesterCommand(e), consentCommand(e),
		},
	}
	clikit.Prepare(app)
	return app
}

// openHome opens the home named by --home.
func openHome(c *cli.Context) (*home.Home, error) {
	return home.Open(c.String("home"))
}

// openRepo opens the home named by --home, its catalog and (withStore) its
// store.
func openRepo(c *cli.Context, withStore bool) (*issuer.Repo, error) {
	return issuer.OpenRepo(c.Context, c.String("home"), withStore)
}

// needArgs fails with a usage error unless c has between min and max args
// (max < 0: no limit).
func needArgs(c *cli.Context, min, max int, what string) error {
	n := c.NArg()
	if n < min || (max >= 0 && n > max) {
		return usageErr("%s: want %s (see `issuerkit %s --help`)", c.Command.Name, what, c.Command.Name)
	}
	return nil
}
