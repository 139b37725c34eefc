package ingest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
	"golang.org/x/sync/errgroup"
)

// Deps are the parts of an issuer's home the pipeline writes to.
type Deps struct {
	Store   repository.Store
	Catalog repository.Catalog
	Signer  *signer.Signer
	Keyring *aadhaar.Keyring
}

// Options configure one ingest run.
type Options struct {
	Profile     *Profile
	Issuer      Issuer
	Inputs      []string
	Workers     int    // default GOMAXPROCS
	DryRun      bool   // validate, render and sign, but write nothing
	RejectsPath string // default rejects-<batch>.csv beside the input
	// Now is the clock for issue dates; default time.Now.
	Now func() time.Time
	// Progress, when set, is called from one goroutine as rows complete.
	Progress func(repository.Counts)
	Logger   *slog.Logger
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
}

// Reject names one rejected row; Error never holds a full Aadhaar.
type Reject struct {
	Input string `json:"input"`
	Row   int    `json:"row"`
	Error string `json:"error"`
}

// maxFirstRejects bounds Summary.FirstRejects.
const maxFirstRejects = 5

// commitBatch is how many documents one catalog transaction commits.
const commitBatch = 256

// IST is India Standard Time; issue dates are Indian calendar dates.
var IST = time.FixedZone("IST", 5*3600+1800)

// Run ingests every input. When ctx is canceled (SIGINT), reading stops,
// rows already read are finished and committed, and Run returns the summary
// with Interrupted set and an error wrapping context.Canceled.
func Run(ctx context.Context, d Deps, o Options) (Summary, error) {
	start := time.Now()
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := Summary{BatchID: newBatchID(start), DryRun: o.DryRun}
	batch := repository.Batch{ID: s.BatchID, Profile: o.Profile.Path, DocType: o.Profile.DocType,
		Inputs: strings.Join(o.Inputs, ","), StartedAt: start}
	// Bookkeeping must survive the interrupt that stops reading.
	bg := context.WithoutCancel(ctx)
	if !o.DryRun {
		if err := d.Catalog.StartBatch(bg, batch); err != nil {
			return s, err
		}
	}
	seen := map[string]seenAt{}
	var runErr error
	for i, in := range o.Inputs {
		rejPath := rejectsPath(o.RejectsPath, in, s.BatchID, i)
		wrote, err := runInput(ctx, d, o, s.BatchID, i, in, rejPath, seen, &s)
		if wrote {
			s.Rejects = append(s.Rejects, rejPath)
		}
		if err != nil {
			runErr = err
			break
		}
	}
	s.Seconds = time.Since(start).Seconds()
	if s.Seconds > 0 {
		s.DocsPerSec = float64(s.Issued+s.Updated) / s.Seconds
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

type seenAt struct {
	input int
	line  int
}

// job is one row on its way through the pipeline; seq orders commits.
type job struct {
	seq int
	row Row
}

type outcome int

const (
	outReject outcome = iota
	outUnchanged
	outIssue
	outUpdate
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

// runInput streams one input file through reader → workers → committer. It
// reports whether it wrote a rejects report.
func runInput(ctx context.Context, d Deps, o Options, batchID string, inputIdx int, input, rejPath string, seen map[string]seenAt, sum *Summary) (bool, error) {
	f, err := os.Open(input)
	if err != nil {
		return false, fmt.Errorf("open input: %w", err)
	}
	defer f.Close()
	var rr RowReader
	switch strings.ToLower(filepath.Ext(input)) {
	case ".csv", ".txt":
		rr, err = NewCSVReader(f)
	default:
		return false, fmt.Errorf("%s: unsupported input type %q (want .csv)", input, filepath.Ext(input))
	}
	if err != nil {
		return false, fmt.Errorf("%s: %w", input, err)
	}
	m, err := o.Profile.Bind(rr.Header())
	if err != nil {
		return false, fmt.Errorf("%s: %w", input, err)
	}
	// The work group is canceled only by a fatal error; ctx (SIGINT) stops
	// the reader alone, so rows in flight are still committed.
	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	inflight := o.Workers*4 + commitBatch
	tokens := make(chan struct{}, inflight)
	jobs := make(chan job)
	results := make(chan result, o.Workers*2)

	g.Go(func() error {
		defer close(jobs)
		for seq := 0; ; seq++ {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return nil
			case <-gctx.Done():
				return nil
			}
			row, err := rr.Next()
			if errors.Is(err, io.EOF) {
				<-tokens
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", input, err)
			}
			select {
			case jobs <- job{seq: seq, row: row}:
			case <-gctx.Done():
				return nil
			}
		}
	})
	w := worker{d: d, o: o, m: m, issueDate: o.Now().In(IST).Format("02-01-2006")}
	workers, wctx := errgroup.WithContext(gctx)
	for range o.Workers {
		workers.Go(func() error {
			for j := range jobs {
				r, err := w.process(wctx, j)
				if err != nil {
					return err
				}
				select {
				case results <- r:
				case <-wctx.Done():
					return wctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := workers.Wait()
		close(results)
		return err
	})
	c := &committer{d: d, o: o, batchID: batchID, input: input, inputIdx: inputIdx, rejPath: rejPath,
		header: rr.Header(), seen: seen, sum: sum, counts: &sum.Counts, tokens: tokens}
	g.Go(func() error { return c.run(gctx, results) })
	err = g.Wait()
	if cerr := c.closeRejects(); cerr != nil && err == nil {
		err = cerr
	}
	return c.rejFile != nil, err
}

type worker struct {
	d         Deps
	o         Options
	m         *Mapper
	issueDate string
}

func (w *worker) process(ctx context.Context, j job) (result, error) {
	r := result{seq: j.seq, row: j.row}
	rec, err := w.m.Map(j.row)
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			r.kind, r.err = outReject, re.Error()
			return r, nil
		}
		return r, err
	}
	p := w.m.p
	u := xmlschema.URI{IssuerID: w.o.Issuer.ID, DocType: p.DocType, DocID: rec.DocID}
	uri := u.String()
	r.docID = rec.DocID
	uidHash := ""
	if rec.Aadhaar != "" {
		uidHash = w.d.Keyring.LookupHash(rec.Aadhaar)
	}
	hash := rec.ContentHash(p.DocType, uidHash)
	prev := 0
	cur, err := w.d.Catalog.Current(ctx, uri)
	switch {
	case errors.Is(err, repository.ErrNotFound):
		r.kind = outIssue
	case err != nil:
		return r, err
	case cur.Status == xmlschema.StatusRevoked:
		r.kind, r.err = outReject, "the document "+uri+" is revoked; it is not re-issued by ingest"
		return r, nil
	case cur.ContentHash == hash:
		r.kind = outUnchanged
		return r, nil
	default:
		r.kind, prev = outUpdate, cur.Version
	}
	cert, err := w.m.Certificate(rec, w.o.Issuer, w.issueDate, xmlschema.StatusActive)
	if err != nil {
		r.kind, r.err = outReject, guard(err.Error())
		return r, nil
	}
	doc, err := cert.Render()
	if err != nil {
		r.kind, r.err = outReject, guard(err.Error())
		return r, nil
	}
	if err := w.d.Signer.Sign(doc); err != nil {
		return r, fmt.Errorf("row %d: %w", j.row.Line, err)
	}
	data, err := xmlschema.Bytes(doc)
	if err != nil {
		return r, err
	}
	sum := sha256.Sum256(data)
	version := prev + 1
	r.data = data
	r.change = repository.Change{
		Doc: repository.Document{
			URI: uri, DocType: p.DocType, DocID: rec.DocID, Version: version,
			ObjectKey: repository.ObjectKey(u, version), ObjectSHA256: hex.EncodeToString(sum[:]),
			ContentHash: hash, Status: xmlschema.StatusActive, SearchKey: repository.SearchKey(rec.Search),
			UIDHash: uidHash, HolderName: rec.HolderName, HolderDOB: rec.HolderDOB, IssueDate: w.issueDate,
		},
		PrevVersion: prev,
		Size:        int64(len(data)),
	}
	if rec.Aadhaar != "" {
		enc, err := w.d.Keyring.Encrypt(rec.Aadhaar, uri)
		if err != nil {
			return r, err
		}
		action := repository.ActionAdd
		if prev > 0 {
			action = repository.ActionUpdate
		}
		slash := strings.ReplaceAll(w.issueDate, "-", "/")
		r.change.Outbox = &repository.OutboxEntry{Action: action, DocName: p.DocName,
			IssuedOn: slash, ValidFrom: slash, AadhaarEnc: enc}
	}
	return r, nil
}
