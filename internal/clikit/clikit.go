// Package clikit is the face every issuerkit command shares, over
// urfave/cli: each flag's ISSUERKIT_* environment alias derived by one
// rule, Required flags and usage errors as typed errors, the one table
// from typed errors to exit codes, and flags allowed after arguments.
// Prepare applies it to a command tree in one place, so commands added
// later get it without asking.
package clikit

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"

	"github.com/urfave/cli/v2"
)

// EnvPrefix starts every environment variable issuerkit reads.
const EnvPrefix = "ISSUERKIT_"

// EnvAlias is the environment variable of a flag: ISSUERKIT_<FLAG> for a
// global flag (path nil), ISSUERKIT_<COMMAND>_<FLAG> for a command's (the
// command's path: ISSUERKIT_LOCKER_SERVE_ADDR), upper case, "-" as "_".
func EnvAlias(path []string, flag string) string {
	name := strings.Join(append(append([]string{}, path...), flag), "_")
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// UsageError is a command line a command cannot run: an unknown flag, a
// missing argument, a bad value.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef is a *UsageError with a formatted message.
func Usagef(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// MissingFlagsError names the required flags a command line lacks, in
// urfave/cli's words.
type MissingFlagsError struct{ Names []string }

func (e *MissingFlagsError) Error() string {
	if len(e.Names) == 1 {
		return fmt.Sprintf("Required flag %q not set", e.Names[0])
	}
	return fmt.Sprintf("Required flags %q not set", strings.Join(e.Names, ", "))
}

// ExitRule maps the errors that match to an exit code.
type ExitRule struct {
	Match func(error) bool
	Code  int
}

// As is a Match that holds when errors.As finds a T in the chain.
func As[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// Is is a Match that holds when errors.Is finds target in the chain.
func Is(target error) func(error) bool {
	return func(err error) bool { return errors.Is(err, target) }
}

// ExitCode maps err to an exit code: 0 for nil, a cli.ExitCoder's own
// code, else that of the first rule that matches, else def.
func ExitCode(err error, rules []ExitRule, def int) int {
	if err == nil {
		return 0
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	for _, r := range rules {
		if r.Match(err) {
			return r.Code
		}
	}
	return def
}

// Prepare finishes a command tree in one place: usage errors become
// *UsageError, every flag gets its EnvAlias (after any it declares
// itself), Required flags are checked in each command's Before hook (see
// requiredFlags), and urfave/cli never exits the process itself (the
// caller picks the exit code with ExitCode).
func Prepare(app *cli.App) {
	app.OnUsageError = onUsageError
	app.ExitErrHandler = func(*cli.Context, error) {}
	if app.Action == nil {
		app.Action = unknownCommand(app.Name)
	}
	for _, f := range app.Flags {
		addEnv(f, EnvAlias(nil, f.Names()[0]))
	}
	WalkCommands(app.Commands, func(path []string, c *cli.Command) {
		c.OnUsageError = onUsageError
		if len(c.Subcommands) > 0 && c.Action == nil {
			c.Action = unknownCommand(app.Name + " " + strings.Join(path, " "))
		}
		var required []string
		for _, f := range c.Flags {
			addEnv(f, EnvAlias(path, f.Names()[0]))
			if takeRequired(f) {
				required = append(required, f.Names()[0])
			}
		}
		if len(required) > 0 {
			c.Before = chain(requiredFlags(required), c.Before)
		}
	})
}

func onUsageError(_ *cli.Context, err error, _ bool) error {
	return &UsageError{Err: err}
}

// unknownCommand is the action of the app, or of a command of
// subcommands, that no subcommand matched: its help without arguments,
// else a usage error naming the word (urfave/cli's own answer exits 3,
// which is the CONTRACT's code for rejected rows).
func unknownCommand(path string) cli.ActionFunc {
	return func(c *cli.Context) error {
		if !c.Args().Present() {
			if c.Command != nil && c.Command.Name != "" && len(c.Command.Subcommands) > 0 {
				return cli.ShowSubcommandHelp(c)
			}
			return cli.ShowAppHelp(c)
		}
		return &UsageError{Err: fmt.Errorf("unknown command %q: `%s --help` lists the commands", c.Args().First(), path)}
	}
}

// requiredFlags is urfave/cli's Required flag check done here instead, so
// that a missing flag is a typed error (urfave reports it with an
// unexported type). A flag set by its env alias counts.
func requiredFlags(names []string) cli.BeforeFunc {
	return func(c *cli.Context) error {
		var missing []string
		for _, n := range names {
			if !c.IsSet(n) {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			return nil
		}
		// The help urfave/cli shows with its own check.
		templ := c.Command.CustomHelpTemplate
		if templ == "" {
			templ = cli.CommandHelpTemplate
		}
		// On stderr, and not under --json: stdout is the command's output.
		if !c.Bool("json") {
			cli.HelpPrinter(c.App.ErrWriter, templ, c.Command)
		}
		return &MissingFlagsError{Names: missing}
	}
}

// flagField is the field of a urfave/cli flag struct (every flag type has
// EnvVars and Required), or an invalid Value.
func flagField(f cli.Flag, name string) reflect.Value {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.Elem().FieldByName(name)
}

func addEnv(f cli.Flag, alias string) {
	fv := flagField(f, "EnvVars")
	if !fv.IsValid() {
		panic(fmt.Sprintf("flag %s (%T) has no EnvVars", f.Names()[0], f))
	}
	env := fv.Interface().([]string)
	for _, e := range env {
		if e == alias {
			return
		}
	}
	fv.Set(reflect.ValueOf(append(env, alias)))
}

// takeRequired clears f's Required mark and says whether it was set.
func takeRequired(f cli.Flag) bool {
	fv := flagField(f, "Required")
	if !fv.IsValid() || !fv.Bool() {
		return false
	}
	fv.SetBool(false)
	return true
}

func chain(first, then cli.BeforeFunc) cli.BeforeFunc {
	if then == nil {
		return first
	}
	return func(c *cli.Context) error {
		if err := first(c); err != nil {
			return err
		}
		return then(c)
	}
}

// WalkCommands calls fn for every command under cmds, parents first, with
// its path of names.
func WalkCommands(cmds []*cli.Command, fn func(path []string, c *cli.Command)) {
	var walk func(path []string, cmds []*cli.Command)
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string{}, path...), c.Name)
			fn(p, c)
			walk(p, c.Subcommands)
		}
	}
	walk(nil, cmds)
}

// EnvVar is one environment variable as `issuerkit env` lists it.
type EnvVar struct {
	Name      string `json:"name"`
	For       string `json:"for"`
	Set       bool   `json:"set"`
	Value     string `json:"value"`
	Sensitive bool   `json:"sensitive"`
}

// Masked is what EnvVars shows in place of a sensitive value.
const Masked = "****"

// EnvVars lists every environment variable of app: the flags' in command
// order ("for" names the flag), then other; values from the environment,
// those sensitive says are secrets Masked.
func EnvVars(app *cli.App, other []EnvVar, sensitive map[string]bool) []EnvVar {
	var out []EnvVar
	seen := map[string]bool{}
	add := func(name, what string) {
		if seen[name] {
			return
		}
		seen[name] = true
		v, set := os.LookupEnv(name)
		if set && sensitive[name] {
			v = Masked
		}
		out = append(out, EnvVar{Name: name, For: what, Set: set, Value: v, Sensitive: sensitive[name]})
	}
	addFlags := func(path []string, flags []cli.Flag) {
		for _, f := range flags {
			what := strings.TrimSpace(strings.Join(path, " ") + " --" + f.Names()[0])
			for _, e := range FlagEnv(f) {
				add(e, what)
			}
		}
	}
	addFlags(nil, app.Flags)
	WalkCommands(app.Commands, func(path []string, c *cli.Command) { addFlags(path, c.Flags) })
	for _, o := range other {
		add(o.Name, o.For)
	}
	return out
}

// FlagEnv is the environment variables of f.
func FlagEnv(f cli.Flag) []string {
	if df, ok := f.(cli.DocGenerationFlag); ok {
		return df.GetEnvVars()
	}
	return nil
}
