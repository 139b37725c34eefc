package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

var update = flag.Bool("update", false, "rewrite docs/cli.md from the commands")

// TestCLIReference keeps docs/cli.md true: it is made from the commands'
// own names, usage, descriptions and flags. After changing a command, run
//
//	go test ./cmd/issuerkit -run TestCLIReference -update
func TestCLIReference(t *testing.T) {
	got := cliReference(newApp(&env{stdout: io.Discard, stderr: io.Discard}))
	const path = "../../docs/cli.md"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/cli.md is out of date: run go test ./cmd/issuerkit -run TestCLIReference -update")
	}
}

func cliReference(app *cli.App) []byte {
	var b bytes.Buffer
	b.WriteString("# issuerkit command reference\n\n")
	b.WriteString("Made from the commands themselves by `go test ./cmd/issuerkit -run TestCLIReference -update`;\n")
	b.WriteString("a test fails when it is out of date. `issuerkit COMMAND --help` prints the same.\n\n")
	b.WriteString("Every flag can also be set by the environment variable in its env column: ISSUERKIT_<FLAG> for a\n")
	b.WriteString("global flag, ISSUERKIT_<COMMAND>_<FLAG> for a command's; a flag on the command line wins.\n")
	b.WriteString("`issuerkit env` lists them all with their values now (secrets masked).\n\n")
	b.WriteString("## Global flags\n\n")
	flagTable(&b, app.Flags)
	fmt.Fprintf(&b, "\n## Exit codes\n\n| code | meaning |\n|---|---|\n")
	for _, e := range []struct {
		code int
		what string
	}{
		{exitOK, "success"},
		{exitError, "a fatal error: a clear message on stderr, nothing half-written"},
		{exitUsage, "a usage error: an unknown flag, a missing argument, a bad value"},
		{exitRejected, "`ingest` finished but rejected some rows (the rejects report is written, good rows are committed); `push --once`: some rows went to the dead-letter queue"},
		{exitInterrupted, "interrupted (SIGINT/SIGTERM): rows read so far are committed; run the same command again to continue"},
	} {
		fmt.Fprintf(&b, "| %d | %s |\n", e.code, e.what)
	}
	b.WriteString("\nWith `--json`, an error is also printed on stderr as `{\"error\": …, \"exit_code\": N}`.\n")
	var walk func(path []string, cmds []*cli.Command)
	walk = func(path []string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Name == "help" {
				continue
			}
			p := append(append([]string{}, path...), c.Name)
			if len(c.Subcommands) > 0 {
				walk(p, c.Subcommands)
				continue
			}
			fmt.Fprintf(&b, "\n## issuerkit %s\n\n%s.\n\n", strings.Join(p, " "), strings.TrimSuffix(c.Usage, "."))
			fmt.Fprintf(&b, "```\nissuerkit %s [flags] %s\n", strings.Join(p, " "), c.ArgsUsage)
			if c.Description != "" {
				fmt.Fprintf(&b, "\n%s\n", strings.TrimRight(c.Description, "\n"))
			}
			b.WriteString("```\n")
			if len(c.Flags) > 0 {
				b.WriteString("\n")
				flagTable(&b, c.Flags)
			}
		}
	}
	walk(nil, app.Commands)
	return b.Bytes()
}

func flagTable(b *bytes.Buffer, flags []cli.Flag) {
	b.WriteString("| flag | env | default | meaning |\n|---|---|---|---|\n")
	for _, f := range flags {
		names := f.Names()
		var shown []string
		for _, n := range names {
			if len(n) == 1 {
				shown = append(shown, "-"+n)
			} else {
				shown = append(shown, "--"+n)
			}
		}
		var env, def, usage string
		if df, ok := f.(cli.DocGenerationFlag); ok {
			env = strings.Join(df.GetEnvVars(), ", ")
			def = df.GetDefaultText()
			if def == "" {
				def = df.GetValue()
			}
			usage = df.GetUsage()
		}
		if _, isBool := f.(*cli.BoolFlag); isBool && def == "false" {
			def = ""
		}
		cell := func(s string) string {
			return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
		}
		if env != "" {
			env = "`" + env + "`"
		}
		if def != "" {
			def = "`" + def + "`"
		}
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", strings.Join(shown, "`, `"), env, cell(def), cell(usage))
	}
}
