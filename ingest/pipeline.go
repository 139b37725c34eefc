package ingest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
	"golang.org/x/sync/errgroup"
)

// Deps are the parts of an issuer's home the pipeline writes to.
type Deps struct {
	Store   store.Store
	Catalog repository.Catalog
	Signer  *signer.Signer
	Keyring *aadhaar.Keyring
}

// Options configure one ingest run.
type Options struct {
	Profile     *Profile
	Issuer      Issuer
	Inputs      []string
	Workers     int    // default 3 × GOMAXPROCS
	DryRun      bool   // validate, render and sign, but write nothing
	RejectsPath string // default rejects-<batch>.csv beside the input
	CSV         CSVOptions
	Sheet       string // XLSX sheet; default the first
	// Now is the clock for issue dates; default time.Now.
	Now func() time.Time
	// Progress, when set, is called from one goroutine as rows complete.
	Progress func(Progress)
	Logger   *slog.Logger
	// ReleaseAt, when ahead, holds the batch's new documents back until
	// then: they are signed, stored and findable by the operator, but the
	// API answers their holders "pending" (Status 9) and their pushes wait.
	// They are dated the day of ReleaseAt (in IST).
	// A correction of a held document keeps it held (until ReleaseAt when
	// set); a correction of a public document is public at once. A resumed
	// batch keeps the release time it started with.
	ReleaseAt time.Time
	// Shard, when Count > 1, makes this run handle only its share of the
	// rows: those whose DocID hashes to Index (0-based) modulo Count, and
	// of the rows with no DocID those whose line does. Run one process per
	// shard against a shared catalog; together they handle every row once.
	Shard Shard
}

// Shard names one of Count parts of the input.
type Shard struct{ Index, Count int }

// mine reports whether a row belongs to the shard: by DocID, or by line
// when the row has none.
func (sh Shard) mine(docID string, line int) bool {
	if sh.Count <= 1 {
		return true
	}
	h := fnv.New32a()
	if docID != "" {
		h.Write([]byte(docID))
	} else {
		fmt.Fprintf(h, "line %d", line)
	}
	return int(h.Sum32()%uint32(sh.Count)) == sh.Index
}

// Summary is what an ingest run did.
type Summary struct {
	BatchID string `json:"batch"`
	repository.Counts
	Seconds    float64  `json:"seconds"`
	DocsPerSec float64  `json:"docs_per_sec"`
	Rejects    []string `json:"rejects,omitempty"` // report files written
	// FirstRejects are the first few rejected rows, for a quick look.
	FirstRejects []Reject `json:"first_rejects,omitempty"`
	DryRun       bool     `json:"dry_run,omitempty"`
	Interrupted  bool     `json:"interrupted,omitempty"`
	// Resumed says the run continued an unfinished batch after
	// ResumedAfter rows; the counts include the earlier run's.
	Resumed      bool `json:"resumed,omitempty"`
	ResumedAfter int  `json:"resumed_after,omitempty"`
	resumedDocs  int
	// ReleaseAt is when the batch's new documents become public, when
	// they are held.
	ReleaseAt time.Time `json:"release_at,omitzero"`
	// OtherShards counts rows left to the other shards (with --shard).
	OtherShards int `json:"other_shards,omitempty"`
}

// Progress is a snapshot of a running ingest.
type Progress struct {
	repository.Counts
	Input string // the input being read
	// Done and Total measure how far through Input the reader is, in the
	// reader's own unit (bytes of a CSV file, rows of an XLSX sheet); Total
	// is 0 when unknown.
	Done, Total int64
}

// progressReporter is implemented by readers that know how far they got.
type progressReporter interface {
	Progress() (done, total int64)
}

// Reject names one rejected row; Error never holds a full Aadhaar.
type Reject struct {
	Input string `json:"input"`
	Row   int    `json:"row"`
	Error string `json:"error"`
}

// maxFirstRejects bounds Summary.FirstRejects.
const maxFirstRejects = 5

// ChunkRows is how many rows travel together between pipeline stages, and
// so how many documents a worker signs in one call at most.
const ChunkRows = 64

// commitBatch is how many documents one catalog transaction commits.
const commitBatch = 1024

// DefaultWorkers is the number of workers a run has unless Options say:
// three a core. A worker in a cgo call (OpenSSL's signature, ~85% of an
// RSA row) keeps its P until the runtime takes it back, so with two a
// core the cores idled ~10% of an RSA dry run (189% of 200%); three reach
// 197%: 5,500 → 5,700 docs/s on 2 cores, ECDSA unchanged (2026-12-02).
func DefaultWorkers() int { return 3 * runtime.GOMAXPROCS(0) }

// Run ingests every input. When ctx is canceled (SIGINT), reading stops,
// rows already read are finished and committed, and Run returns the summary
// with Interrupted set and an error wrapping context.Canceled. A rerun of the
// same command (same profile, same unchanged inputs) after an interruption,
// a failure or a kill -9 resumes that batch after its last committed row.
func Run(ctx context.Context, d Deps, o Options) (Summary, error) {
	start := time.Now()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := Summary{BatchID: newBatchID(start), DryRun: o.DryRun}
	if o.Shard.Count > 1 && (o.Shard.Index < 0 || o.Shard.Index >= o.Shard.Count) {
		return s, fmt.Errorf("shard %d/%d: the index must be from 0 to %d", o.Shard.Index, o.Shard.Count, o.Shard.Count-1)
	}
	for _, in := range o.Inputs {
		if !supportedInput(in) {
			return s, fmt.Errorf("%s: %w", in, errUnsupported(in))
		}
	}
	fp, err := fingerprint(o.Profile.Path, o.Inputs)
	if err != nil {
		return s, err
	}
	if o.Shard.Count > 1 {
		fp += fmt.Sprintf("-shard%d/%d", o.Shard.Index, o.Shard.Count) // each shard resumes its own batch
	}
	if !o.ReleaseAt.IsZero() && !o.ReleaseAt.After(start) {
		return s, fmt.Errorf("the release time %s has passed: give a later one, or none to issue at once",
			o.ReleaseAt.In(xmlschema.IST).Format("2006-01-02 15:04 MST"))
	}
	batch := repository.Batch{ID: s.BatchID, Profile: o.Profile.Path, DocType: o.Profile.DocType,
		Inputs: strings.Join(o.Inputs, ","), StartedAt: start, Fingerprint: fp, ReleaseAt: o.ReleaseAt}
	// Bookkeeping must survive the interrupt that stops reading.
	bg := context.WithoutCancel(ctx)
	batch, mark, err := startBatch(bg, d, &o, &s, batch)
	if err != nil {
		return s, err
	}
	s.ReleaseAt = o.ReleaseAt
	seen := newDocIDSet()
	defer seen.release()
	var runErr error
	// A batch resumed at a later input remembers the DocIDs of the inputs
	// before it, as the run that read them did: a duplicate across files
	// stays a duplicate however often the batch was interrupted.
	for i := 0; i < mark.InputIndex && runErr == nil; i++ {
		runErr = rememberInput(ctx, o, i, seen)
		if p := rejectsPath(o.RejectsPath, o.Inputs[i], s.BatchID, i); fileExists(p) {
			s.Rejects = append(s.Rejects, p)
		}
	}
	for i := mark.InputIndex; i < len(o.Inputs) && runErr == nil; i++ {
		in := o.Inputs[i]
		rejPath := rejectsPath(o.RejectsPath, in, s.BatchID, i)
		resume := repository.Watermark{InputIndex: i, Seq: -1, Counts: s.Counts}
		if i == mark.InputIndex {
			resume = mark
			if mark.RejectsSize > 0 {
				rejPath = mark.RejectsPath // where the run it resumes wrote them
			}
		}
		wrote, err := runInput(ctx, d, o, s.BatchID, in, rejPath, resume, seen, &s)
		if wrote {
			s.Rejects = append(s.Rejects, rejPath)
		}
		if err != nil {
			runErr = err
			break
		}
		if ctx.Err() != nil {
			break
		}
	}
	s.Seconds = time.Since(start).Seconds()
	if s.Seconds > 0 {
		s.DocsPerSec = float64(s.Issued+s.Updated-s.resumedDocs) / s.Seconds
	}
	batch.State, batch.FinishedAt, batch.Counts = "done", time.Now(), s.Counts
	switch {
	case runErr == nil && ctx.Err() != nil:
		s.Interrupted, batch.State = true, "interrupted"
		runErr = fmt.Errorf("ingest interrupted after %d rows: every row read was committed; run the same command again to continue: %w", s.Read, ctx.Err())
	case runErr != nil:
		batch.State = "failed"
	}
	if !o.DryRun {
		if err := d.Catalog.FinishBatch(bg, batch); err != nil && runErr == nil {
			runErr = err
		}
	}
	o.Logger.Debug("ingest finished", "batch", s.BatchID, "state", batch.State, "read", s.Read, "issued", s.Issued,
		"updated", s.Updated, "unchanged", s.Unchanged, "rejected", s.Rejected, "seconds", s.Seconds)
	return s, runErr
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// rememberInput puts the DocID of every row of input i that maps, and is
// this shard's, into seen (the first row of a DocID wins), as runInput's
// sequencer did when it read the input: a resumed batch's inputs before
// the one it resumes in are read again for this alone.
func rememberInput(ctx context.Context, o Options, i int, seen *docIDSet) error {
	input := o.Inputs[i]
	rr, m, closeInput, err := openMapped(input, o)
	if err != nil {
		return err
	}
	defer closeInput()
	o.Logger.Debug("ingest resume: reading an earlier input's DocIDs", "input", input)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", input, err)
		}
		rec, err := m.Map(row)
		if err != nil || !o.Shard.mine(rec.DocID, row.Line) {
			continue
		}
		if _, dup := seen.get(rec.DocID); !dup {
			seen.put(rec.DocID, seenAt{input: int32(i), line: int32(row.Line)})
		}
	}
}

// startBatch records batch as started in the catalog, or, when an earlier
// run of the same command left it unfinished, resumes that one: s then
// carries its counts, o its release time, and mark says where to go on.
// A dry run records nothing.
func startBatch(ctx context.Context, d Deps, o *Options, s *Summary, batch repository.Batch) (repository.Batch, repository.Watermark, error) {
	mark := repository.Watermark{Seq: -1}
	if o.DryRun {
		return batch, mark, nil
	}
	prev, err := d.Catalog.ResumableBatch(ctx, o.Profile.Path, batch.Fingerprint)
	switch {
	case err == nil && !o.ReleaseAt.IsZero() && !o.ReleaseAt.Equal(prev.ReleaseAt):
		held := "issued its documents at once"
		if !prev.ReleaseAt.IsZero() {
			held = "holds its documents until " + prev.ReleaseAt.In(xmlschema.IST).Format(time.RFC3339)
		}
		return batch, mark, fmt.Errorf("batch %s, which this run would resume, %s: rerun it as it started", prev.ID, held)
	case err == nil:
		// A resumed batch holds the rest of its documents as it held
		// the first ones, whatever this run's flags say.
		o.ReleaseAt = prev.ReleaseAt
		batch, mark = prev, prev.Mark
		s.BatchID, s.Counts, s.Resumed = prev.ID, prev.Mark.Counts, true
		s.ResumedAfter = prev.Mark.Counts.Read
		s.resumedDocs = prev.Mark.Counts.Issued + prev.Mark.Counts.Updated
		o.Logger.Info("resuming batch", "batch", prev.ID, "input", mark.InputIndex, "after_rows", s.ResumedAfter)
	case !errors.Is(err, repository.ErrNotFound):
		return batch, mark, err
	}
	return batch, mark, d.Catalog.StartBatch(ctx, batch)
}

// fingerprint identifies a profile and a list of inputs by path, size and
// modification time: a rerun may resume a batch only over the same files.
func fingerprint(profile string, inputs []string) (string, error) {
	h := sha256.New()
	for i, p := range append([]string{profile}, inputs...) {
		if i == 0 && p == "" {
			continue // a profile parsed from memory, not a file
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("open input: %w", err)
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", abs, fi.Size(), fi.ModTime().UnixNano())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r     io.Reader
	n     atomic.Int64
	total int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *countingReader) Progress() (int64, int64) { return c.n.Load(), c.total }

func newBatchID(t time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

func rejectsPath(flag, input, batch string, i int) string {
	if flag == "" {
		flag = filepath.Join(filepath.Dir(input), "rejects-"+batch+".csv")
	}
	if i == 0 {
		return flag
	}
	ext := filepath.Ext(flag)
	return strings.TrimSuffix(flag, ext) + "-" + strconv.Itoa(i+1) + ext
}

// seenAt is where a DocID was first seen: the input's index and the line.
type seenAt struct {
	input, line int32
}

// job is one row on its way through the pipeline; seq orders commits. A
// replay job is a row an earlier run of the batch committed: it is only
// mapped, so the resumed run knows its DocID for duplicate detection.
type job struct {
	seq    int
	row    Row
	replay bool
}

type outcome int

const (
	outReject outcome = iota
	outOther          // another shard's row
	outUnchanged
	outIssue
	outUpdate
	outReplay
)

type result struct {
	seq    int
	row    Row
	kind   outcome
	err    string // for outReject
	docID  string
	change repository.Change
	data   []byte
}

// openInput opens input with the reader its extension names. close
// releases it.
func openInput(input string, o Options) (rr RowReader, close func(), err error) {
	switch strings.ToLower(filepath.Ext(input)) {
	case ".csv", ".txt", ".tsv":
		f, err := os.Open(input)
		if err != nil {
			return nil, nil, fmt.Errorf("open input: %w", err)
		}
		cr := &countingReader{r: f}
		if fi, err := f.Stat(); err == nil {
			cr.total = fi.Size()
		}
		c, err := NewCSVReader(cr, o.CSV)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", input, err)
		}
		c.progress = cr
		return c, func() { f.Close() }, nil
	case ".xlsx", ".xlsm":
		xr, err := NewXLSXReader(input, o.Sheet)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", input, err)
		}
		return xr, func() { xr.Close() }, nil
	}
	return nil, nil, fmt.Errorf("%s: %w", input, errUnsupported(input))
}

// openMapped opens input and binds the profile to its header, with the
// run's clock for date rules; close closes the input.
func openMapped(input string, o Options) (rr RowReader, m *Mapper, close func(), err error) {
	rr, close, err = openInput(input, o)
	if err != nil {
		return nil, nil, nil, err
	}
	if m, err = o.Profile.Bind(rr.Header()); err != nil {
		close()
		return nil, nil, nil, fmt.Errorf("%s: %w", input, err)
	}
	m.SetNow(o.Now())
	return rr, m, close, nil
}

// supportedInput says whether openInput has a reader for input's extension.
func supportedInput(input string) bool {
	switch strings.ToLower(filepath.Ext(input)) {
	case ".csv", ".txt", ".tsv", ".xlsx", ".xlsm":
		return true
	}
	return false
}

func errUnsupported(input string) error {
	return fmt.Errorf("unsupported input type %q (want .csv, .tsv, .txt, .xlsx or .xlsm)", filepath.Ext(input))
}

// runInput streams one input file through reader → workers → sequencer →
// writer, starting after resume.Seq. It reports whether a rejects report
// exists for the input. Everything that can fail before the first row is
// done before any goroutine starts, so an early error leaves none behind.
func runInput(ctx context.Context, d Deps, o Options, batchID, input, rejPath string, resume repository.Watermark, seen *docIDSet, sum *Summary) (bool, error) {
	rr, m, closeInput, err := openMapped(input, o)
	if err != nil {
		return false, err
	}
	defer closeInput()
	// The work group is canceled only by a fatal error; ctx (SIGINT) stops
	// the reader alone, so rows in flight are still committed.
	known, err := loadKnown(context.WithoutCancel(ctx), d.Catalog, o.Profile.DocType)
	if err != nil {
		return false, err
	}
	defer known.release() // after g.Wait below: no worker reads it any more
	tokens := make(chan struct{}, o.Workers*4*ChunkRows+2*commitBatch)
	// One commit may wait while the writer works on the previous one.
	commits := make(chan commitReq, 1)
	pr, _ := rr.(progressReporter)
	sq := &sequencer{o: o, m: m, input: input, reader: pr, rejPath: rejPath, header: rr.Header(), seen: seen, sum: sum,
		tokens: tokens, mark: resume, commits: commits}
	if err := sq.openRejects(resume); err != nil {
		return false, err
	}
	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	// Rows travel in chunks: one hand-off per chunk, not per row, keeps
	// the scheduler's wake-ups off the hot path.
	jobs := make(chan []job)
	results := make(chan []result, o.Workers*2)
	g.Go(func() error {
		defer close(jobs)
		return readRows(ctx, gctx, rr, input, resume, tokens, jobs)
	})
	w := worker{d: d, o: o, m: m, known: known, issueDate: o.Now().In(xmlschema.IST).Format("02-01-2006")}
	g.Go(func() error {
		defer close(results)
		return w.runAll(gctx, o.Workers, jobs, results)
	})
	wr := &writer{d: d, o: o, batchID: batchID, tokens: tokens, sum: sum, committed: resume.Counts}
	g.Go(func() error {
		defer close(commits)
		return sq.run(gctx, results)
	})
	g.Go(func() error { return wr.run(gctx, commits) })
	err = g.Wait()
	if cerr := sq.closeRejects(); cerr != nil && err == nil {
		err = cerr
	}
	if o.DryRun {
		sum.Counts = sq.planned
	} else {
		sum.Counts = wr.committed
	}
	sum.OtherShards += sq.other
	return sq.rejFile != nil || resume.RejectsSize > 0, err
}

// readRows reads rr into chunks of jobs, taking a token per row so that no
// more rows are in flight than the pipeline has room for. ctx (SIGINT)
// stops it cleanly; gctx ends it on a fatal error elsewhere.
func readRows(ctx, gctx context.Context, rr RowReader, input string, resume repository.Watermark, tokens chan struct{}, jobs chan<- []job) error {
	chunk := make([]job, 0, ChunkRows)
	send := func() bool {
		if len(chunk) == 0 {
			return true
		}
		select {
		case jobs <- chunk:
			chunk = make([]job, 0, ChunkRows)
			return true
		case <-gctx.Done():
			return false
		}
	}
	for seq := 0; ; seq++ {
		select {
		case tokens <- struct{}{}:
		default:
			// Out of tokens: hand over what we have before waiting.
			if !send() {
				return nil
			}
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return nil
			case <-gctx.Done():
				return nil
			}
		}
		if ctx.Err() != nil {
			<-tokens
			send()
			return nil
		}
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			<-tokens
			if seq <= resume.Seq {
				return fmt.Errorf("%s: the input ends at row %d, before the resumed batch's row %d: was it changed?", input, seq, resume.Seq+1)
			}
			send()
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", input, err)
		}
		chunk = append(chunk, job{seq: seq, row: row, replay: seq <= resume.Seq})
		if len(chunk) == ChunkRows && !send() {
			return nil
		}
	}
}

// runAll runs n workers over jobs, each chunk's results in one hand-off.
func (w *worker) runAll(ctx context.Context, n int, jobs <-chan []job, results chan<- []result) error {
	workers, wctx := errgroup.WithContext(ctx)
	for range n {
		workers.Go(func() error {
			var c chunkWork
			for chunk := range jobs {
				out, err := w.processChunk(wctx, chunk, &c)
				if err != nil {
					return err
				}
				select {
				case results <- out:
				case <-wctx.Done():
					return wctx.Err()
				}
			}
			return nil
		})
	}
	return workers.Wait()
}

// chunkWork is a worker's scratch space for the documents of a chunk that
// wait for their signatures.
type chunkWork struct {
	waiting []unsigned
	items   []signer.Enveloped
}

// processChunk handles a chunk's rows: each is mapped and decided, the
// documents to issue are rendered, then all of them are signed in one call
// (signer.SignEnvelopedAll) and finished.
func (w *worker) processChunk(ctx context.Context, chunk []job, c *chunkWork) ([]result, error) {
	out := make([]result, len(chunk))
	c.waiting, c.items = c.waiting[:0], c.items[:0]
	defer func() {
		for _, u := range c.waiting {
			encodings.Put(u.e)
		}
		clear(c.waiting)
		clear(c.items)
	}()
	for i, j := range chunk {
		r, u, err := w.process(ctx, j)
		if err != nil {
			return nil, err
		}
		out[i] = r
		if u != nil {
			u.at = i
			c.waiting = append(c.waiting, *u)
			c.items = append(c.items, signer.Enveloped{Doc: u.e.Doc, End: u.e.End, Canon: u.e.Canon})
		}
	}
	if len(c.items) == 0 {
		return out, nil
	}
	if err := w.d.Signer.SignEnvelopedAll(c.items); err != nil {
		if ie, ok := errors.AsType[*signer.ItemError](err); ok && ie.Item < len(c.waiting) {
			return nil, fmt.Errorf("row %d: %w", chunk[c.waiting[ie.Item].at].row.Line, err)
		}
		return nil, fmt.Errorf("rows %d-%d: %w", chunk[0].row.Line, chunk[len(chunk)-1].row.Line, err)
	}
	if w.o.DryRun {
		return out, nil // what finish makes is for the store and the catalog, which a dry run does not write
	}
	for k := range c.waiting {
		u := &c.waiting[k]
		if err := w.finish(&out[u.at], u, c.items[k].Signed); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type worker struct {
	d         Deps
	o         Options
	m         *Mapper
	known     *uriSet
	issueDate string
}

// loadKnown reads every URI the catalog had for the doctype when the run
// started: a URI not in the set is new without asking the catalog, which on
// results day (mostly new documents) saves a query per row. A hash
// collision only costs that query. 15 to 30 bytes a document, off the heap.
func loadKnown(ctx context.Context, c repository.Catalog, doctype string) (*uriSet, error) {
	s := newURISet()
	err := c.ForEachURI(ctx, doctype, func(uri string) error {
		s.add(uri)
		return nil
	})
	if err != nil {
		s.release()
		return nil, err
	}
	return s, nil
}

// unsigned is a rendered document waiting for its signature, and what
// finishing its row needs.
type unsigned struct {
	at        int // its row's place in the chunk
	e         *xmlschema.Encoded
	rec       *Record
	cert      *xmlschema.Certificate
	u         xmlschema.URI
	uidHash   string
	hash      string
	prev      int
	status    xmlschema.Status
	release   time.Time
	issueDate string
}

// process decides a row. A document to issue comes back rendered and
// unsigned, for finish once it is signed; a document only the tree can
// write (a profile's namespaced names) comes back signed and finished.
func (w *worker) process(ctx context.Context, j job) (result, *unsigned, error) {
	r := result{seq: j.seq, row: j.row}
	rec, err := w.m.Map(j.row)
	if j.replay {
		r.kind = outReplay
		if err == nil {
			r.docID = rec.DocID
		}
		return r, nil, nil
	}
	docID := ""
	if err == nil {
		docID = rec.DocID
	}
	if !w.o.Shard.mine(docID, j.row.Line) {
		r.kind = outOther
		return r, nil, nil
	}
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			r.kind, r.err = outReject, re.Error()
			return r, nil, nil
		}
		return r, nil, err
	}
	p := w.m.p
	u := xmlschema.URI{IssuerID: w.o.Issuer.ID, DocType: p.DocType, DocID: rec.DocID}
	r.docID = rec.DocID
	uidHash := ""
	if rec.Aadhaar != "" {
		uidHash = w.d.Keyring.LookupHash(rec.Aadhaar)
	}
	hash := rec.ContentHash(p.DocType, uidHash)
	cur, err := w.decide(ctx, &r, u.String(), hash)
	if err != nil || r.kind == outReject || r.kind == outUnchanged {
		return r, nil, err
	}
	un := &unsigned{rec: rec, u: u, uidHash: uidHash, hash: hash}
	if r.kind == outUpdate {
		un.prev = cur.Version
	}
	un.status, un.release, un.issueDate = w.statusAndHold(un.prev, cur)
	if un.cert, err = w.m.Certificate(rec, w.o.Issuer, un.issueDate, un.status); err != nil {
		r.kind, r.err = outReject, err.Error()
		return r, nil, nil
	}
	e := encodings.Get().(*xmlschema.Encoded)
	switch err := un.cert.Encode(e); {
	case errors.Is(err, xmlschema.ErrNotPlain):
		encodings.Put(e)
		data, rejected, err := w.signedTree(un.cert, j.row.Line)
		if err != nil {
			return r, nil, err
		}
		if rejected != "" {
			r.kind, r.err = outReject, rejected
			return r, nil, nil
		}
		return r, nil, w.finish(&r, un, data)
	case err != nil:
		encodings.Put(e)
		r.kind, r.err = outReject, err.Error()
		return r, nil, nil
	}
	un.e = e
	return r, un, nil
}

// finish completes r, a row whose document un is now signed as data: the
// catalog change and, for a holder with an Aadhaar number, the push.
func (w *worker) finish(r *result, un *unsigned, data []byte) error {
	p, cert, u := w.m.p, un.cert, un.u
	sum := sha256.Sum256(data)
	version := un.prev + 1
	reason := ""
	if cert.PrevNumber != "" && cert.PrevNumber != un.rec.DocID {
		// A correction under a new DocID: the audit log links the two.
		reason = "replaces " + xmlschema.URI{IssuerID: u.IssuerID, DocType: u.DocType, DocID: cert.PrevNumber}.String()
	}
	uri := u.String()
	r.data = data
	r.change = repository.Change{
		Doc: repository.Document{
			URI: uri, DocType: p.DocType, DocID: un.rec.DocID, Version: version,
			ObjectKey: store.ObjectKey(u, version), ObjectSHA256: hex.EncodeToString(sum[:]),
			ContentHash: un.hash, Status: un.status, SearchKey: repository.SearchKey(un.rec.Search),
			UIDHash: un.uidHash, HolderName: un.rec.HolderName, HolderDOB: un.rec.HolderDOB, IssueDate: un.issueDate,
			ReleaseAt: un.release,
		},
		PrevVersion: un.prev,
		Size:        int64(len(data)),
		Reason:      reason,
	}
	if un.rec.Aadhaar != "" {
		var err error
		if r.change.Outbox, err = w.outboxRow(un.rec, uri, un.prev, cert); err != nil {
			return err
		}
	}
	return nil
}

// decide is the per-row decision: it sets r.kind to outIssue for a URI
// the catalog does not have, outUpdate (returning the current version)
// for changed content, outUnchanged for the same content hash, and
// outReject for a revoked document, which ingest does not re-issue.
func (w *worker) decide(ctx context.Context, r *result, uri, hash string) (repository.Document, error) {
	var cur repository.Document
	err := repository.ErrNotFound
	if w.known.mayHave(uri) {
		cur, err = w.d.Catalog.Current(ctx, uri)
	}
	switch {
	case errors.Is(err, repository.ErrNotFound):
		r.kind = outIssue
	case err != nil:
		return cur, err
	case cur.Status == xmlschema.StatusRevoked:
		r.kind, r.err = outReject, "the document "+uri+" is revoked; it is not re-issued by ingest"
	case cur.ContentHash == hash:
		r.kind = outUnchanged
	default:
		r.kind = outUpdate
	}
	return cur, nil
}

// statusAndHold gives a new version (prev > 0: a correction of cur) its
// status, release time and issue date. A correction of a suspended
// document stays suspended until it is reinstated. A new document is held
// when the batch holds its documents; a correction of a held one stays
// held (until the batch's time when it has one), of a public one is
// public. A held document is dated the day it is released: results carry
// the day they were declared.
func (w *worker) statusAndHold(prev int, cur repository.Document) (xmlschema.Status, time.Time, string) {
	status := xmlschema.StatusActive
	if prev > 0 && cur.Status == xmlschema.StatusSuspended {
		status = xmlschema.StatusSuspended
	}
	release := w.o.ReleaseAt
	if prev > 0 {
		switch {
		case !cur.Held(time.Now()):
			release = time.Time{}
		case release.IsZero():
			release = cur.ReleaseAt
		}
	}
	issueDate := w.issueDate
	if !release.IsZero() {
		issueDate = release.In(xmlschema.IST).Format("02-01-2006")
	}
	return status, release, issueDate
}

// encodings are the workers' reusable buffers for Certificate.Encode.
var encodings = sync.Pool{New: func() any { return new(xmlschema.Encoded) }}

// signedTree renders and signs cert through the tree, for a Certificate
// that Encode cannot write as bytes: the signed bytes, or why the row is
// rejected, or an error that stops the run (a signer failing).
func (w *worker) signedTree(cert *xmlschema.Certificate, line int) (data []byte, rejected string, err error) {
	doc, err := cert.Render()
	if err != nil {
		return nil, err.Error(), nil
	}
	if err := w.d.Signer.Sign(doc); err != nil {
		return nil, "", fmt.Errorf("row %d: %w", line, err)
	}
	data, err = xmlschema.Bytes(doc)
	return data, "", err
}

// outboxRow is the push a new version of a document with an Aadhaar
// number owes its holder's locker: an A for a new document, a U for a
// correction; the number is stored encrypted.
func (w *worker) outboxRow(rec *Record, uri string, prev int, cert *xmlschema.Certificate) (*repository.OutboxEntry, error) {
	enc, err := w.d.Keyring.Encrypt(rec.Aadhaar, uri)
	if err != nil {
		return nil, err
	}
	action := repository.ActionAdd
	if prev > 0 {
		action = repository.ActionUpdate
	}
	slash := func(d string) string { return strings.ReplaceAll(d, "-", "/") }
	return &repository.OutboxEntry{Action: action, DocName: w.m.p.DocName,
		IssuedOn: slash(cert.IssueDate), ValidFrom: slash(cert.ValidFromDate), ValidTo: slash(cert.ExpiryDate), AadhaarEnc: enc}, nil
}
