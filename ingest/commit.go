package ingest

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"golang.org/x/sync/errgroup"
)

// commitReq is one group commit: the documents to store and catalog, and
// the journal mark that becomes true with them.
type commitReq struct {
	docs []result
	mark repository.Watermark
}

// sequencer takes results in any order and handles them in input order:
// duplicates are decided in favour of the earlier row, the rejects report
// follows the input, and documents are grouped into commits whose size
// adapts to how fast the writer commits (group commit).
type sequencer struct {
	o       Options
	other   int // rows of other shards
	m       *Mapper
	reader  progressReporter // may be nil
	input   string
	rejPath string
	header  []string
	seen    *docIDSet
	sum     *Summary
	tokens  chan struct{}
	commits chan<- commitReq

	next    int                  // the next sequence number due
	pending map[int]result       // results that arrived early
	batch   []result             // documents not yet sent to the writer
	dirty   int                  // rows handled since the last mark was sent
	mark    repository.Watermark // the last mark sent
	planned repository.Counts    // counts including rows not yet committed
	rejFile *os.File
	rejCSV  *csv.Writer
	rejDirt bool // rejects written since the last flush
	rejNew  bool // the report was created and its directory entry is not yet synced
}

// commitEvery is the group-commit cadence: ingest is a batch job, so fewer,
// larger commits (less WAL and file-system journal traffic) beat latency.
const commitEvery = 100 * time.Millisecond

func (q *sequencer) run(ctx context.Context, results <-chan []result) error {
	q.pending = map[int]result{}
	q.planned = q.mark.Counts
	tick := time.NewTicker(commitEvery)
	defer tick.Stop()
	for {
		var rs []result
		var ok bool
		select {
		case rs, ok = <-results:
		case <-tick.C:
			if err := q.send(ctx); err != nil {
				return err
			}
			continue
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			if len(q.pending) > 0 {
				return fmt.Errorf("internal error: %d results never became due", len(q.pending))
			}
			return q.send(ctx)
		}
		for _, r := range rs {
			q.pending[r.seq] = r
		}
		for {
			due, ok := q.pending[q.next]
			if !ok {
				break
			}
			delete(q.pending, q.next)
			q.next++
			if err := q.handle(due); err != nil {
				return err
			}
		}
		if len(q.batch) >= commitBatch || q.dirty >= 4*commitBatch {
			if err := q.send(ctx); err != nil {
				return err
			}
		}
	}
}

// remember records r's DocID for duplicate detection.
func (q *sequencer) remember(r result) {
	q.seen.put(r.docID, seenAt{input: int32(q.mark.InputIndex), line: int32(r.row.Line)})
}

// estimateAt is the row at which the sequencer sizes the DocID set for the
// whole input, from the reader's estimate of the rows it holds: far enough
// in that the rows read so far are a fair sample of their length.
const estimateAt = 4096

// rowEstimator is implemented by readers that can tell how many rows their
// whole input holds (0 when they cannot).
type rowEstimator interface {
	EstimatedRows() int64
}

// reserveSeen sizes the DocID set for the rows the input still holds, so
// that it does not grow by doubling: at 5M rows a doubling holds the old
// and the new table together, 150 MB instead of 75.
func (q *sequencer) reserveSeen() {
	e, ok := q.reader.(rowEstimator)
	if !ok {
		return
	}
	rest := e.EstimatedRows() - int64(q.next)
	if rest <= 0 {
		return
	}
	q.seen.reserve(q.seen.n + int(float64(rest)*1.05))
}

func (q *sequencer) handle(r result) error {
	if q.next == estimateAt {
		q.reserveSeen()
	}
	if r.kind == outOther {
		q.other++
		<-q.tokens
		return nil
	}
	if r.kind == outReplay {
		// Committed by an earlier run: only remember its DocID, as that
		// run did (a row that did not map has none).
		if _, dup := q.seen.get(r.docID); r.docID != "" && !dup {
			q.remember(r)
		}
		<-q.tokens
		return nil
	}
	q.planned.Read++
	q.dirty++
	// Every row that mapped has its DocID (one rejected later too, say for
	// its template): the first such row is remembered, as a replay of it
	// remembers it, and any later one is a duplicate.
	if r.docID != "" {
		if prev, dup := q.seen.get(r.docID); !dup {
			q.remember(r)
		} else if r.kind != outReject {
			where := "row " + strconv.Itoa(int(prev.line))
			if int(prev.input) != q.mark.InputIndex {
				where += " of " + filepath.Base(q.o.Inputs[prev.input])
			}
			// Said so that the report is not fed back as it is: alone, the
			// row would be a correction of that document, to another holder.
			r.kind, r.err = outReject, "duplicate DocID: the same document as "+where+
				"; correct the columns its DocID is made of, or drop this row (ingested again as it is, it would replace that document)"
		}
	}
	switch r.kind {
	case outReject:
		<-q.tokens
		return q.reject(r)
	case outUnchanged:
		q.planned.Unchanged++
		<-q.tokens
	case outIssue:
		q.planned.Issued++
		q.batch = append(q.batch, r)
	case outUpdate:
		q.planned.Updated++
		q.batch = append(q.batch, r)
	}
	q.progress()
	return nil
}

func (q *sequencer) progress() {
	if q.o.Progress == nil {
		return
	}
	p := Progress{Counts: q.planned, Input: q.input}
	if q.reader != nil {
		p.Done, p.Total = q.reader.Progress()
	}
	q.o.Progress(p)
}

// send hands the batch and a mark through the last handled row to the
// writer.
func (q *sequencer) send(ctx context.Context) error {
	if q.dirty == 0 {
		return nil
	}
	if err := q.flushRejects(); err != nil {
		return err
	}
	mark := repository.Watermark{InputIndex: q.mark.InputIndex, Seq: q.next - 1, Counts: q.planned,
		RejectsPath: q.mark.RejectsPath, RejectsSize: q.mark.RejectsSize}
	if q.rejFile != nil {
		off, err := q.rejFile.Seek(0, io.SeekCurrent)
		if err != nil {
			return fmt.Errorf("rejects report: %w", err)
		}
		mark.RejectsPath, mark.RejectsSize = q.rejPath, off
	}
	select {
	case q.commits <- commitReq{docs: q.batch, mark: mark}:
	case <-ctx.Done():
		return ctx.Err()
	}
	q.batch, q.dirty, q.mark = nil, 0, mark
	return nil
}

// openRejects reopens the report of a resumed input at its durable length.
func (q *sequencer) openRejects(resume repository.Watermark) error {
	if resume.RejectsSize == 0 || q.o.DryRun {
		return nil
	}
	f, err := os.OpenFile(resume.RejectsPath, os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("rejects report of the resumed batch (it lists the rows rejected before the interruption; put it back, or touch the input to start a new batch): %w", err)
	}
	err = f.Truncate(resume.RejectsSize)
	if err == nil {
		_, err = f.Seek(resume.RejectsSize, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("rejects report of the resumed batch: %w", err)
	}
	q.rejPath, q.rejFile, q.rejCSV = resume.RejectsPath, f, csv.NewWriter(f)
	return nil
}

// reject appends the row to the rejects report, created 0600 on first use.
func (q *sequencer) reject(r result) error {
	// The one redaction every row error passes before the summary, stdout
	// and the report's error column: whatever produced it.
	r.err = guard(r.err)
	q.planned.Rejected++
	if len(q.sum.FirstRejects) < maxFirstRejects {
		q.sum.FirstRejects = append(q.sum.FirstRejects, Reject{Input: q.input, Row: r.row.Line, Error: r.err})
	}
	q.progress()
	if q.o.DryRun && q.o.RejectsPath == "" {
		return nil
	}
	if q.rejCSV == nil {
		f, err := os.OpenFile(q.rejPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return fmt.Errorf("rejects report: %w", err)
		}
		if err := f.Chmod(0o600); err != nil { // also when the file existed
			f.Close()
			return fmt.Errorf("rejects report: %w", err)
		}
		q.rejFile, q.rejCSV, q.rejNew = f, csv.NewWriter(f), true
		hdr := append([]string{"row", "error"}, q.header...)
		for i := range hdr {
			hdr[i] = escapeFormula(hdr[i])
		}
		if err := q.rejCSV.Write(hdr); err != nil {
			return fmt.Errorf("rejects report: %w", err)
		}
	}
	rec := make([]string, 0, len(q.header)+2)
	rec = append(rec, strconv.Itoa(r.row.Line), escapeFormula(r.err))
	cells := q.m.Display(r.row)
	for i := range q.header {
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		rec = append(rec, escapeFormula(cell))
	}
	q.rejDirt = true
	return q.rejCSV.Write(rec)
}

// flushRejects makes every reject written so far durable, so that a mark
// never covers a reject a crash could lose.
func (q *sequencer) flushRejects() error {
	if !q.rejDirt {
		return nil
	}
	q.rejCSV.Flush()
	if err := q.rejCSV.Error(); err != nil {
		return fmt.Errorf("rejects report: %w", err)
	}
	if err := q.rejFile.Sync(); err != nil {
		return fmt.Errorf("rejects report: %w", err)
	}
	if q.rejNew {
		// The mark that follows says the report exists: its name must be
		// as durable as its rows, or a power cut could leave a batch
		// whose every rerun fails to reopen it.
		if err := store.SyncDir(filepath.Dir(q.rejPath)); err != nil {
			return fmt.Errorf("rejects report: %w", err)
		}
		q.rejNew = false
	}
	q.rejDirt = false
	return nil
}

func (q *sequencer) closeRejects() error {
	if q.rejFile == nil {
		return nil
	}
	err := q.flushRejects()
	if cerr := q.rejFile.Close(); err == nil {
		err = cerr
	}
	return err
}

// writer stores each commit's objects, then catalogs them and advances the
// journal in one transaction. Objects are durable before the transaction
// that references them; an object a crash left without a catalog row is an
// orphan that the rerun replaces.
//
// The two steps are a two-stage pipeline: while commit k's transaction
// runs, commit k+1's objects are being written and synced, so neither the
// disk nor the catalog waits for the other. Transactions stay in input
// order, and each one's objects are durable before it starts.
type writer struct {
	d         Deps
	o         Options
	batchID   string
	tokens    chan struct{}
	sum       *Summary
	committed repository.Counts
}

// stored is a commit whose objects are durable, on its way to the catalog.
type stored struct {
	req      commitReq
	storeMS  int64
	replaced []replaced // objects of others this commit's replaced as orphans
}

func (w *writer) run(ctx context.Context, commits <-chan commitReq) error {
	ready := make(chan stored, 1)
	// A failing catalog stops the store stage (gctx); a failing store, or
	// a failure anywhere else in the pipeline (ctx), lets the catalog stage
	// finish the commits already stored, uncanceled: their objects are
	// durable, and a transaction canceled mid-commit could be committed
	// without the summary knowing. There are at most two such commits.
	g, gctx := errgroup.WithContext(ctx)
	commitCtx := context.WithoutCancel(ctx)
	g.Go(func() error {
		defer close(ready)
		for {
			var req commitReq
			select {
			case r, ok := <-commits:
				if !ok {
					return nil
				}
				req = r
			case <-gctx.Done():
				return gctx.Err()
			}
			start := time.Now()
			rep, err := w.store(gctx, req)
			if err != nil {
				return err
			}
			select {
			case ready <- stored{req: req, storeMS: time.Since(start).Milliseconds(), replaced: rep}:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
	})
	g.Go(func() error {
		for s := range ready {
			if err := w.catalog(commitCtx, s); err != nil {
				return err
			}
			w.committed = s.req.mark.Counts
			for range s.req.docs {
				<-w.tokens
			}
		}
		return nil
	})
	err := g.Wait()
	if err != nil {
		// Drain so the sequencer is not left blocked on a send; the
		// error cancels the rest of the pipeline.
		go func() {
			for range commits {
			}
		}()
	}
	return err
}

// store writes req's objects durably, replacing orphans of earlier runs,
// and returns what it replaced.
func (w *writer) store(ctx context.Context, req commitReq) ([]replaced, error) {
	if w.o.DryRun || len(req.docs) == 0 {
		return nil, nil
	}
	objs := make([]store.Object, len(req.docs))
	for i, r := range req.docs {
		objs[i] = store.Object{Key: r.change.Doc.ObjectKey, Data: r.data}
	}
	errs, err := store.PutAll(ctx, w.d.Store, objs, 16)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var rep []replaced
	for i, perr := range errs {
		if perr == nil {
			continue
		}
		r := &req.docs[i]
		old, err := replaceOrphan(ctx, w.d, r.change.Doc, r.data, perr)
		if err != nil {
			return rep, fmt.Errorf("row %d: %w", r.row.Line, err)
		}
		rep = append(rep, old)
	}
	return rep, nil
}

// catalog records s's documents and its journal mark in one transaction.
func (w *writer) catalog(ctx context.Context, s stored) error {
	if w.o.DryRun {
		return nil
	}
	start := time.Now()
	req := s.req
	changes := make([]repository.Change, len(req.docs))
	for i := range req.docs {
		changes[i] = req.docs[i].change
	}
	if err := w.d.Catalog.Apply(ctx, w.batchID, changes, &req.mark); err != nil {
		if errors.Is(err, repository.ErrConflict) {
			err = errors.Join(err, restoreReplaced(context.WithoutCancel(ctx), w.d, s.replaced))
		}
		if len(req.docs) > 0 {
			return fmt.Errorf("commit rows %d-%d: %w", req.docs[0].row.Line, req.docs[len(req.docs)-1].row.Line, err)
		}
		return err
	}
	w.o.Logger.Debug("commit", "docs", len(req.docs), "store_ms", s.storeMS,
		"catalog_ms", time.Since(start).Milliseconds())
	return nil
}

// replaced is an object replaceOrphan found at a key and replaced: its
// key, the version it was taken to be an orphan of, and its bytes.
type replaced struct {
	uri     string
	version int
	key     string
	data    []byte
}

// replaceOrphan handles a Put of doc's object refused because the key
// exists: write-once protects committed versions only, so an object the
// catalog does not know is an orphan of an interrupted run and is replaced.
// It may instead be the object of another writer of the same version that
// has not committed yet (a revoke beside an ingest's correction of one
// document): the bytes replaced are returned, for restoreReplaced to put
// back if that other writer's commit is the one the catalog took. (A crash
// between the lost commit and that leaves the other writer's version with
// this writer's bytes; GetVerified refuses it, by its SHA-256, rather than
// serve them.)
func replaceOrphan(ctx context.Context, d Deps, doc repository.Document, data []byte, putErr error) (replaced, error) {
	if !errors.Is(putErr, repository.ErrExists) {
		return replaced{}, fmt.Errorf("store: %w", putErr)
	}
	has, err := d.Catalog.HasVersion(ctx, doc.URI, doc.Version)
	if err != nil {
		return replaced{}, err
	}
	if has {
		return replaced{}, fmt.Errorf("%s: %w", doc.ObjectKey, putErr)
	}
	old, err := d.Store.Get(ctx, doc.ObjectKey)
	if err != nil && !errors.Is(err, repository.ErrNotFound) {
		return replaced{}, err
	}
	if err := d.Store.Delete(ctx, doc.ObjectKey); err != nil {
		return replaced{}, err
	}
	if err := d.Store.Put(ctx, doc.ObjectKey, data); err != nil {
		return replaced{}, fmt.Errorf("store: %w", err)
	}
	return replaced{uri: doc.URI, version: doc.Version, key: doc.ObjectKey, data: old}, nil
}

// restoreReplaced runs after a commit lost to another writer
// (ErrConflict): each object it had replaced whose version the catalog now
// has was that writer's, and is put back; one whose version the catalog
// still lacks was an orphan after all and stays replaced.
func restoreReplaced(ctx context.Context, d Deps, rep []replaced) error {
	var errs []error
	for _, r := range rep {
		has, err := d.Catalog.HasVersion(ctx, r.uri, r.version)
		if err != nil {
			errs = append(errs, err)
		}
		if err != nil || !has || r.data == nil {
			continue
		}
		if err := d.Store.Delete(ctx, r.key); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", r.key, err))
			continue
		}
		if err := d.Store.Put(ctx, r.key, r.data); err != nil {
			errs = append(errs, fmt.Errorf("restore %s: %w", r.key, err))
		}
	}
	return errors.Join(errs...)
}
