package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/urfave/cli/v2"
)

func statusCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show catalog counts by doctype and status, outbox depth and recent batches",
		Description: "Example:\n" +
			"   issuerkit status\n" +
			"   issuerkit status --json | jq .outbox",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print as one JSON object"},
			&cli.IntFlag{Name: "batches", Value: 5, Usage: "how many recent batches to show"},
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
			h := r.h
			st, err := r.cat.Stats(c.Context, c.Int("batches"))
			if err != nil {
				return err
			}
			dead, err := r.cat.DeadLetters(c.Context, 10)
			if err != nil {
				return err
			}
			deadOut := []deadLetter{}
			for _, d := range dead {
				deadOut = append(deadOut, deadLetter{d.ID, d.URI, d.Action, d.Attempts, d.LastError})
			}
			signing := "unavailable"
			if sgn, err := h.Signer(); err != nil {
				signing += ": " + err.Error()
			} else {
				signing = sgn.Backend()
			}
			if c.Bool("json") {
				b, err := json.Marshal(struct {
					repository.Stats
					DeadLetters []deadLetter `json:"dead_letters"`
					Signing     string       `json:"signing"`
				}{st, deadOut, signing})
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, string(b))
				return nil
			}
			printStatus(e.stdout, h, st, deadOut, signing)
			return nil
		},
	}
}

// deadLetter is a dead-letter row as status shows it.
type deadLetter struct {
	ID       int64  `json:"id"`
	URI      string `json:"uri"`
	Action   string `json:"action"`
	Attempts int    `json:"attempts"`
	Reason   string `json:"reason"`
}

// printStatus writes the text form of status: counts by DocType, held
// documents, the outbox and its dead letters, recent batches.
func printStatus(w io.Writer, h *home.Home, st repository.Stats, deadOut []deadLetter, signing string) {
	fmt.Fprintf(w, "Issuer %s (%s): %d %s\nSignatures by %s\n\n", h.Config.Issuer.Name, h.Config.Issuer.ID, st.Documents, plural(st.Documents, "document", "documents"), signing)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DOCTYPE\tACTIVE\tEXPIRED\tREVOKED\tSUSPENDED")
	types := make([]string, 0, len(st.ByDocType))
	for t := range st.ByDocType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		m := st.ByDocType[t]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", t, m["A"], m["E"], m["R"], m["S"])
	}
	tw.Flush()
	if st.Held > 0 {
		fmt.Fprintf(w, "\nHeld: %d %s not yet public, the first released at %s (`issuerkit release` releases them now)\n",
			st.Held, plural(st.Held, "document", "documents"), istTime(*st.NextRelease))
	}
	held := ""
	if st.Outbox.Held > 0 {
		held = fmt.Sprintf(" (%d of them held until their release)", st.Outbox.Held)
	}
	fmt.Fprintf(w, "\nOutbox: %d pending%s, %d pushed, %d dead\n", st.Outbox.Pending, held, st.Outbox.Pushed, st.Outbox.Dead)
	if len(deadOut) > 0 {
		fmt.Fprintln(w, "\nDead letters (re-queue with `issuerkit push --retry-dead`):")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tURI\tACTION\tATTEMPTS\tREASON")
		for _, d := range deadOut {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", d.ID, d.URI, d.Action, d.Attempts, d.Reason)
		}
		tw.Flush()
		if st.Outbox.Dead > len(deadOut) {
			fmt.Fprintf(w, "… and %d more\n", st.Outbox.Dead-len(deadOut))
		}
	}
	if len(st.Batches) > 0 {
		fmt.Fprintln(w, "\nRecent batches:")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "BATCH\tDOCTYPE\tSTATE\tREAD\tISSUED\tUPDATED\tUNCHANGED\tREJECTED")
		for _, b := range st.Batches {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", b.ID, b.DocType, b.State, b.Read, b.Issued, b.Updated, b.Unchanged, b.Rejected)
		}
		tw.Flush()
	}
}
