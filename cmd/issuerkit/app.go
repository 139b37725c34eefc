package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/urfave/cli/v2"
)

// Exit codes (DESIGN.md CLI CONTRACT).
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitRejected    = 3
	exitInterrupted = 130
)

// exitErr carries an exit code; its message (if any) goes to stderr.
type exitErr struct {
	code int
	err  error
}

func (e *exitErr) Error() string {
	if e.err == nil {
		return ""
	}
	return e.err.Error()
}
func (e *exitErr) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitErr{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// exitCode maps an error to the CONTRACT's exit codes.
func exitCode(err error) int {
	var ee *exitErr
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case strings.HasPrefix(err.Error(), "Required flag"):
		// urfave/cli reports missing required flags with an unexported
		// type, outside OnUsageError.
		return exitUsage
	}
	return exitError
}

// env is what every command writes to; tests inject buffers.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr, log: slog.New(slog.DiscardHandler)}
	app := newApp(e)
	err := app.RunContext(ctx, flagsFirst(app, args))
	code := exitCode(err)
	if err != nil && err.Error() != "" {
		if jsonRequested(args) {
			b, _ := json.Marshal(map[string]any{"error": err.Error(), "exit_code": code})
			fmt.Fprintln(stderr, string(b))
		} else {
			fmt.Fprintln(stderr, "issuerkit: "+err.Error())
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

func newApp(e *env) *cli.App {
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
			&cli.StringFlag{Name: "home", Value: "./issuerkit-home", EnvVars: []string{"ISSUERKIT_HOME"}, Usage: "issuer home `DIR` (config, keys, catalog, store)"},
			&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: []string{"ISSUERKIT_LOG_LEVEL"}, Usage: "debug, info, warn or error"},
			&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: []string{"ISSUERKIT_LOG_FORMAT"}, Usage: "text or json"},
		},
		Before: func(c *cli.Context) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(c.String("log-level"))); err != nil {
				return usageErr("--log-level: %q is not debug, info, warn or error", c.String("log-level"))
			}
			opts := &slog.HandlerOptions{Level: lvl}
			switch c.String("log-format") {
			case "text":
				e.log = slog.New(aadhaar.RedactHandler(slog.NewTextHandler(e.stderr, opts)))
			case "json":
				e.log = slog.New(aadhaar.RedactHandler(slog.NewJSONHandler(e.stderr, opts)))
			default:
				return usageErr("--log-format: %q is not text or json", c.String("log-format"))
			}
			return nil
		},
		OnUsageError: onUsageError,
		ExitErrHandler: func(*cli.Context, error) {
			// run() prints errors and picks exit codes; never os.Exit here.
		},
		Commands: []*cli.Command{
			initCommand(e), ingestCommand(e), getCommand(e), verifyCommand(e), statusCommand(e), storeCommand(e), keysCommand(e), serveCommand(e), pushCommand(e), lockerCommand(e),
			lifecycleCommand(e, repository.AuditRevoke, "revoke a document: status R, re-signed, pushes D", "The holder's locker is told to remove it (a D push); Pull URI and /verify show it as revoked."),
			lifecycleCommand(e, repository.AuditSuspend, "suspend a document: status S until reinstated", "Lockers get an U push; the document served carries status S."),
			lifecycleCommand(e, repository.AuditReinstate, "reinstate a suspended document: status A again", "Lockers get an U push."),
			releaseCommand(e), auditCommand(e), catalogCommand(e), samplesCommand(e), profileCommand(e), requesterCommand(e), consentCommand(e),
		},
	}
	setUsageErrors(app.Commands)
	return app
}

func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &exitErr{code: exitUsage, err: err}
}

func setUsageErrors(cmds []*cli.Command) {
	for _, c := range cmds {
		c.OnUsageError = onUsageError
		setUsageErrors(c.Subcommands)
	}
}

// openHome opens the home named by --home.
func openHome(c *cli.Context) (*home.Home, error) {
	return home.Open(c.String("home"))
}

// repo is an opened home with its catalog and, when asked for, its store.
type repo struct {
	h     *home.Home
	cat   repository.Catalog
	store repository.Store
}

// openRepo opens the home named by --home, its catalog and (withStore) its
// store. Close releases them.
func openRepo(c *cli.Context, withStore bool) (*repo, error) {
	h, err := openHome(c)
	if err != nil {
		return nil, err
	}
	r := &repo{h: h}
	if r.cat, err = h.OpenCatalog(c.Context); err != nil {
		return nil, err
	}
	if withStore {
		if r.store, err = h.OpenStore(c.Context); err != nil {
			r.cat.Close()
			return nil, err
		}
	}
	return r, nil
}

func (r *repo) Close() {
	if r.store != nil {
		r.store.Close()
	}
	r.cat.Close()
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

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// flagsFirst lets flags follow positional arguments, as in the CONTRACT's
// `revoke URI --reason TEXT`: urfave/cli stops parsing flags at the first
// argument, so the leaf command's flags are moved before its arguments.
// Anything after "--" stays as it is.
func flagsFirst(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	// Find the leaf command: global flags, then command names.
	cmds, flags := app.Commands, app.Flags
	i := 1
	for i < len(args) {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			i += 1 + flagArity(flags, a)
			continue
		}
		var next *cli.Command
		for _, c := range cmds {
			if c.HasName(a) {
				next = c
			}
		}
		if next == nil {
			break
		}
		cmds, flags = next.Subcommands, next.Flags
		i++
		if len(cmds) == 0 {
			break
		}
	}
	head := append([]string{}, args[:i]...)
	var pos, fl []string
	for j := i; j < len(args); j++ {
		a := args[j]
		if a == "--" {
			pos = append(pos, args[j:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			n := flagArity(flags, a)
			fl = append(fl, args[j:min(len(args), j+1+n)]...)
			j += n
			continue
		}
		pos = append(pos, a)
	}
	return append(append(head, fl...), pos...)
}

// flagArity is 1 when the flag a (as written) takes a separate value.
func flagArity(flags []cli.Flag, a string) int {
	name := strings.TrimLeft(a, "-")
	if strings.Contains(name, "=") {
		return 0
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				if _, isBool := f.(*cli.BoolFlag); isBool {
					return 0
				}
				return 1
			}
		}
	}
	return 0
}
