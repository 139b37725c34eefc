package report

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Lines prints a listing: an aligned table under a header, or, for
// scripts, one JSON object per line.
type Lines struct {
	w    io.Writer
	tw   *tabwriter.Writer
	json bool
}

// NewLines starts a listing on w; header is the table's tab-separated
// header line (not printed with asJSON).
func NewLines(w io.Writer, asJSON bool, header string) *Lines {
	l := &Lines{w: w, tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), json: asJSON}
	if !asJSON {
		fmt.Fprintln(l.tw, header)
	}
	return l
}

// Row prints v as JSON, or the table row format makes of args.
func (l *Lines) Row(v any, format string, args ...any) error {
	if l.json {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(l.w, string(b))
		return err
	}
	_, err := fmt.Fprintf(l.tw, format+"\n", args...)
	return err
}

// Flush ends the table.
func (l *Lines) Flush() error { return l.tw.Flush() }
