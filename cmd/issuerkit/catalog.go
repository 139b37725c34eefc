package main

import (
	"encoding/json"
	"fmt"

	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/urfave/cli/v2"
)

// catalogMigrateOptions are catalog migrate's flags.
type catalogMigrateOptions struct {
	To, DSN string
	JSON    bool
}

func catalogCommand(e *env) *cli.Command {
	o := &catalogMigrateOptions{}
	return &cli.Command{
		Name:  "catalog",
		Usage: "manage the catalog: move it from SQLite to PostgreSQL",
		Subcommands: []*cli.Command{{
			Name:  "migrate",
			Usage: "copy the SQLite catalog into an empty PostgreSQL database, check it, and switch the home to it",
			Description: "Copies every document, version, outbox row, batch and audit entry in one transaction, then\n" +
				"checks the row counts, a digest of every version's object hash and the audit chain on the\n" +
				"target before switching issuerkit.yaml. Stop ingest, push and serve first. catalog.db is kept.\n\n" +
				"Example:\n" +
				"   issuerkit catalog migrate --to postgres --dsn 'postgres://issuerkit@db.internal/issuerkit?sslmode=require'",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "to", Required: true, Destination: &o.To, Usage: "target catalog type: postgres"},
				&cli.StringFlag{Name: "dsn", Required: true, Destination: &o.DSN, EnvVars: []string{"ISSUERKIT_CATALOG_DSN"}, Usage: "PostgreSQL `DSN` (password from PGPASSWORD or ~/.pgpass)"},
				&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "print the report as JSON"},
			},
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 0, 0, "no arguments"); err != nil {
					return err
				}
				if o.To != "postgres" {
					return usageErr("--to %q: only postgres is supported", o.To)
				}
				h, err := openHome(c)
				if err != nil {
					return err
				}
				if t := h.Config.Catalog.Type; t != "" && t != "sqlite" {
					return usageErr("the home's catalog is already %s", t)
				}
				src, err := repository.OpenSQLite(c.Context, h.Path(h.Config.Catalog.Path))
				if err != nil {
					return err
				}
				defer src.Close()
				dst, err := repository.OpenPostgres(c.Context, o.DSN)
				if err != nil {
					return err
				}
				defer dst.Close()
				rep, err := repository.CopySQLiteToPostgres(c.Context, src, dst)
				if err != nil {
					return fmt.Errorf("catalog migrate: %w (nothing was switched)", err)
				}
				h.Config.Catalog.Type, h.Config.Catalog.DSN = "postgres", o.DSN
				if err := h.Save(); err != nil {
					return err
				}
				if o.JSON {
					b, _ := json.Marshal(rep)
					fmt.Fprintln(e.stdout, string(b))
					return nil
				}
				report.CatalogMigration(e.stdout, rep)
				return nil
			},
		}},
	}
}
