package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/issuerkit/issuerkit/repository"
	"golang.org/x/sync/errgroup"
)

// committer takes results in any order and handles them in input order:
// duplicates are decided in favour of the earlier row, the rejects report
// follows the input, and each group of documents is stored and then
// cataloged in one transaction.
type committer struct {
	d        Deps
	o        Options
	batchID  string
	input    string
	inputIdx int
	rejPath  string
	header   []string
	seen     map[string]seenAt
	sum      *Summary
	counts   *repository.Counts
	tokens   chan struct{}

	next    int
	pending map[int]result
	batch   []result
	rejFile *os.File
	rejCSV  *csv.Writer
}

func (c *committer) run(ctx context.Context, results <-chan result) error {
	c.pending = map[int]result{}
	for {
		var r result
		var ok bool
		select {
		case r, ok = <-results:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			if len(c.pending) > 0 {
				return fmt.Errorf("internal error: %d results never became due", len(c.pending))
			}
			return c.flush(ctx)
		}
		c.pending[r.seq] = r
		for {
			due, ok := c.pending[c.next]
			if !ok {
				break
			}
			delete(c.pending, c.next)
			c.next++
			if err := c.handle(ctx, due); err != nil {
				return err
			}
		}
		// Commit a full group, or whatever is ready when no result waits.
		if len(c.batch) >= commitBatch || (len(results) == 0 && len(c.batch) > 0) {
			if err := c.flush(ctx); err != nil {
				return err
			}
		}
	}
}

func (c *committer) handle(ctx context.Context, r result) error {
	c.counts.Read++
	if r.kind != outReject {
		if prev, dup := c.seen[r.docID]; dup {
			where := "row " + strconv.Itoa(prev.line)
			if prev.input != c.inputIdx {
				where += " of " + filepath.Base(c.o.Inputs[prev.input])
			}
			r.kind, r.err = outReject, "duplicate DocID: the same document as "+where
		} else {
			c.seen[r.docID] = seenAt{input: c.inputIdx, line: r.row.Line}
		}
	}
	switch r.kind {
	case outReject:
		c.release(1)
		return c.reject(r)
	case outUnchanged:
		c.counts.Unchanged++
		c.release(1)
		c.progress()
		return nil
	}
	c.batch = append(c.batch, r)
	return nil
}

func (c *committer) release(n int) {
	for range n {
		<-c.tokens
	}
}

func (c *committer) progress() {
	if c.o.Progress != nil {
		c.o.Progress(*c.counts)
	}
}

// flush stores the group's objects, then catalogs them in one transaction.
// Objects are durable before the transaction that references them commits;
// an object left without a catalog row by a crash is replaced on rerun.
func (c *committer) flush(ctx context.Context) error {
	if len(c.batch) == 0 {
		return nil
	}
	if !c.o.DryRun {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(16)
		for i := range c.batch {
			r := &c.batch[i]
			g.Go(func() error { return c.put(gctx, r) })
		}
		if err := g.Wait(); err != nil {
			return err
		}
		changes := make([]repository.Change, len(c.batch))
		for i := range c.batch {
			changes[i] = c.batch[i].change
		}
		if err := c.d.Catalog.Apply(ctx, c.batchID, changes); err != nil {
			return fmt.Errorf("commit rows %d-%d: %w", c.batch[0].row.Line, c.batch[len(c.batch)-1].row.Line, err)
		}
	}
	for _, r := range c.batch {
		if r.kind == outIssue {
			c.counts.Issued++
		} else {
			c.counts.Updated++
		}
	}
	c.release(len(c.batch))
	c.batch = c.batch[:0]
	c.progress()
	return nil
}

func (c *committer) put(ctx context.Context, r *result) error {
	key := r.change.Doc.ObjectKey
	err := c.d.Store.Put(ctx, key, r.data)
	if errors.Is(err, repository.ErrExists) {
		// Write-once protects committed versions only: an object the
		// catalog does not know is an orphan of an interrupted run.
		has, herr := c.d.Catalog.HasVersion(ctx, r.change.Doc.URI, r.change.Doc.Version)
		if herr != nil {
			return herr
		}
		if has {
			return fmt.Errorf("row %d: %s: %w", r.row.Line, key, err)
		}
		if err := c.d.Store.Delete(ctx, key); err != nil {
			return err
		}
		err = c.d.Store.Put(ctx, key, r.data)
	}
	if err != nil {
		return fmt.Errorf("row %d: store: %w", r.row.Line, err)
	}
	return nil
}

// reject appends the row to the rejects report, created 0600 on first use.
func (c *committer) reject(r result) error {
	c.counts.Rejected++
	if len(c.sum.FirstRejects) < maxFirstRejects {
		c.sum.FirstRejects = append(c.sum.FirstRejects, Reject{Input: c.input, Row: r.row.Line, Error: r.err})
	}
	c.progress()
	if c.o.DryRun && c.o.RejectsPath == "" {
		return nil
	}
	if c.rejCSV == nil {
		f, err := os.OpenFile(c.rejPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("rejects report: %w", err)
		}
		if err := f.Chmod(0o600); err != nil { // also when the file existed
			f.Close()
			return fmt.Errorf("rejects report: %w", err)
		}
		c.rejFile, c.rejCSV = f, csv.NewWriter(f)
		hdr := append([]string{"row", "error"}, c.header...)
		for i := range hdr {
			hdr[i] = escapeFormula(hdr[i])
		}
		if err := c.rejCSV.Write(hdr); err != nil {
			return err
		}
	}
	rec := make([]string, 0, len(c.header)+2)
	rec = append(rec, strconv.Itoa(r.row.Line), escapeFormula(r.err))
	for i := range c.header {
		cell := ""
		if i < len(r.row.Cells) {
			cell = r.row.Cells[i]
		}
		rec = append(rec, escapeFormula(cell))
	}
	return c.rejCSV.Write(rec)
}

func (c *committer) closeRejects() error {
	if c.rejFile == nil {
		return nil
	}
	c.rejCSV.Flush()
	if err := c.rejCSV.Error(); err != nil {
		c.rejFile.Close()
		return fmt.Errorf("rejects report: %w", err)
	}
	if err := c.rejFile.Sync(); err != nil {
		c.rejFile.Close()
		return err
	}
	return c.rejFile.Close()
}
