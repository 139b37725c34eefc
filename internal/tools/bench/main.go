// Command bench measures issuerkit on this machine and prints a Markdown
// table: `make bench` runs it. Every number comes from one run, so ratios
// (end-to-end ingest against the raw sign rate) compare like with like.
package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

type row struct{ what, value, unit, note string }

type config struct {
	bin      string
	rows     int // end-to-end ingest rows
	rssRows  int // CSV rows for the peak-RSS run
	xlsxRows int // XLSX rows for the XLSX run
	dur      time.Duration
	out      string
	profile  string
	apiDocs  int
	apiDur   time.Duration
	clients  int
	pushDocs int
	pgDocs   int
	only     map[string]bool // sections to run; empty: all
	apiHome  string          // keep the API run's home here and reuse it
}

// sections of the run, in order; -only picks some.
var sections = []string{"sign", "store", "pdf", "ingest", "verify", "api", "apisetu", "pg", "push", "xlsx", "rss"}

// runs reports whether section s is part of this run.
func (c config) runs(s string) bool { return len(c.only) == 0 || c.only[s] }

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "bin/issuerkit", "issuerkit binary")
	flag.IntVar(&c.rows, "rows", 100_000, "rows for the end-to-end ingest runs")
	flag.IntVar(&c.rssRows, "rss-rows", 1_000_000, "CSV rows for the peak-RSS run (0 skips it)")
	flag.IntVar(&c.xlsxRows, "xlsx-rows", 200_000, "XLSX rows for the XLSX run (0 skips it)")
	flag.DurationVar(&c.dur, "dur", 3*time.Second, "duration of each in-process measurement")
	flag.StringVar(&c.out, "out", "", "also write the report to this file")
	flag.IntVar(&c.apiDocs, "api-docs", 100_000, "documents in the home the API load runs against (0 skips it)")
	flag.DurationVar(&c.apiDur, "api-dur", 60*time.Second, "duration of the API load run")
	flag.IntVar(&c.clients, "clients", 64, "concurrent API clients")
	flag.IntVar(&c.pushDocs, "push-docs", 20_000, "URIs pushed to the reference locker (0 skips it)")
	flag.IntVar(&c.pgDocs, "pg-docs", 20_000, "documents for the PostgreSQL runs: 1 and 2 ingest shards, Pull URI (0 skips them)")
	only := flag.String("only", "", "run only these comma-separated sections: "+strings.Join(sections, ","))
	flag.StringVar(&c.apiHome, "api-home", "", "keep the API run's home in `DIR` and reuse it when it exists (for repeated API runs)")
	bareAddr := flag.String("bare-server", "", "internal: serve a fixed reply on this address")
	bareReply := flag.String("bare-reply", "", "internal: the reply file for -bare-server")
	flag.Parse()
	if *bareAddr != "" {
		if err := bareServer(*bareAddr, *bareReply); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	c.profile = "samples/profiles/cbse-sscer.yaml"
	if *only != "" {
		c.only = map[string]bool{}
		for _, s := range strings.Split(*only, ",") {
			if !slices.Contains(sections, s) {
				fmt.Fprintf(os.Stderr, "bench: -only: no section %q (sections: %s)\n", s, strings.Join(sections, ","))
				os.Exit(2)
			}
			c.only[s] = true
		}
	}
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type bench struct {
	config
	dir   string
	table []row
}

func (b *bench) add(r row) {
	b.table = append(b.table, r)
	fmt.Fprintf(os.Stderr, "  %-52s %12s %-7s %s\n", r.what, r.value, r.unit, r.note)
}

func run(c config) error {
	dir, err := os.MkdirTemp("", "issuerkit-bench-")
	if err != nil {
		return err
	}
	defer func() {
		fmt.Fprintln(os.Stderr, "bench: removing", dir)
		os.RemoveAll(dir)
	}()
	b := &bench{config: c, dir: dir}
	fmt.Fprintln(os.Stderr, "bench: measuring…")
	lim := &limits{raw: map[signer.KeyType]float64{}}
	if c.runs("sign") || c.runs("ingest") {
		for _, kt := range []signer.KeyType{signer.RSA2048, signer.ECDSAP256} {
			if err := b.signing(kt, lim); err != nil {
				return err
			}
		}
	}
	steps := []struct {
		section string
		on      bool
		run     func() error
	}{
		{"store", true, b.stores},
		{"pdf", true, b.pdfs},
		{"ingest", true, func() error { return b.ingest(lim) }},
		{"verify", true, b.verifyFiles},
		{"api", c.apiDocs > 0, func() error { return b.api(c.apiDocs, c.clients, c.apiDur, "") }},
		{"apisetu", c.apiDocs > 0, func() error { return b.apisetu(min(c.apiDocs, 20_000), c.clients, c.apiDur) }},
		{"pg", c.pgDocs > 0, func() error { return b.postgres(c.pgDocs) }},
		{"push", c.pushDocs > 0, func() error { return b.pushes(c.pushDocs) }},
		{"xlsx", c.xlsxRows > 0, b.xlsx},
		{"rss", c.rssRows > 0, b.bigCSV},
	}
	for _, st := range steps {
		if st.on && c.runs(st.section) {
			if err := st.run(); err != nil {
				return fmt.Errorf("%s: %w", st.section, err)
			}
		}
	}
	return b.report()
}

// limits are the machine's own rates, measured in the same run, that
// issuerkit's figures are set beside.
type limits struct {
	raw        map[signer.KeyType]float64 // crypto/rsa, crypto/ecdsa sign on every core
	opensslRSA float64                    // openssl speed -multi N rsa2048, signs/s (0: no openssl)
}

// signing measures the raw private-key operation (Go's, and OpenSSL's own
// `openssl speed`), the signer's backend, signing and verifying a sample
// Certificate, all on every core.
func (b *bench) signing(kt signer.KeyType, lim *limits) error {
	key, err := signer.GenerateKey(kt)
	if err != nil {
		return err
	}
	cert, err := signer.SelfSignedCert(key, "Bench Board", "Bench Board", time.Hour)
	if err != nil {
		return err
	}
	raw := parallelRate(b.dur, func() error {
		d := sha256.Sum256([]byte("digest"))
		_, err := key.Sign(rand.Reader, d[:], crypto.SHA256)
		return err
	})
	lim.raw[kt] = raw
	cores := fmt.Sprintf("%d goroutines", runtime.GOMAXPROCS(0))
	b.add(row{fmt.Sprintf("raw %s sign (crypto/%s), all cores", kt, map[signer.KeyType]string{signer.RSA2048: "rsa", signer.ECDSAP256: "ecdsa"}[kt]), f0(raw), "ops/s", cores})
	s, err := signer.New(key, []*x509.Certificate{cert})
	if err != nil {
		return err
	}
	if kt == signer.RSA2048 {
		sign, verify, err := opensslSpeed(runtime.NumCPU(), b.dur)
		if err != nil {
			fmt.Fprintln(os.Stderr, "  (no openssl speed row:", err, ")")
		} else {
			lim.opensslRSA = sign
			b.add(row{"raw rsa2048 sign, `openssl speed -multi N`", f0(sign), "ops/s", fmt.Sprintf("N = %d; verify %s/s", runtime.NumCPU(), f0(verify))})
		}
		backend := parallelRate(b.dur, func() error {
			d := sha256.Sum256([]byte("digest"))
			_, err := s.Key().Sign(rand.Reader, d[:], crypto.SHA256)
			return err
		})
		b.add(row{"raw rsa2048 sign, issuerkit's signer, all cores", f0(backend), "ops/s", s.Backend() + ratio(backend, sign, "openssl speed")})
	}
	c, err := sampleCertificate(b.profile)
	if err != nil {
		return err
	}
	doc, size, err := renderedDoc(c)
	if err != nil {
		return err
	}
	// As ingest signs: encoded as bytes, no tree, and signed a worker's
	// chunk at a time.
	chunks := sync.Pool{New: func() any { return new(signChunk) }}
	rate := parallelCount(b.dur, func() (int, error) {
		ch := chunks.Get().(*signChunk)
		defer chunks.Put(ch)
		for i := range ch.encs {
			e := &ch.encs[i]
			if err := c.Encode(e); err != nil {
				return 0, err
			}
			ch.items[i] = signer.Enveloped{Doc: e.Doc, End: e.End, Canon: e.Canon}
		}
		return len(ch.items), s.SignEnvelopedAll(ch.items[:])
	})
	note := fmt.Sprintf("%.1f KB, encoded and signed as ingest does (%d a call); %.2f × raw (Go)", float64(size)/1024, ingest.ChunkRows, float64(rate)/raw)
	if kt == signer.RSA2048 {
		note += ratio(rate, lim.opensslRSA, "openssl speed")
	}
	b.add(row{fmt.Sprintf("sign a Certificate, %s, all cores", kt), f0(rate), "docs/s", note})
	signed := doc.Copy()
	if err := s.Sign(signed); err != nil {
		return err
	}
	data, _ := xmlschema.Bytes(signed)
	v := &signer.Verifier{Trusted: []*x509.Certificate{cert}}
	vrate := parallelRate(b.dur, func() error { _, err := v.Verify(data); return err })
	pub := key.Public()
	rawVerify := parallelRate(b.dur, func() error { return rawVerifyOnce(key, pub) })
	b.add(row{fmt.Sprintf("verify a Certificate, %s, all cores", kt), f0(vrate), "docs/s", fmt.Sprintf("%.1f KB; raw %s verify (Go) %s/s: %.2f ×", float64(size)/1024, kt, f0(rawVerify), vrate/rawVerify)})
	return nil
}

// rawVerifyOnce verifies one signature with pub, the operation a
// document's verification cannot do without.
func rawVerifyOnce(key crypto.Signer, pub crypto.PublicKey) error {
	d := sha256.Sum256([]byte("digest"))
	sig, err := rawSigs.get(key)
	if err != nil {
		return err
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(p, crypto.SHA256, d[:], sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(p, d[:], sig) {
			return errors.New("raw ECDSA verify failed")
		}
	}
	return nil
}

// rawSigs keeps one signature per key for rawVerifyOnce.
var rawSigs = sigCache{m: map[crypto.Signer][]byte{}}

type sigCache struct {
	mu sync.Mutex
	m  map[crypto.Signer][]byte
}

func (c *sigCache) get(key crypto.Signer) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.m[key]; ok {
		return s, nil
	}
	d := sha256.Sum256([]byte("digest"))
	s, err := key.Sign(rand.Reader, d[:], crypto.SHA256)
	if err == nil {
		c.m[key] = s
	}
	return s, err
}

// opensslSpeed runs `openssl speed -multi n rsa2048` for about d and
// returns its sign and verify rates (all processes together).
func opensslSpeed(n int, d time.Duration) (sign, verify float64, err error) {
	secs := max(1, int(d.Seconds()))
	out, err := exec.Command("openssl", "speed", "-multi", fmt.Sprint(n), "-seconds", fmt.Sprint(secs), "rsa2048").CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("openssl speed: %v", err)
	}
	// The summary line: "rsa 2048 bits 0.000289s 0.000009s   3455.0 113000.0"
	for _, ln := range strings.Split(string(out), "\n") {
		f := strings.Fields(ln)
		if len(f) == 7 && f[0] == "rsa" && f[1] == "2048" && f[2] == "bits" {
			fmt.Sscan(f[5], &sign)
			fmt.Sscan(f[6], &verify)
		}
	}
	if sign == 0 {
		return 0, 0, errors.New("openssl speed: no rsa 2048 summary line")
	}
	return sign, verify, nil
}

// ratio is "; 0.523 × what" when limit is known: three places, so that
// a figure just under a target (0.4987 against 0.5) does not print as
// meeting it.
func ratio(x, limit float64, what string) string {
	if limit <= 0 {
		return ""
	}
	return fmt.Sprintf("; %.3f × %s", x/limit, what)
}

// stores measures 5 KB puts (groups of 256, as ingest writes them) and
// parallel gets on the fs store and on S3 (a local versitygw).
func (b *bench) stores() error {
	data := bytes.Repeat([]byte("0123456789abcdef"), 320) // 5 KB
	fsStore, err := store.OpenFS(filepath.Join(b.dir, "fs-bench"))
	if err != nil {
		return err
	}
	if err := b.storeRates("fs", fsStore, data); err != nil {
		return err
	}
	srv, err := testenv.NewS3Server(filepath.Join(b.dir, "s3-bench"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "  (no S3 server for the S3 rows:", err, ")")
		return nil
	}
	defer srv.Stop()
	s3, err := store.OpenS3(context.Background(), store.S3Config{Endpoint: srv.Endpoint, Bucket: srv.Bucket,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		return err
	}
	return b.storeRates("s3 (versitygw "+testenv.VersitygwVersion+" on 127.0.0.1)", s3, data)
}

func (b *bench) storeRates(name string, s store.Store, data []byte) error {
	ctx := context.Background()
	const n = 5120
	start := time.Now()
	for i := 0; i < n; i += 256 {
		objs := make([]store.Object, 256)
		for j := range objs {
			objs[j] = store.Object{Key: fmt.Sprintf("in.gov.bench/SSCER/%08d/v1.xml", i+j), Data: data}
		}
		errs, err := store.PutAll(ctx, s, objs, 16)
		if err != nil {
			return err
		}
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
	}
	put := float64(n) / time.Since(start).Seconds()
	b.add(row{"store put 5 KB, " + name, f0(put), "objects/s", fmt.Sprintf("%d objects in groups of 256, durable", n)})
	var next atomic.Int64
	get := parallelRate(b.dur, func() error {
		_, err := s.Get(ctx, fmt.Sprintf("in.gov.bench/SSCER/%08d/v1.xml", next.Add(1)%n))
		return err
	})
	b.add(row{"store get 5 KB, " + name, f0(get), "objects/s", fmt.Sprintf("%d goroutines", runtime.GOMAXPROCS(0))})
	return nil
}

// ingest measures CSV reading, then ingest with each key type, beside
// the raw sign rates of lim.
func (b *bench) ingest(lim *limits) error {
	csvPath := filepath.Join(b.dir, "rows.csv")
	if err := genCSV(csvPath, b.rows, 99); err != nil {
		return err
	}
	rps, err := readRate(b.profile, csvPath)
	if err != nil {
		return err
	}
	b.add(row{"CSV read + validate + map, one goroutine", f0(rps), "rows/s", fmt.Sprintf("%d rows", b.rows)})
	contract, flat, err := layoutCost(b.dir, b.rows, 4500)
	if err != nil {
		return err
	}
	b.add(row{"create a 4.5 KB file in the CONTRACT layout (a directory per DocID), one goroutine", f0(contract.rate), "files/s",
		fmt.Sprintf("%d files, unsynced: %s; flat (one directory): %s", b.rows, contract, flat)})
	for _, kt := range []signer.KeyType{signer.RSA2048, signer.ECDSAP256} {
		if err := b.ingestRuns(kt, csvPath, lim); err != nil {
			return err
		}
	}
	return nil
}

// ingestRuns measures end-to-end ingest, a dry run and a re-ingest. For
// RSA-2048, `openssl speed` runs again just before the dry run and just
// after the end-to-end run, and both are set beside the mean of those two
// as well as the run's first measurement: the VM's speed drifts by up to
// a third over a run, and a limit measured minutes earlier can flatter or
// sink a ratio by that much.
func (b *bench) ingestRuns(kt signer.KeyType, csvPath string, lim *limits) error {
	home := filepath.Join(b.dir, "home-"+string(kt))
	if _, err := runBin(b.bin, "--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board", "--key-type", string(kt)); err != nil {
		return err
	}
	raw := lim.raw[kt]
	beside := besideOpenSSL(kt == signer.RSA2048 && lim.opensslRSA > 0, b.dur)
	dry, _, err := runIngest(b.bin, home, b.profile, csvPath, "--dry-run")
	if err != nil {
		return err
	}
	sum, rss, err := runIngest(b.bin, home, b.profile, csvPath)
	if err != nil {
		return err
	}
	vsOpenSSL := beside.done(lim.opensslRSA)
	b.add(row{fmt.Sprintf("ingest dry run (no store), %s", kt), f0(dry.DocsPerSec), "docs/s", fmt.Sprintf("%.2f × raw sign rate (Go)", dry.DocsPerSec/raw) + vsOpenSSL(dry.DocsPerSec)})
	b.add(row{fmt.Sprintf("ingest end to end, %s, fs store + SQLite", kt), f0(sum.DocsPerSec), "docs/s",
		fmt.Sprintf("%d rows, %d workers; %.2f × raw sign rate (Go)%s; peak RSS %.0f MB", b.rows, ingest.DefaultWorkers(), sum.DocsPerSec/raw, vsOpenSSL(sum.DocsPerSec), rss)})
	if kt == signer.RSA2048 {
		again, _, err := runIngest(b.bin, home, b.profile, csvPath)
		if err != nil {
			return err
		}
		b.add(row{"re-ingest, all unchanged", f0(float64(again.Read) / again.Seconds), "rows/s", "content hash skips signing"})
	}
	return nil
}

// opensslBeside measures `openssl speed` on both sides of a run.
type opensslBeside struct {
	on            bool
	d             time.Duration
	before, after float64
}

// besideOpenSSL starts an opensslBeside (doing nothing unless on) by
// measuring the rate before the run.
func besideOpenSSL(on bool, d time.Duration) *opensslBeside {
	o := &opensslBeside{on: on, d: d}
	if on {
		o.before, _, _ = opensslSpeed(runtime.NumCPU(), d)
	}
	return o
}

// done measures the rate after the run and returns what sets a rate
// beside the two (their mean) and beside first, the run's first
// measurement; the empty string when not on or a measurement failed.
func (o *opensslBeside) done(first float64) func(float64) string {
	if o.on {
		o.after, _, _ = opensslSpeed(runtime.NumCPU(), o.d)
	}
	if !o.on || o.before == 0 || o.after == 0 {
		return func(float64) string { return "" }
	}
	mean := (o.before + o.after) / 2
	what := fmt.Sprintf("openssl speed beside it (%s/s before the dry run, %s/s after the end-to-end run)", f0(o.before), f0(o.after))
	return func(x float64) string {
		return ratio(x, mean, what) + ratio(x, first, "the run's first openssl speed")
	}
}

// verifyFiles measures `issuerkit verify DIR` over signed RSA-2048
// marksheets, as a verifier with a folder of downloaded documents runs it.
func (b *bench) verifyFiles() error {
	const n = 20_000
	home := filepath.Join(b.dir, "home-verify")
	if _, err := runBin(b.bin, "--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board"); err != nil {
		return err
	}
	csvPath := filepath.Join(b.dir, "verify.csv")
	if err := genCSV(csvPath, n, 55); err != nil {
		return err
	}
	if _, _, err := runIngest(b.bin, home, b.profile, csvPath); err != nil {
		return err
	}
	docs := filepath.Join(b.dir, "verify-docs")
	if err := os.MkdirAll(docs, 0o755); err != nil {
		return err
	}
	store := filepath.Join(home, "store")
	i := 0
	err := filepath.WalkDir(store, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		i++
		return os.WriteFile(filepath.Join(docs, fmt.Sprintf("%06d.xml", i)), data, 0o644)
	})
	if err != nil {
		return err
	}
	start := time.Now()
	out, err := runBin(b.bin, "verify", "--cert", filepath.Join(home, "keys", "signing.crt"), docs)
	if err != nil {
		return fmt.Errorf("verify: %v\n%s", err, out)
	}
	rate := float64(i) / time.Since(start).Seconds()
	b.add(row{"issuerkit verify DIR, rsa2048 marksheets, all cores", f0(rate), "docs/s", fmt.Sprintf("%d files of ~%.1f KB, whole command (read, verify, print)", i, avgSize(docs))})
	return nil
}

func avgSize(dir string) float64 {
	ents, _ := os.ReadDir(dir)
	var total int64
	for _, e := range ents {
		if fi, err := e.Info(); err == nil {
			total += fi.Size()
		}
	}
	return float64(total) / float64(max(1, len(ents))) / 1024
}

func (b *bench) xlsx() error {
	path := filepath.Join(b.dir, "rows.xlsx")
	start := time.Now()
	if err := (samples.Options{Rows: b.xlsxRows, Seed: 98}).WriteXLSX(path); err != nil {
		return err
	}
	fi, _ := os.Stat(path)
	fmt.Fprintf(os.Stderr, "  (wrote %d-row XLSX, %.0f MB, in %v)\n", b.xlsxRows, float64(fi.Size())/1e6, time.Since(start).Round(time.Second))
	rps, err := readRate(b.profile, path)
	if err != nil {
		return err
	}
	b.add(row{"XLSX read + validate + map, one goroutine", f0(rps), "rows/s", fmt.Sprintf("%d rows", b.xlsxRows)})
	home := filepath.Join(b.dir, "home-xlsx")
	if _, err := runBin(b.bin, "--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board", "--key-type", "ecdsa-p256"); err != nil {
		return err
	}
	sum, rss, err := runIngest(b.bin, home, b.profile, path)
	if err != nil {
		return err
	}
	b.add(row{"ingest peak RSS, XLSX, ecdsa-p256", fmt.Sprintf("%.0f", rss), "MB", fmt.Sprintf("%d rows, %.0f docs/s", b.xlsxRows, sum.DocsPerSec)})
	return os.RemoveAll(home)
}

// bigRowBytes is what a row of the peak-RSS run leaves on disk: its
// document's file and directory (a block each), its catalog rows and its
// line of the CSV: a 5M-row home and 3.7M rows of another filled 76 GB,
// about 9 KB a row.
const bigRowBytes = 12 << 10

func (b *bench) bigCSV() error {
	var fs syscall.Statfs_t
	if err := syscall.Statfs(b.dir, &fs); err == nil {
		free, need := fs.Bavail*uint64(fs.Bsize), uint64(b.rssRows)*bigRowBytes
		if free < need {
			return fmt.Errorf("%d rows need about %d GB free in %s, and %d GB are (set TMPDIR to a larger disk)", b.rssRows, need>>30, b.dir, free>>30)
		}
	}
	path := filepath.Join(b.dir, "big.csv")
	if err := genCSV(path, b.rssRows, 97); err != nil {
		return err
	}
	home := filepath.Join(b.dir, "home-big")
	if _, err := runBin(b.bin, "--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board", "--key-type", "ecdsa-p256"); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "  (ingesting %d rows for peak RSS…)\n", b.rssRows)
	sum, rss, err := runIngest(b.bin, home, b.profile, path)
	if err != nil {
		return err
	}
	b.add(row{"ingest peak RSS, CSV, ecdsa-p256", fmt.Sprintf("%.0f", rss), "MB", fmt.Sprintf("%d rows, %.0f docs/s, %.0f s", b.rssRows, sum.DocsPerSec, sum.Seconds)})
	return nil // removed with the rest after the report: a million files take minutes
}

func (b *bench) report() error {
	var s strings.Builder
	fmt.Fprintf(&s, "Machine: %s, %d cores, %s, %s. Run %s.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(&s, "| measurement | value | unit | notes |")
	fmt.Fprintln(&s, "|---|---:|---|---|")
	for _, r := range b.table {
		fmt.Fprintf(&s, "| %s | %s | %s | %s |\n", r.what, r.value, r.unit, r.note)
	}
	fmt.Print(s.String())
	if b.out == "" {
		return nil
	}
	doc := "# Benchmarks\n\nProduced by `make bench` (internal/tools/bench); the latest run is below. Numbers are\n" +
		"measured, not asserted: tests never time anything.\n\n" + s.String()
	return os.WriteFile(b.out, []byte(doc), 0o644)
}

func f0(x float64) string { return fmt.Sprintf("%.0f", x) }

func genCSV(path string, rows int, seed uint64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := (samples.Options{Rows: rows, Seed: seed}).WriteCSV(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// parallelRate runs fn on every core for d and returns calls per second.
func parallelRate(d time.Duration, fn func() error) float64 {
	return parallelCount(d, func() (int, error) { return 1, fn() })
}

// signChunk is a worker's chunk of documents for SignEnvelopedAll.
type signChunk struct {
	encs  [ingest.ChunkRows]xmlschema.Encoded
	items [ingest.ChunkRows]signer.Enveloped
}

// parallelCount is parallelRate for an fn that does several operations a
// call and says how many.
func parallelCount(d time.Duration, fn func() (int, error)) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	stop := time.Now().Add(d)
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for time.Now().Before(stop) {
				k, err := fn()
				if err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				n.Add(int64(k))
			}
		})
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	return float64(n.Load()) / time.Since(start).Seconds()
}

// sampleDoc is sampleCertificate's rendered tree and its size in bytes.
func sampleDoc(profile string) (*etree.Document, int, error) {
	c, err := sampleCertificate(profile)
	if err != nil {
		return nil, 0, err
	}
	return renderedDoc(c)
}

// renderedDoc is c's tree and its size in bytes.
func renderedDoc(c *xmlschema.Certificate) (*etree.Document, int, error) {
	doc, err := c.Render()
	if err != nil {
		return nil, 0, err
	}
	data, err := xmlschema.Bytes(doc)
	return doc, len(data), err
}

// sampleCertificate is the profile's Certificate of the first sample row.
func sampleCertificate(profile string) (*xmlschema.Certificate, error) {
	p, err := ingest.LoadProfile(profile)
	if err != nil {
		return nil, err
	}
	m, err := p.Bind(samples.Header)
	if err != nil {
		return nil, err
	}
	cells, _ := samples.Options{Seed: 1}.Row(0)
	rec, err := m.Map(ingest.Row{Line: 2, Cells: cells})
	if err != nil {
		return nil, err
	}
	return m.Certificate(rec, ingest.Issuer{ID: "in.gov.bench", Name: "Bench Board", Type: "SG"}, "01-06-2025", xmlschema.StatusActive)
}

func readRate(profile, path string) (float64, error) {
	p, err := ingest.LoadProfile(profile)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	var r ingest.RowReader
	if strings.HasSuffix(path, ".xlsx") {
		xr, err := ingest.NewXLSXReader(path, "")
		if err != nil {
			return 0, err
		}
		defer xr.Close()
		r = xr
	} else {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		if r, err = ingest.NewCSVReader(f); err != nil {
			return 0, err
		}
	}
	m, err := p.Bind(r.Header())
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
		if _, err := m.Map(row); err != nil {
			return 0, err
		}
		n++
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

// runBin runs bin and returns its standard output; a failure carries its
// standard error.
func runBin(bin string, args ...string) ([]byte, error) { return runWatched(bin, args, nil) }

// runIngest runs the real binary and reads its summary and peak RSS (MB).
func runIngest(bin, home, profile, input string, extra ...string) (ingest.Summary, float64, error) {
	args := append([]string{"--home", home, "ingest", "--json", "--quiet", "--profile", profile}, extra...)
	out, rss, err := runBinPeak(bin, append(args, input)...)
	if err != nil {
		return ingest.Summary{}, 0, err
	}
	var s ingest.Summary
	if err := json.Unmarshal(out, &s); err != nil {
		return s, 0, fmt.Errorf("ingest summary %q: %w", out, err)
	}
	return s, rss, nil
}

// runBinPeak is runBin that also gives the process's peak RSS in MB: its
// VmHWM, read every 10 ms while it runs. The child's rusage cannot tell
// it: Go starts a child with vfork, so the kernel counts the bench's own
// high-water mark as the child's (a /bin/true started by a bench holding
// 300 MB reports a maxrss of 302 MB), and late in `make bench` the bench
// holds ~290 MB.
func runBinPeak(bin string, args ...string) ([]byte, float64, error) {
	peak := 0.0
	out, err := runWatched(bin, args, func(pid int) { peak = max(peak, statusMB(pid, "VmHWM:")) })
	return out, peak, err
}

// runWatched runs bin with args; while it runs, watch (when not nil) is
// called with its pid at once and then every 10 ms, and not after runWatched
// returns.
func runWatched(bin string, args []string, watch func(pid int)) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Start()
	if err == nil {
		stop := func() {}
		if watch != nil {
			pid := cmd.Process.Pid
			stop = every(10*time.Millisecond, func() { watch(pid) })
		}
		err = cmd.Wait()
		stop()
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes(), nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(ln, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// pdfs measures rendering and signing (PAdES B-B) a sample marksheet as
// PDF, on every core, with each kind of key.
func (b *bench) pdfs() error {
	fonts, err := docpdf.LoadFonts("")
	if err != nil {
		return err
	}
	doc, _, err := sampleDoc(b.profile)
	if err != nil {
		return err
	}
	data, err := xmlschema.Bytes(doc)
	if err != nil {
		return err
	}
	for _, kt := range []signer.KeyType{signer.RSA2048, signer.ECDSAP256} {
		key, err := signer.GenerateKey(kt)
		if err != nil {
			return err
		}
		cert, err := signer.SelfSignedCert(key, "Bench Board", "Bench Board", time.Hour)
		if err != nil {
			return err
		}
		// As serve and get sign PDFs: the home's signer's key (an RSA key
		// through OpenSSL when it loads).
		xs, err := signer.New(key, []*x509.Certificate{cert})
		if err != nil {
			return err
		}
		ps, err := docpdf.NewSigner(xs.Key(), xs.Chain())
		if err != nil {
			return err
		}
		r := &docpdf.Renderer{Fonts: fonts, VerifyURL: "https://results.example.gov.in", Signer: ps}
		var size atomic.Int64
		rate := parallelRate(b.dur, func() error {
			out, err := r.Render(data, "in.gov.cbse-SSCER-75000032025")
			size.Store(int64(len(out)))
			return err
		})
		b.add(row{fmt.Sprintf("render and sign a marksheet as PDF (shaped text, QR, PAdES %s), all cores", kt), f0(rate), "signed PDFs/s",
			fmt.Sprintf("%d KB per PDF", size.Load()>>10)})
	}
	return nil
}
