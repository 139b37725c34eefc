package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// ingestUI shows an ingest's progress on stderr: a bar with rows/s and ETA
// on a terminal, a plain line every plainEvery otherwise. It is called from
// one goroutine.
type ingestUI struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	start    time.Time
	last     time.Time
	quiet    bool
	every    time.Duration // between plain lines
	input    string
	lastSeen ingest.Progress
}

const plainEvery = 10 * time.Second

func newIngestUI(w io.Writer, quiet bool) *ingestUI {
	u := &ingestUI{w: w, start: time.Now(), last: time.Now(), quiet: quiet, every: plainEvery}
	if f, ok := w.(*os.File); ok && !quiet && term.IsTerminal(int(f.Fd())) {
		u.bar = progressbar.NewOptions(1000,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
	}
	return u
}

func (u *ingestUI) update(p ingest.Progress) {
	u.lastSeen = p
	if u.quiet {
		return
	}
	elapsed := time.Since(u.start).Seconds()
	rows, docs := float64(p.Read)/elapsed, float64(p.Issued+p.Updated)/elapsed
	if u.bar != nil {
		if p.Input != u.input {
			u.input = p.Input
			u.bar.Reset()
		}
		if p.Total > 0 {
			u.bar.Set(int(min(1000, 1000*p.Done/p.Total)))
		}
		u.bar.Describe(fmt.Sprintf("%s: %d rows, %.0f rows/s, %.0f docs/s, %d rejected", filepath.Base(p.Input), p.Read, rows, docs, p.Rejected))
		return
	}
	if time.Since(u.last) < u.every {
		return
	}
	u.last = time.Now()
	pct, eta := "", ""
	if p.Total > 0 && p.Done > 0 {
		f := float64(p.Done) / float64(p.Total)
		pct = fmt.Sprintf(" %.0f%%,", 100*f)
		eta = ", ETA " + (time.Duration(elapsed*(1-f)/f) * time.Second).Round(time.Second).String()
	}
	fmt.Fprintf(u.w, "ingest: %s%s %d rows, %.0f rows/s, %.0f docs/s, %d rejected%s\n",
		filepath.Base(p.Input), pct, p.Read, rows, docs, p.Rejected, eta)
}

func (u *ingestUI) finish() {
	if u.bar != nil {
		u.bar.Finish()
	}
}

// printSummaryTable prints the run's counts as a small table.
func printSummaryTable(w io.Writer, s ingest.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "read\tissued\tupdated\tunchanged\trejected\tseconds\tdocs/s\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%.2f\t%.0f\t\n", s.Read, s.Issued, s.Updated, s.Unchanged, s.Rejected, s.Seconds, s.DocsPerSec)
	tw.Flush()
}
