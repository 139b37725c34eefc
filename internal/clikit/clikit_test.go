package clikit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

var errBoom = errors.New("boom")

type typedErr struct{}

func (typedErr) Error() string { return "typed" }

func TestExitCode(t *testing.T) {
	rules := []ExitRule{
		{Match: As[*UsageError], Code: 2},
		{Match: As[typedErr], Code: 3},
		{Match: Is(errBoom), Code: 4},
		{Match: Is(context.Canceled), Code: 130},
	}
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"untyped", errors.New("x"), 1},
		{"usage", Usagef("bad %s", "flag"), 2},
		{"wrapped usage", fmt.Errorf("ctx: %w", Usagef("bad")), 2},
		{"typed", fmt.Errorf("wrapped: %w", typedErr{}), 3},
		{"sentinel", fmt.Errorf("wrapped: %w", errBoom), 4},
		{"first rule wins", errors.Join(typedErr{}, errBoom), 3},
		{"canceled", fmt.Errorf("run: %w", context.Canceled), 130},
		{"exit coder", cli.Exit("custom", 7), 7},
		{"wrapped exit coder before the table", fmt.Errorf("a: %w", errors.Join(cli.Exit("c", 9), Usagef("u"))), 9},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ExitCode(c.err, rules, 1); got != c.want {
				t.Errorf("ExitCode(%v) = %d, want %d", c.err, got, c.want)
			}
		})
	}
}

func TestEnvAlias(t *testing.T) {
	for _, c := range []struct {
		path []string
		flag string
		want string
	}{
		{nil, "home", "ISSUERKIT_HOME"},
		{nil, "log-level", "ISSUERKIT_LOG_LEVEL"},
		{[]string{"push"}, "max-attempts", "ISSUERKIT_PUSH_MAX_ATTEMPTS"},
		{[]string{"locker", "serve"}, "addr", "ISSUERKIT_LOCKER_SERVE_ADDR"},
	} {
		if got := EnvAlias(c.path, c.flag); got != c.want {
			t.Errorf("EnvAlias(%v, %q) = %q, want %q", c.path, c.flag, got, c.want)
		}
	}
}

// testApp is a small tree with a required flag, a flag declaring its own
// env var, and a subcommand.
func testApp(out io.Writer, got *string) *cli.App {
	app := &cli.App{
		Name: "t", Writer: out, ErrWriter: out,
		Flags: []cli.Flag{&cli.StringFlag{Name: "home"}},
		Commands: []*cli.Command{
			{Name: "run", Flags: []cli.Flag{
				&cli.StringFlag{Name: "profile", Required: true},
				&cli.IntFlag{Name: "workers", EnvVars: []string{"OLD_WORKERS"}},
			}, Action: func(c *cli.Context) error { *got = fmt.Sprint(c.String("profile"), c.Int("workers")); return nil }},
			{Name: "locker", Subcommands: []*cli.Command{{Name: "serve", Flags: []cli.Flag{&cli.StringFlag{Name: "addr"}},
				Action: func(c *cli.Context) error { *got = c.String("addr"); return nil }}}},
		},
	}
	Prepare(app)
	return app
}

func TestPrepare(t *testing.T) {
	var out bytes.Buffer
	var got string
	app := testApp(&out, &got)
	err := app.Run([]string{"t", "run"})
	var mf *MissingFlagsError
	if !errors.As(err, &mf) || err.Error() != `Required flag "profile" not set` || !bytes.Contains(out.Bytes(), []byte("--profile")) {
		t.Fatalf("missing required flag: %v (%T), help %q", err, err, out.String())
	}
	t.Setenv("ISSUERKIT_RUN_PROFILE", "p.yaml")
	t.Setenv("OLD_WORKERS", "3")
	t.Setenv("ISSUERKIT_RUN_WORKERS", "5")
	if err := app.Run([]string{"t", "run"}); err != nil || got != "p.yaml3" {
		t.Fatalf("env aliases: %v, got %q; want the required flag from its alias and the declared env var first", err, got)
	}
	if err := app.Run([]string{"t", "run", "--profile", "q.yaml", "--workers", "8"}); err != nil || got != "q.yaml8" {
		t.Fatalf("flags over env: %v, got %q", err, got)
	}
	t.Setenv("ISSUERKIT_LOCKER_SERVE_ADDR", ":9")
	if err := app.Run([]string{"t", "locker", "serve"}); err != nil || got != ":9" {
		t.Fatalf("subcommand alias: %v, got %q", err, got)
	}
	err = app.Run([]string{"t", "run", "--bogus"})
	var ue *UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("unknown flag: %v (%T), want a *UsageError", err, err)
	}
	// An unknown command is a usage error too (urfave/cli's own exits 3),
	// at the top and under a command of subcommands; none shows help.
	for _, args := range [][]string{{"t", "rn"}, {"t", "locker", "serv"}} {
		if err := app.Run(args); !errors.As(err, &ue) || !strings.Contains(err.Error(), "unknown command") {
			t.Errorf("%v: %v (%T), want a *UsageError naming the command", args[1:], err, err)
		}
	}
	out.Reset()
	if err := app.Run([]string{"t", "locker"}); err != nil || !strings.Contains(out.String(), "serve") {
		t.Errorf("a command of subcommands alone: %v, help %q", err, out.String())
	}
}

// TestMissingFlagsHelpOnStderr: the help shown for a missing required
// flag goes to stderr, and not at all under --json: stdout is the
// command's output.
func TestMissingFlagsHelpOnStderr(t *testing.T) {
	var out, errw bytes.Buffer
	app := &cli.App{Name: "t", Writer: &out, ErrWriter: &errw, Commands: []*cli.Command{{Name: "run",
		Flags:  []cli.Flag{&cli.StringFlag{Name: "profile", Required: true}, &cli.BoolFlag{Name: "json"}},
		Action: func(*cli.Context) error { return nil }}}}
	Prepare(app)
	var mf *MissingFlagsError
	if err := app.Run([]string{"t", "run"}); !errors.As(err, &mf) || out.Len() != 0 || !strings.Contains(errw.String(), "--profile") {
		t.Errorf("plain: %v, stdout %q, stderr %q", err, out.String(), errw.String())
	}
	errw.Reset()
	if err := app.Run([]string{"t", "run", "--json"}); !errors.As(err, &mf) || out.Len() != 0 || errw.Len() != 0 {
		t.Errorf("--json: %v, stdout %q, stderr %q", err, out.String(), errw.String())
	}
}

func TestEnvVarsMasks(t *testing.T) {
	var got string
	app := testApp(io.Discard, &got)
	t.Setenv("ISSUERKIT_RUN_PROFILE", "secret-dsn")
	t.Setenv("ISSUERKIT_HOME", "/board")
	vars := EnvVars(app, []EnvVar{{Name: "ISSUERKIT_PIN", For: "a PIN"}}, map[string]bool{"ISSUERKIT_RUN_PROFILE": true, "ISSUERKIT_PIN": true})
	byName := map[string]EnvVar{}
	var order []string
	for _, v := range vars {
		byName[v.Name] = v
		order = append(order, v.Name)
	}
	want := "[ISSUERKIT_HOME ISSUERKIT_RUN_PROFILE OLD_WORKERS ISSUERKIT_RUN_WORKERS ISSUERKIT_LOCKER_SERVE_ADDR ISSUERKIT_PIN]"
	if fmt.Sprint(order) != want {
		t.Errorf("order %v, want %s", order, want)
	}
	if v := byName["ISSUERKIT_RUN_PROFILE"]; !v.Set || !v.Sensitive || v.Value != Masked || v.For != "run --profile" {
		t.Errorf("sensitive: %+v", v)
	}
	if v := byName["ISSUERKIT_HOME"]; !v.Set || v.Sensitive || v.Value != "/board" || v.For != "--home" {
		t.Errorf("plain: %+v", v)
	}
	if v := byName["ISSUERKIT_PIN"]; v.Set || v.Value != "" || !v.Sensitive {
		t.Errorf("unset: %+v", v)
	}
}

func TestFlagsFirst(t *testing.T) {
	var got string
	app := testApp(io.Discard, &got)
	for _, c := range []struct{ in, want string }{
		{"t run x --profile p y", "[t run --profile p x y]"},
		{"t --home h run x --workers=3", "[t --home h run --workers=3 x]"},
		{"t run x -- --profile p", "[t run x -- --profile p]"},
		{"t locker serve a --addr :1", "[t locker serve --addr :1 a]"},
	} {
		if got := fmt.Sprint(FlagsFirst(app, strings.Fields(c.in))); got != c.want {
			t.Errorf("FlagsFirst(%s) = %s, want %s", c.in, got, c.want)
		}
	}
}
