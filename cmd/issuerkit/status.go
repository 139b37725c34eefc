package main

import (
	"encoding/json"
	"fmt"

	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/urfave/cli/v2"
)

// statusOptions are status's flags.
type statusOptions struct {
	JSON    bool
	Batches int
}

func statusCommand(e *env) *cli.Command {
	o := &statusOptions{}
	return &cli.Command{
		Name:  "status",
		Usage: "show catalog counts by doctype and status, outbox depth and recent batches",
		Description: "Example:\n" +
			"   issuerkit status\n" +
			"   issuerkit status --json | jq .outbox",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "print as one JSON object"},
			&cli.IntFlag{Name: "batches", Value: 5, Destination: &o.Batches, Usage: "how many recent batches to show"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			r, err := openRepo(c, false)
			if err != nil {
				return err
			}
			defer r.Close()
			h := r.Home
			st, err := r.Catalog.Stats(c.Context, o.Batches)
			if err != nil {
				return err
			}
			dead, err := r.Catalog.DeadLetters(c.Context, 10)
			if err != nil {
				return err
			}
			deadOut := []report.DeadLetter{}
			for _, d := range dead {
				deadOut = append(deadOut, report.DeadLetter{ID: d.ID, URI: d.URI, Action: d.Action, Attempts: d.Attempts, Reason: d.LastError})
			}
			signing := "unavailable"
			if sgn, err := h.Signer(); err != nil {
				signing += ": " + err.Error()
			} else {
				signing = sgn.Backend()
			}
			if o.JSON {
				b, err := json.Marshal(struct {
					repository.Stats
					DeadLetters []report.DeadLetter `json:"dead_letters"`
					Signing     string              `json:"signing"`
				}{st, deadOut, signing})
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			report.Status(e.stdout, h.Config.Issuer.Name, h.Config.Issuer.ID, st, deadOut, signing)
			return nil
		},
	}
}
