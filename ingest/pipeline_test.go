package ingest_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/csv"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/signer"
)

type fixture struct {
	dir  string
	h    *home.Home
	deps ingest.Deps
	prof *ingest.Profile
}

func newFixture(t *testing.T) *fixture { return newFixtureTB(t) }

func newFixtureTB(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	h, err := home.Init(ctx, filepath.Join(dir, "home"), home.InitOptions{IssuerID: "in.gov.test", IssuerName: "Test Board"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, h: h}
	cat, err := h.OpenCatalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	store, err := h.OpenStore(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sgn, err := h.Signer()
	if err != nil {
		t.Fatal(err)
	}
	kr, err := h.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	f.deps = ingest.Deps{Store: store, Catalog: cat, Signer: sgn, Keyring: kr}
	if f.prof, err = ingest.LoadProfile("../samples/profiles/cbse-sscer.yaml"); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) run(t *testing.T, ctx context.Context, inputs []string, mod func(*ingest.Options)) (ingest.Summary, error) {
	t.Helper()
	o := ingest.Options{Profile: f.prof, Issuer: ingest.Issuer{ID: "in.gov.test", Name: "Test Board", Type: "SG"}, Inputs: inputs, Workers: 3}
	if mod != nil {
		mod(&o)
	}
	return ingest.Run(ctx, f.deps, o)
}

func (f *fixture) writeCSV(t *testing.T, name string, rows [][]string) string {
	return f.writeCSVTB(t, name, rows)
}

func (f *fixture) writeCSVTB(t testing.TB, name string, rows [][]string) string {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(rows)
	p := filepath.Join(f.dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func genRows(n int, o samples.Options) [][]string {
	rows := [][]string{samples.Header}
	o.Rows = n
	for i := range n {
		r, _ := o.Row(i)
		rows = append(rows, r)
	}
	return rows
}

// sampleURI ingests the sample CSV and returns the URI of one of its
// documents.
func (f *fixture) sampleURI(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	if _, err := f.run(t, ctx, []string{"../samples/cbse-sscer-2025.csv"}, nil); err != nil {
		t.Fatal(err)
	}
	var uri string
	f.deps.Catalog.ForEachURI(ctx, "SSCER", func(u string) error {
		if uri == "" {
			uri = u
		}
		return nil
	})
	return uri
}

func (f *fixture) stats(t *testing.T) repository.Stats {
	t.Helper()
	st, err := f.deps.Catalog.Stats(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func countObjects(t *testing.T, s store.Store) int {
	t.Helper()
	n := 0
	if err := s.List(context.Background(), "", func(store.ObjectInfo) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRunSampleThenRerun(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := []string{"../samples/cbse-sscer-2025.csv"}
	s, err := f.run(t, ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Read != 24 || s.Issued != 24 || s.Rejected != 0 || len(s.Rejects) != 0 {
		t.Fatalf("first run: %+v", s)
	}
	st := f.stats(t)
	if st.Documents != 24 || st.Outbox.Pending != 24 || countObjects(t, f.deps.Store) != 24 {
		t.Fatalf("after first run: %+v, %d objects", st, countObjects(t, f.deps.Store))
	}
	s, err = f.run(t, ctx, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Read != 24 || s.Unchanged != 24 || s.Issued+s.Updated != 0 {
		t.Fatalf("rerun: %+v, want 24 unchanged", s)
	}
	if st := f.stats(t); st.Outbox.Pending != 24 || countObjects(t, f.deps.Store) != 24 {
		t.Fatalf("rerun changed something: %+v", st)
	}
}

func TestRunUpdateMakesNewVersion(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rows := genRows(5, samples.Options{Seed: 3})
	in := f.writeCSV(t, "a.csv", rows)
	if _, err := f.run(t, ctx, []string{in}, nil); err != nil {
		t.Fatal(err)
	}
	// Change Sub1Theory of the second data row (generated 30..80).
	if rows[2][15] == "31" {
		rows[2][15] = "32"
	} else {
		rows[2][15] = "31"
	}
	in = f.writeCSV(t, "b.csv", rows)
	s, err := f.run(t, ctx, []string{in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Updated != 1 || s.Unchanged != 4 {
		t.Fatalf("summary %+v, want 1 updated 4 unchanged", s)
	}
	uri := "in.gov.test-SSCER-" + rows[2][0] + "2025"
	d, err := f.deps.Catalog.Current(ctx, uri)
	if err != nil || d.Version != 2 || !strings.HasSuffix(d.ObjectKey, "/v2.xml") {
		t.Fatalf("current = %+v, %v", d, err)
	}
	for _, v := range []int{1, 2} {
		if _, err := f.deps.Store.Get(ctx, "in.gov.test/SSCER/"+rows[2][0]+"2025/v"+string(rune('0'+v))+".xml"); err != nil {
			t.Errorf("version %d: %v", v, err)
		}
	}
	if st := f.stats(t); st.Outbox.Pending != 6 {
		t.Fatalf("outbox = %+v, want 5 A + 1 U", st.Outbox)
	}
}

func TestRejectsReport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rows := genRows(6, samples.Options{Seed: 9})
	rows[2][7] = "X"                  // bad gender, line 3
	rows[4][11] = "=HYPERLINK(\"x\")" // formula-looking school name (valid text), line 5
	rows[4][6] = "31-02-2009"         // bad date, line 5
	rows[5][6] = "05-01-2099"         // born in the future, line 6
	rows[6][0] = rows[1][0]           // duplicate of line 2, at line 7
	in := f.writeCSV(t, "in.csv", rows)
	rej := filepath.Join(f.dir, "rejects.csv")
	s, err := f.run(t, ctx, []string{in}, func(o *ingest.Options) { o.RejectsPath = rej })
	if err != nil {
		t.Fatal(err)
	}
	if s.Read != 6 || s.Issued != 2 || s.Rejected != 4 || len(s.Rejects) != 1 || s.Rejects[0] != rej {
		t.Fatalf("summary %+v", s)
	}
	fi, err := os.Stat(rej)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("rejects report mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	b, _ := os.ReadFile(rej)
	got, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got[0], ",") != "row,error,"+strings.Join(samples.Header, ",") {
		t.Fatalf("header = %v", got[0])
	}
	want := []struct{ line, err string }{
		{"3", `Gender: "X" is not one of M, F, T`},
		{"5", `DOB: "31-02-2009" is not a valid date`},
		{"6", "DOB: 05-01-2099 is in the future (rule not_future; the run is on "},
		{"7", "duplicate DocID: the same document as row 2"},
	}
	if len(got) != 5 {
		t.Fatalf("report has %d data rows, want 4:\n%s", len(got)-1, b)
	}
	for i, w := range want {
		r := got[i+1]
		if r[0] != w.line || !strings.Contains(r[1], w.err) {
			t.Errorf("report row %d = %q %q, want line %s and %q", i+1, r[0], r[1], w.line, w.err)
		}
	}
	if got[2][2+11] != `'=HYPERLINK("x")` {
		t.Errorf("formula cell written as %q, want a leading '", got[2][2+11])
	}
	if got[1][2+8] != rows[2][8] {
		t.Errorf("report lost the row's own Aadhaar cell")
	}
	for _, r := range got[1:] {
		if uid := r[2+8]; uid != "" && strings.Contains(r[1], uid) {
			t.Errorf("error column of row %s holds the full Aadhaar: %q", r[0], r[1])
		}
	}

	// Correct the report in place and feed it back as it is.
	got[1][2+7] = "F"
	got[2][2+6] = "28-02-2009"
	got[3][2+6] = "05-01-2010"
	got[4][2+0] = "5999999"
	var buf bytes.Buffer
	csv.NewWriter(&buf).WriteAll(got)
	fixed := filepath.Join(f.dir, "fixed.csv")
	os.WriteFile(fixed, buf.Bytes(), 0o600)
	s, err = f.run(t, ctx, []string{fixed}, func(o *ingest.Options) { o.RejectsPath = filepath.Join(f.dir, "r2.csv") })
	if err != nil {
		t.Fatal(err)
	}
	if s.Issued != 4 || s.Rejected != 0 {
		t.Fatalf("re-ingest of corrected report: %+v", s)
	}
	d, err := f.deps.Catalog.Current(ctx, "in.gov.test-SSCER-"+rows[4][0]+"2025")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := f.deps.Store.Get(ctx, d.ObjectKey)
	if !bytes.Contains(data, []byte(`name="=HYPERLINK(&quot;x&quot;)"`)) {
		t.Errorf("the report's ' escape was not removed on re-ingest")
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	f := newFixture(t)
	rows := genRows(8, samples.Options{Seed: 4})
	rows[3][7] = "Z"
	in := f.writeCSV(t, "in.csv", rows)
	s, err := f.run(t, context.Background(), []string{in}, func(o *ingest.Options) { o.DryRun = true })
	if err != nil {
		t.Fatal(err)
	}
	if s.Issued != 7 || s.Rejected != 1 || !s.DryRun || len(s.Rejects) != 0 {
		t.Fatalf("dry run summary %+v", s)
	}
	if st := f.stats(t); st.Documents != 0 || len(st.Batches) != 0 || countObjects(t, f.deps.Store) != 0 {
		t.Fatalf("dry run wrote: %+v", st)
	}
	if ents, _ := filepath.Glob(filepath.Join(f.dir, "rejects-*")); len(ents) != 0 {
		t.Fatalf("dry run wrote %v", ents)
	}
}

func TestOrphanObjectIsReplaced(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rows := genRows(3, samples.Options{Seed: 5})
	// A crash after the object write but before the catalog commit leaves
	// an orphan, possibly with other bytes (an earlier day's issue date).
	key := "in.gov.test/SSCER/" + rows[1][0] + "2025/v1.xml"
	if err := f.deps.Store.Put(ctx, key, []byte("<orphan/>")); err != nil {
		t.Fatal(err)
	}
	s, err := f.run(t, ctx, []string{f.writeCSV(t, "in.csv", rows)}, nil)
	if err != nil || s.Issued != 3 {
		t.Fatalf("run: %+v, %v", s, err)
	}
	data, _ := f.deps.Store.Get(ctx, key)
	if bytes.Contains(data, []byte("orphan")) {
		t.Fatal("orphan object was not replaced")
	}
}

func TestInterruptThenRerun(t *testing.T) {
	f := newFixture(t)
	// More rows than the pipeline keeps in flight (a few thousand): once
	// the interrupt lands, the reader reads at most one more row, so the
	// first run is partial whatever the timing.
	const total = 3000
	rows := genRows(total, samples.Options{Seed: 6})
	// Every second row repeats its predecessor's DocID with other marks:
	// wherever the interrupt lands, the rerun must still reject them all.
	for i := 2; i < len(rows); i += 2 {
		rows[i][0] = rows[i-1][0]
	}
	in := f.writeCSV(t, "in.csv", rows)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := f.run(t, ctx, []string{in}, func(o *ingest.Options) {
		o.Progress = func(p ingest.Progress) {
			if p.Read >= 50 {
				cancel()
			}
		}
	})
	if !errors.Is(err, context.Canceled) || !s.Interrupted {
		t.Fatalf("interrupted run: %+v, %v", s, err)
	}
	if s.Read >= total || s.Issued+s.Rejected != s.Read {
		t.Fatalf("interrupted run read %d, issued %d, rejected %d: want a partial run with every read row committed", s.Read, s.Issued, s.Rejected)
	}
	first, batch := s.Read, s.BatchID
	s, err = f.run(t, context.Background(), []string{in}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Resumed || s.BatchID != batch || s.ResumedAfter != first || s.Read != total || s.Issued != total/2 || s.Rejected != total/2 || s.Updated != 0 {
		t.Fatalf("rerun: %+v, want batch %s resumed after %d rows, %d issued and %d duplicates rejected in all", s, batch, first, total/2, total/2)
	}
	st := f.stats(t)
	if len(st.Batches) != 1 || st.Batches[0].State != "done" || st.Batches[0].Issued != total/2 {
		t.Fatalf("batches after the resumed run: %+v", st.Batches)
	}
	if st.Documents != total/2 || st.Outbox.Pending != total/2 || countObjects(t, f.deps.Store) != total/2 {
		t.Fatalf("after rerun: %d documents, %d outbox, %d objects; want %d each", st.Documents, st.Outbox.Pending, countObjects(t, f.deps.Store), total/2)
	}
	// A third run is a new batch with nothing to do.
	if s, err = f.run(t, context.Background(), []string{in}, nil); err != nil || s.Resumed || s.Unchanged != total/2 || s.Rejected != total/2 {
		t.Fatalf("third run: %+v, %v", s, err)
	}
}

// BenchmarkIngest measures end-to-end ingest (fs store, SQLite, RSA-2048)
// per document; make bench reports the same through the real binary.
func BenchmarkIngest(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		f := newFixtureTB(b)
		in := f.writeCSVTB(b, "in.csv", genRows(2000, samples.Options{Seed: 12}))
		b.StartTimer()
		s, err := ingest.Run(context.Background(), f.deps, ingest.Options{Profile: f.prof,
			Issuer: ingest.Issuer{ID: "in.gov.test", Name: "Test Board", Type: "SG"}, Inputs: []string{in}})
		if err != nil || s.Issued != 2000 {
			b.Fatalf("%+v %v", s, err)
		}
	}
	b.ReportMetric(float64(2000*b.N)/b.Elapsed().Seconds(), "docs/s")
}

// failingURIs is a catalog whose ForEachURI fails, as a database that
// goes away after the batch started would.
type failingURIs struct{ repository.Catalog }

func (failingURIs) ForEachURI(context.Context, string, func(string) error) error {
	return errors.New("catalog is gone")
}

// TestEarlyErrorLeavesNoGoroutine: an input that fails before its first
// row (here the catalog's URI list) returns with no pipeline goroutine
// left running; a library caller would otherwise leak a blocked reader per
// call.
func TestEarlyErrorLeavesNoGoroutine(t *testing.T) {
	f := newFixture(t)
	in := f.writeCSV(t, "in.csv", genRows(500, samples.Options{Seed: 3}))
	f.deps.Catalog = failingURIs{f.deps.Catalog}
	for range 3 {
		if _, err := f.run(t, context.Background(), []string{in}, nil); err == nil || !strings.Contains(err.Error(), "catalog is gone") {
			t.Fatalf("got %v, want the catalog's error", err)
		}
	}
	noPipelineGoroutines(t)
}

// noPipelineGoroutines fails t if ingest goroutines are still running half
// a second on.
func noPipelineGoroutines(t *testing.T) {
	t.Helper()
	var stacks string
	for range 50 {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !strings.Contains(stacks, "issuerkit/ingest.") {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("pipeline goroutines still running after Run returned:\n%s", stacks)
}

// failingPuts is a store whose Puts fail once left objects were stored,
// as a disk that fills up would. It hides the fs store's PutBatch, so
// every object is its own Put.
type failingPuts struct {
	store.Store
	left atomic.Int64
}

func (s *failingPuts) Put(ctx context.Context, key string, data []byte) error {
	if s.left.Add(-1) < 0 {
		return errors.New("disk full")
	}
	return s.Store.Put(ctx, key, data)
}

// failingApply is a catalog whose Apply fails from its nth call on.
type failingApply struct {
	repository.Catalog
	left atomic.Int64
}

func (c *failingApply) Apply(ctx context.Context, batchID string, changes []repository.Change, mark *repository.Watermark) error {
	if c.left.Add(-1) < 0 {
		return errors.New("database is gone")
	}
	return c.Catalog.Apply(ctx, batchID, changes, mark)
}

// failingKey is a signing key that fails from its nth signature on, as an
// HSM that goes away mid-batch would.
type failingKey struct {
	crypto.Signer
	left *atomic.Int64
}

func (k failingKey) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if k.left.Add(-1) < 0 {
		return nil, errors.New("token removed")
	}
	return k.Signer.Sign(r, digest, opts)
}

// failingBatchKey is failingKey signing a chunk in one call, as the
// OpenSSL signer does; it fails at the digest where the count runs out.
type failingBatchKey struct{ failingKey }

func (k failingBatchKey) SignDigests(digests []byte, n int, opts crypto.SignerOpts) ([]byte, error) {
	hs := len(digests) / n
	var sigs []byte
	for i := range n {
		sig, err := k.Sign(nil, digests[i*hs:(i+1)*hs], opts)
		if err != nil {
			return nil, &signer.ItemError{Item: i, Err: err}
		}
		sigs = append(sigs, sig...)
	}
	return sigs, nil
}

// TestFailureMidRunThenRerun: a store, catalog or signer (one document or a
// chunk a call) that fails halfway through a run, with commits on their
// way through the writer, fails the run with its error (a signer's naming
// the row; no hang, no goroutine left), leaves only whole commits behind,
// and the rerun ends with every row issued exactly once.
func TestFailureMidRunThenRerun(t *testing.T) {
	const total = 5000
	for _, tt := range []struct {
		name string
		fail func(*fixture) (restore func())
		want string
	}{
		{"store", func(f *fixture) func() {
			good := f.deps.Store
			s := &failingPuts{Store: good}
			s.left.Store(2500)
			f.deps.Store = s
			return func() { f.deps.Store = good }
		}, "disk full"},
		{"catalog", func(f *fixture) func() {
			good := f.deps.Catalog
			c := &failingApply{Catalog: good}
			c.left.Store(2)
			f.deps.Catalog = c
			return func() { f.deps.Catalog = good }
		}, "database is gone"},
		{"signer", func(f *fixture) func() { return failSigner(t, f, false) }, "token removed"},
		{"signer, a chunk a call", func(f *fixture) func() { return failSigner(t, f, true) }, "token removed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			in := f.writeCSV(t, "in.csv", genRows(total, samples.Options{Seed: 8}))
			restore := tt.fail(f)
			s, err := f.run(t, context.Background(), []string{in}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("failing run: %+v, %v; want the %s's error", s, err, tt.name)
			}
			if strings.HasPrefix(tt.name, "signer") && !regexp.MustCompile(`^row \d+: sign: token removed$`).MatchString(err.Error()) {
				t.Fatalf("signer's error %q: want it to name the row", err)
			}
			noPipelineGoroutines(t)
			restore()
			st := f.stats(t)
			if st.Documents >= total || st.Documents != s.Issued {
				t.Fatalf("after the failure: %d documents cataloged, summary says %d issued; want a partial run of whole commits", st.Documents, s.Issued)
			}
			s, err = f.run(t, context.Background(), []string{in}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Resumed || s.Read != total || s.Issued != total || s.Rejected != 0 {
				t.Fatalf("rerun: %+v, want the batch resumed and all %d rows issued", s, total)
			}
			if st := f.stats(t); st.Documents != total || st.Outbox.Pending != total || countObjects(t, f.deps.Store) != total {
				t.Fatalf("after rerun: %d documents, %d outbox, %d objects; want %d each", st.Documents, st.Outbox.Pending, countObjects(t, f.deps.Store), total)
			}
		})
	}
}

// failSigner gives f a signer that fails from its 2,500th signature on,
// signing a chunk in one call if batch; restore puts the home's back.
func failSigner(t *testing.T, f *fixture, batch bool) (restore func()) {
	t.Helper()
	good := f.deps.Signer
	key, err := signer.GenerateKey(signer.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := signer.SelfSignedCert(key, "Test Board", "Test Board", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	left := new(atomic.Int64)
	left.Store(2500)
	var k crypto.Signer = failingKey{Signer: key, left: left}
	if batch {
		k = failingBatchKey{failingKey{Signer: key, left: left}}
	}
	if f.deps.Signer, err = signer.New(k, []*x509.Certificate{cert}); err != nil {
		t.Fatal(err)
	}
	return func() { f.deps.Signer = good }
}
