package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/clikit"
	"github.com/issuerkit/issuerkit/pusher"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/verify"
	"github.com/urfave/cli/v2"
)

// TestExitRules: the one table gives each typed error its CONTRACT code,
// wrapped or not.
func TestExitRules(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, exitOK},
		{"plain error", errors.New("disk full"), exitError},
		{"usage", usageErr("--format %q: want xml", "x"), exitUsage},
		{"missing flag", &clikit.MissingFlagsError{Names: []string{"profile"}}, exitUsage},
		{"rejected rows", ingest.Summary{Counts: repository.Counts{Rejected: 2}}.Err(), exitRejected},
		{"dead letters", fmt.Errorf("push: %w", &pusher.DeadLetterError{N: 1}), exitRejected},
		{"still pending", &pusher.PendingError{N: 3, Gateway: "http://gw"}, exitError},
		{"unauthorized, even if interrupted too", errors.Join(pusher.ErrUnauthorized, context.Canceled), exitError},
		{"verification failed", &verify.FailedError{Failed: 1, Total: 2}, exitError},
		{"store check", &store.StoreCheckError{}, exitError},
		{"interrupted", fmt.Errorf("ingest: %w", context.Canceled), exitInterrupted},
		{"exit coder", cli.Exit("custom", 42), 42},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := exitCode(c.err); got != c.want {
				t.Errorf("exitCode(%v) = %d, want %d", c.err, got, c.want)
			}
		})
	}
}

// TestExitCoderHonoured: a command that returns a cli.ExitCoder exits
// with its code, and its message goes to stderr.
func TestExitCoderHonoured(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, log: slog.New(slog.DiscardHandler)}
	app := newApp(e)
	app.Commands = append(app.Commands, &cli.Command{Name: "fail4", Action: func(*cli.Context) error { return cli.Exit("four", 4) }})
	clikit.Prepare(app)
	if code := runApp(context.Background(), e, app, []string{"issuerkit", "fail4"}); code != 4 || !strings.Contains(errb.String(), "four") {
		t.Fatalf("exit %d, stderr %q; want 4 and the message", code, errb.String())
	}
}

// TestErrorsMasked: an error that quotes an Aadhaar number (a cell, a
// locker's reply) is printed with it masked, plain and as JSON.
func TestErrorsMasked(t *testing.T) {
	for _, args := range [][]string{{"issuerkit", "leak"}, {"issuerkit", "leak", "--json"}} {
		var out, errb bytes.Buffer
		e := &env{stdout: &out, stderr: &errb, log: slog.New(slog.DiscardHandler)}
		app := newApp(e)
		app.Commands = append(app.Commands, &cli.Command{Name: "leak", Flags: []cli.Flag{&cli.BoolFlag{Name: "json"}},
			Action: func(*cli.Context) error { return fmt.Errorf("row 3: column Name is %q", "2341 2341 2346") }})
		clikit.Prepare(app)
		if code := runApp(context.Background(), e, app, args); code != exitError || strings.Contains(errb.String(), "2341 2341") || !strings.Contains(errb.String(), "XXXX XXXX 2346") {
			t.Errorf("%v: exit %d, stderr %q; want 1 and the number masked", args[1:], code, errb.String())
		}
	}
}

// legacyEnv are the aliases from before the ISSUERKIT_<COMMAND>_<FLAG>
// rule; they keep working beside it.
var legacyEnv = []string{"ISSUERKIT_HOME", "ISSUERKIT_LOG_LEVEL", "ISSUERKIT_LOG_FORMAT", "ISSUERKIT_LOCKER_DATA", "ISSUERKIT_CATALOG_DSN"}

// TestEveryFlagHasEnvAlias: every flag of every command carries its alias
// by the rule, no two flags share one, and the legacy aliases are there.
func TestEveryFlagHasEnvAlias(t *testing.T) {
	app := newApp(&env{stdout: io.Discard, stderr: io.Discard})
	owner := map[string]string{}
	check := func(path []string, flags []cli.Flag) {
		for _, f := range flags {
			what := strings.Join(append(append([]string{}, path...), "--"+f.Names()[0]), " ")
			alias := clikit.EnvAlias(path, f.Names()[0])
			env := clikit.FlagEnv(f)
			if len(env) == 0 || env[len(env)-1] != alias {
				t.Errorf("%s: env %v, want it to end with %s", what, env, alias)
			}
			if prev, ok := owner[alias]; ok {
				t.Errorf("%s and %s share %s", prev, what, alias)
			}
			owner[alias] = what
			for _, e := range env[:len(env)-1] {
				owner[e] = what
			}
		}
	}
	check(nil, app.Flags)
	n := 0
	clikit.WalkCommands(app.Commands, func(path []string, c *cli.Command) { check(path, c.Flags); n += len(c.Flags) })
	for _, l := range legacyEnv {
		if owner[l] == "" {
			t.Errorf("legacy alias %s is gone", l)
		}
	}
	if n < 100 {
		t.Errorf("walked %d flags", n)
	}
}

// looksSecret names what an alias of a secret looks like; a _FILE
// variable names a file, not its content.
var looksSecret = regexp.MustCompile(`DSN|PASSPHRASE|PASSWORD|SECRET|TOKEN|PIN|OTP|API_KEY|PKCS11`)

// secretPart is what looksSecret judges of v: a flag's alias by the flag's
// own name (`locker otp --mobile` names no secret; its command does not
// make it one), any other variable by its whole name.
func secretPart(v clikit.EnvVar) string {
	if i := strings.LastIndex(v.For, "--"); i >= 0 {
		return strings.ToUpper(strings.ReplaceAll(strings.TrimSuffix(v.For[i+2:], ")"), "-", "_"))
	}
	return v.Name
}

// TestSensitiveEnv: every alias that looks like a secret is in the one
// table, and the table names only variables env lists.
func TestSensitiveEnv(t *testing.T) {
	app := newApp(&env{stdout: io.Discard, stderr: io.Discard})
	listed := map[string]bool{}
	for _, v := range clikit.EnvVars(app, otherEnv, sensitiveEnv) {
		listed[v.Name] = true
		if looksSecret.MatchString(secretPart(v)) && !strings.HasSuffix(v.Name, "_FILE") && !sensitiveEnv[v.Name] {
			t.Errorf("%s (%s) looks like a secret: add it to sensitiveEnv, or rename it", v.Name, v.For)
		}
	}
	for name := range sensitiveEnv {
		if !listed[name] {
			t.Errorf("sensitiveEnv names %s, which nothing reads", name)
		}
	}
}

// TestEnvCommandMasks: `issuerkit env` shows a plain variable's value and
// masks a secret's, in text and JSON.
func TestEnvCommandMasks(t *testing.T) {
	const secret = "postgres://issuerkit:hunter2@db/issuerkit"
	t.Setenv("ISSUERKIT_CATALOG_MIGRATE_DSN", secret)
	t.Setenv("ISSUERKIT_KEY_PASSPHRASE", "hunter2")
	t.Setenv("ISSUERKIT_PUSH_WORKERS", "16")
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"issuerkit", "env"}, &out, &errb); code != 0 {
		t.Fatalf("env: exit %d: %s", code, errb.String())
	}
	text := out.String()
	if strings.Contains(text, "hunter2") || !regexp.MustCompile(`ISSUERKIT_CATALOG_MIGRATE_DSN +\*\*\*\* +catalog migrate --dsn`).MatchString(text) ||
		!regexp.MustCompile(`ISSUERKIT_PUSH_WORKERS +16 +push --workers`).MatchString(text) ||
		!regexp.MustCompile(`ISSUERKIT_PUSH_BULK +\(unset\)`).MatchString(text) {
		t.Errorf("env:\n%s", text)
	}
	out.Reset()
	if code := run(context.Background(), []string{"issuerkit", "env", "--set", "--json"}, &out, &errb); code != 0 {
		t.Fatalf("env --json: exit %d: %s", code, errb.String())
	}
	var vars []clikit.EnvVar
	if err := json.Unmarshal(out.Bytes(), &vars); err != nil {
		t.Fatal(err)
	}
	got := map[string]clikit.EnvVar{}
	for _, v := range vars {
		if !v.Set {
			t.Errorf("--set listed unset %s", v.Name)
		}
		got[v.Name] = v
	}
	if v := got["ISSUERKIT_CATALOG_MIGRATE_DSN"]; v.Value != clikit.Masked || !v.Sensitive {
		t.Errorf("DSN: %+v", v)
	}
	if v := got["ISSUERKIT_KEY_PASSPHRASE"]; v.Value != clikit.Masked {
		t.Errorf("passphrase: %+v", v)
	}
	if v := got["ISSUERKIT_PUSH_WORKERS"]; v.Value != "16" || v.Sensitive {
		t.Errorf("workers: %+v", v)
	}
	if strings.Contains(out.String(), "hunter2") {
		t.Errorf("a secret in env --json: %s", out.String())
	}
}

// TestRequiredFlagFromEnv: a required flag given by its alias counts; one
// missing is a usage error naming it, as urfave/cli words it.
func TestRequiredFlagFromEnv(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"issuerkit", "samples", "gen", "--out", dir + "/x.csv"}, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), `Required flag "rows" not set`) {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	t.Setenv("ISSUERKIT_SAMPLES_GEN_ROWS", "3")
	out.Reset()
	if code := run(context.Background(), []string{"issuerkit", "samples", "gen", "--out", dir + "/x.csv"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "wrote 3 rows") {
		t.Fatalf("with the alias: exit %d, %q %q", code, out.String(), errb.String())
	}
}
