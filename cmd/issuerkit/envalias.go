package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/issuerkit/issuerkit/internal/clikit"
	"github.com/urfave/cli/v2"
)

// sensitiveEnv is the one table of secrets among the environment
// variables: `issuerkit env` masks their values. A DSN may carry a
// password, a PKCS#11 URI a PIN. New secrets (tokens, OTPs, API keys) go
// here; TestSensitiveEnv fails on an alias that looks like one and is not.
var sensitiveEnv = map[string]bool{
	"ISSUERKIT_CATALOG_DSN":         true,
	"ISSUERKIT_CATALOG_MIGRATE_DSN": true,
	"ISSUERKIT_INIT_CATALOG_DSN":    true,
	"ISSUERKIT_KEYS_IMPORT_PKCS11":  true,
	"ISSUERKIT_KEY_PASSPHRASE":      true,
	"ISSUERKIT_PKCS11_PIN":          true,
}

// otherEnv are the variables read apart from any flag.
var otherEnv = []clikit.EnvVar{
	{Name: "ISSUERKIT_CATALOG_DSN", For: "the catalog's PostgreSQL DSN, over catalog.dsn in issuerkit.yaml"},
	{Name: "ISSUERKIT_KEY_PASSPHRASE", For: "keys import: the key file's passphrase"},
	{Name: "ISSUERKIT_PKCS11_PIN", For: "the PKCS#11 token's PIN"},
	{Name: "ISSUERKIT_RSA_BACKEND", For: "RSA signing backend (tests and benchmarks)"},
	{Name: "ISSUERKIT_CPUPROFILE", For: "write a CPU profile of the run to this file"},
	{Name: "ISSUERKIT_MEMPROFILE", For: "write a heap profile at the end of the run to this file"},
}

// envOptions are env's flags.
type envOptions struct{ JSON, Set bool }

func envCommand(e *env) *cli.Command {
	o := &envOptions{}
	return &cli.Command{
		Name:  "env",
		Usage: "print every ISSUERKIT_* environment variable with its value now (secrets masked)",
		Description: "Every flag can also be set by an environment variable: ISSUERKIT_<FLAG> for a global flag,\n" +
			"ISSUERKIT_<COMMAND>_<FLAG> for a command's (ISSUERKIT_PUSH_WORKERS, ISSUERKIT_LOCKER_SERVE_ADDR);\n" +
			"a flag on the command line wins. env lists them all, then the variables read apart from\n" +
			"flags, with the value each has in this environment; secrets (DSNs, PINs, passphrases) show\n" +
			"as ****.\n\n" +
			"Example:\n" +
			"   issuerkit env\n" +
			"   issuerkit env --set --json | jq -r '.[].name'",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "print a JSON array"},
			&cli.BoolFlag{Name: "set", Destination: &o.Set, Usage: "only the variables set in this environment"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			return o.run(e, c.App)
		},
	}
}

func (o *envOptions) run(e *env, app *cli.App) error {
	vars := []clikit.EnvVar{}
	for _, v := range clikit.EnvVars(app, otherEnv, sensitiveEnv) {
		if v.Set || !o.Set {
			vars = append(vars, v)
		}
	}
	if o.JSON {
		b, err := json.Marshal(vars)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(e.stdout, string(b))
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tVALUE\tFOR")
	for _, v := range vars {
		val := v.Value
		if !v.Set {
			val = "(unset)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Name, val, v.For)
	}
	return tw.Flush()
}
