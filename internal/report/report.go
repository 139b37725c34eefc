// Package report renders what the issuerkit commands print: progress on
// stderr (a bar on a terminal, a plain line now and then otherwise), run
// summaries and the status tables.
package report

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/pusher"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Plural is one when n is 1, else many.
func Plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ISTTime formats t for people: in IST, with the zone named.
func ISTTime(t time.Time) string { return t.In(xmlschema.IST).Format("2006-01-02 15:04 MST") }

// IngestUI shows an ingest's progress on stderr: a bar with rows/s and ETA
// on a terminal, a plain line every plainEvery otherwise. It is called from
// one goroutine.
type IngestUI struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	start    time.Time
	last     time.Time
	quiet    bool
	every    time.Duration // between plain lines
	input    string
	lastSeen ingest.Progress
}

// plainEvery is how often a plain progress line is printed.
const plainEvery = 10 * time.Second

// NewIngestUI shows progress on w; quiet shows none.
func NewIngestUI(w io.Writer, quiet bool) *IngestUI {
	u := &IngestUI{w: w, start: time.Now(), last: time.Now(), quiet: quiet, every: plainEvery}
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

// Update shows p.
func (u *IngestUI) Update(p ingest.Progress) {
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

// Finish clears the bar.
func (u *IngestUI) Finish() {
	if u.bar != nil {
		u.bar.Finish()
	}
}

// SummaryTable prints the run's counts as a small table.
func SummaryTable(w io.Writer, s ingest.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "read\tissued\tupdated\tunchanged\trejected\tseconds\tdocs/s\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%.2f\t%.0f\t\n", s.Read, s.Issued, s.Updated, s.Unchanged, s.Rejected, s.Seconds, s.DocsPerSec)
	tw.Flush()
}

// Rate is n per second of d (0 for no time).
func Rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// PushSummary prints a push run's counts and the outbox after it.
func PushSummary(w io.Writer, gateway string, s pusher.Summary, ob repository.OutboxStats) {
	fmt.Fprintf(w, "push: %d pushed to %s in %s (%.0f pushes/s), %d dead-lettered, %d transient failures retried\n",
		s.Pushed, gateway, s.Elapsed.Round(time.Millisecond), Rate(s.Pushed, s.Elapsed), s.Dead, s.Failures)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "pushed\talready there\tretried\tdead\trequests\tpending\tdead total\t")
	fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%d\t\n", s.Pushed, s.Already, s.Failures, s.Dead, s.Requests, ob.Pending, ob.Dead)
	tw.Flush()
	if ob.Held > 0 {
		fmt.Fprintf(w, "%d pending %s for documents held until their release (`issuerkit status` says when)\n",
			ob.Held, Plural(ob.Held, "push waits", "pushes wait"))
	}
	if s.LeaseLost > 0 {
		fmt.Fprintf(w, "%d %s not recorded: the rows' leases ran out while they were pushed, and another pusher may push them again (raise --lease)\n",
			s.LeaseLost, Plural(s.LeaseLost, "result", "results"))
	}
}

// PushUI shows a push's progress on stderr.
type PushUI struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	quiet bool
	start time.Time
	last  time.Time
	total int
}

// NewPushUI shows the progress of pushing total rows on w; quiet shows none.
func NewPushUI(w io.Writer, quiet bool, total int) *PushUI {
	u := &PushUI{w: w, quiet: quiet, start: time.Now(), last: time.Now(), total: total}
	if f, ok := w.(*os.File); ok && !quiet && total > 0 && term.IsTerminal(int(f.Fd())) {
		u.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionShowCount(),
			progressbar.OptionShowDescriptionAtLineEnd(),
		)
	}
	return u
}

// Update shows p.
func (u *PushUI) Update(p pusher.Progress) {
	if u.quiet {
		return
	}
	r := Rate(p.Pushed, time.Since(u.start))
	if u.bar != nil {
		u.bar.Set(min(p.Pushed+p.Dead, u.total))
		u.bar.Describe(fmt.Sprintf("%.0f pushes/s, %d dead, %d retried", r, p.Dead, p.Failures))
		return
	}
	if time.Since(u.last) < plainEvery {
		return
	}
	u.last = time.Now()
	fmt.Fprintf(u.w, "push: %d pushed, %.0f pushes/s, %d dead, %d retried\n", p.Pushed, r, p.Dead, p.Failures)
}

// Finish clears the bar.
func (u *PushUI) Finish() {
	if u.bar != nil {
		u.bar.Finish()
	}
}

// IngestSummary prints an ingest run's summary: counts, the first
// rejected rows and where the rejects report is.
func IngestSummary(w io.Writer, s ingest.Summary) {
	verb := "ingest"
	if s.DryRun {
		verb = "ingest (dry run, nothing written)"
	}
	fmt.Fprintf(w, "%s: read %d, issued %d, updated %d, unchanged %d, rejected %d in %s (%.0f docs/s), batch %s\n",
		verb, s.Read, s.Issued, s.Updated, s.Unchanged, s.Rejected,
		(time.Duration(s.Seconds*1e3) * time.Millisecond).String(), s.DocsPerSec, s.BatchID)
	if s.Resumed {
		fmt.Fprintf(w, "resumed the batch after row %d of an earlier, unfinished run; the counts include that run\n", s.ResumedAfter)
	}
	if !s.ReleaseAt.IsZero() && !s.DryRun {
		fmt.Fprintf(w, "new documents are held until %s: lockers pulling them get Status 9 (pending) and their pushes wait; `issuerkit release` releases them sooner\n", ISTTime(s.ReleaseAt))
	}
	SummaryTable(w, s)
	for _, r := range s.FirstRejects {
		fmt.Fprintf(w, "  %s row %d: %s\n", filepath.Base(r.Input), r.Row, r.Error)
	}
	if more := s.Rejected - len(s.FirstRejects); more > 0 {
		fmt.Fprintf(w, "  … and %d more %s\n", more, Plural(more, "row", "rows"))
		if len(s.Rejects) == 0 {
			fmt.Fprintln(w, "  (a dry run writes no rejects report unless given --rejects FILE: give one to see every rejected row)")
		}
	}
	if len(s.Rejects) > 0 {
		fmt.Fprintf(w, "rejected rows are in %s: correct them there and ingest that file again\n", strings.Join(s.Rejects, ", "))
	}
}

// DeadLetter is a dead-letter row as status shows it.
type DeadLetter struct {
	ID       int64  `json:"id"`
	URI      string `json:"uri"`
	Action   string `json:"action"`
	Attempts int    `json:"attempts"`
	Reason   string `json:"reason"`
}

// Status writes the text form of status: counts by DocType, held
// documents, the outbox and its dead letters, recent batches.
func Status(w io.Writer, issuerName, issuerID string, st repository.Stats, deadOut []DeadLetter, signing string) {
	fmt.Fprintf(w, "Issuer %s (%s): %d %s\nSignatures by %s\n\n", issuerName, issuerID, st.Documents, Plural(st.Documents, "document", "documents"), signing)
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
			st.Held, Plural(st.Held, "document", "documents"), ISTTime(*st.NextRelease))
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

// CatalogMigration prints what catalog migrate copied and checked.
func CatalogMigration(w io.Writer, rep repository.MigrationReport) {
	tables := make([]string, 0, len(rep.Rows))
	for t := range rep.Rows {
		tables = append(tables, t)
	}
	sort.Strings(tables)
	for _, t := range tables {
		fmt.Fprintf(w, "  %-10s %d rows\n", t, rep.Rows[t])
	}
	fmt.Fprintf(w, "catalog migrated to PostgreSQL: versions digest %s…, audit chain verified (head %s…); the home now uses it\n",
		rep.Digest[:12], rep.AuditHead[:min(12, len(rep.AuditHead))])
}

// Created prints what init made in the home h: its files, the signing
// backend and where documents go.
func Created(w io.Writer, h *home.Home, keyType string) {
	fmt.Fprintf(w, "Created issuer home %s for %s (%s)\n", h.Dir, h.Config.Issuer.Name, h.Config.Issuer.ID)
	for _, f := range []struct{ path, what string }{
		{home.ConfigFile, "configuration"},
		{home.SigningKey, "development signing key (" + keyType + ", 0600)"},
		{home.SigningCert, "self-signed signing certificate: give it to lockers and verifiers"},
		{home.APIKeyFile, "API key shared with lockers (0600)"},
		{home.AadhaarKey, "key that encrypts Aadhaar numbers (0600): back it up"},
		{home.CatalogFile, "catalog (SQLite)"},
	} {
		fmt.Fprintf(w, "  %-18s %s\n", f.path, f.what)
	}
	if sgn, err := h.Signer(); err == nil {
		fmt.Fprintf(w, "  %-18s %s\n", "signatures by", sgn.Backend())
	}
	if h.Config.Store.Type == "s3" {
		fmt.Fprintf(w, "  %-18s documents in S3: %s, bucket %s, prefix %q (reachable)\n", "store", h.Config.Store.Endpoint, h.Config.Store.Bucket, h.Config.Store.Prefix)
	} else {
		fmt.Fprintf(w, "  %-18s %s\n", home.StoreDir+"/", "document store")
	}
}
