// Command bench measures issuerkit on this machine and prints a Markdown
// table: `make bench` runs it. Every number comes from one run, so ratios
// (end-to-end ingest vs the raw RSA sign rate) compare like with like.
package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
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
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

type row struct{ what, value, unit, note string }

func main() {
	bin := flag.String("bin", "bin/issuerkit", "issuerkit binary")
	rows := flag.Int("rows", 20000, "rows for the end-to-end ingest")
	dur := flag.Duration("dur", 3*time.Second, "duration of each in-process measurement")
	out := flag.String("out", "", "also write the report to this file")
	flag.Parse()
	if err := run(*bin, *rows, *dur, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(bin string, rows int, dur time.Duration, out string) error {
	var table []row
	add := func(r row) {
		table = append(table, r)
		fmt.Fprintf(os.Stderr, "  %-44s %12s %s\n", r.what, r.value, r.unit)
	}
	fmt.Fprintln(os.Stderr, "bench: measuring…")

	key, err := signer.GenerateKey(signer.RSA2048)
	if err != nil {
		return err
	}
	cert, err := signer.SelfSignedCert(key, "Bench Board", "Bench Board", time.Hour)
	if err != nil {
		return err
	}
	raw := parallelRate(dur, func() error {
		d := sha256.Sum256([]byte("digest"))
		_, err := key.Sign(rand.Reader, d[:], crypto.SHA256)
		return err
	})
	add(row{"raw crypto/rsa RSA-2048 sign, all cores", f0(raw), "ops/s", fmt.Sprintf("%d goroutines", runtime.GOMAXPROCS(0))})

	s, err := signer.New(key, []*x509.Certificate{cert})
	if err != nil {
		return err
	}
	doc, size, err := sampleDoc()
	if err != nil {
		return err
	}
	signRate := parallelRate(dur, func() error { return s.Sign(doc.Copy()) })
	add(row{"sign one Certificate (render excluded), all cores", f0(signRate), "docs/s", fmt.Sprintf("%.1f KB document; %.2f × raw", float64(size)/1024, signRate/raw)})

	dir, err := os.MkdirTemp("", "issuerkit-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	csvPath := filepath.Join(dir, "rows.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	if err := (samples.Options{Rows: rows, Seed: 99}).WriteCSV(f); err != nil {
		return err
	}
	f.Close()

	rps, err := readRate(csvPath)
	if err != nil {
		return err
	}
	add(row{"CSV read + validate + map, one goroutine", f0(rps), "rows/s", fmt.Sprintf("%d rows", rows)})

	home := filepath.Join(dir, "home")
	if _, _, err := runBin(bin, "--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board"); err != nil {
		return err
	}
	sum, rss, err := runIngest(bin, home, csvPath)
	if err != nil {
		return err
	}
	add(row{"ingest end to end, RSA-2048, fs store", f0(sum.DocsPerSec), "docs/s", fmt.Sprintf("%d rows, %d workers; %.2f × raw sign rate", rows, runtime.GOMAXPROCS(0), sum.DocsPerSec/raw)})
	add(row{"ingest peak RSS", fmt.Sprintf("%.0f", rss), "MB", fmt.Sprintf("%d rows", rows)})
	sum2, _, err := runIngest(bin, home, csvPath)
	if err != nil {
		return err
	}
	add(row{"re-ingest, all unchanged", f0(float64(sum2.Read) / sum2.Seconds), "rows/s", "content hash skips signing"})

	var b strings.Builder
	fmt.Fprintf(&b, "Machine: %s, %d cores, %s, %s. Run %s.\n\n", cpuModel(), runtime.NumCPU(), runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH, time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintln(&b, "| measurement | value | unit | notes |")
	fmt.Fprintln(&b, "|---|---:|---|---|")
	for _, r := range table {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r.what, r.value, r.unit, r.note)
	}
	fmt.Print(b.String())
	if out != "" {
		return writeReport(out, b.String())
	}
	return nil
}

func f0(x float64) string { return fmt.Sprintf("%.0f", x) }

// parallelRate runs fn on every core for d and returns calls per second.
func parallelRate(d time.Duration, fn func() error) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	stop := time.Now().Add(d)
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for time.Now().Before(stop) {
				if err := fn(); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				n.Add(1)
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

func sampleDoc() (*etree.Document, int, error) {
	p, err := ingest.LoadProfile("samples/profiles/cbse-sscer.yaml")
	if err != nil {
		return nil, 0, err
	}
	m, err := p.Bind(samples.Header)
	if err != nil {
		return nil, 0, err
	}
	cells, _ := samples.Options{Seed: 1}.Row(0)
	rec, err := m.Map(ingest.Row{Line: 2, Cells: cells})
	if err != nil {
		return nil, 0, err
	}
	c, err := m.Certificate(rec, ingest.Issuer{ID: "in.gov.bench", Name: "Bench Board", Type: "SG"}, "01-06-2025", xmlschema.StatusActive)
	if err != nil {
		return nil, 0, err
	}
	doc, err := c.Render()
	if err != nil {
		return nil, 0, err
	}
	b, err := xmlschema.Bytes(doc)
	return doc, len(b), err
}

func readRate(path string) (float64, error) {
	p, err := ingest.LoadProfile("samples/profiles/cbse-sscer.yaml")
	if err != nil {
		return 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	start := time.Now()
	r, err := ingest.NewCSVReader(f)
	if err != nil {
		return 0, err
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

func runBin(bin string, args ...string) ([]byte, *os.ProcessState, error) {
	cmd := exec.CommandContext(context.Background(), bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return nil, cmd.ProcessState, fmt.Errorf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, errb.String())
	}
	return out.Bytes(), cmd.ProcessState, nil
}

// runIngest runs the real binary and reads its summary and peak RSS (MB).
func runIngest(bin, home, csvPath string) (ingest.Summary, float64, error) {
	out, ps, err := runBin(bin, "--home", home, "ingest", "--json", "--profile", "samples/profiles/cbse-sscer.yaml", csvPath)
	if err != nil {
		return ingest.Summary{}, 0, err
	}
	var s ingest.Summary
	if err := json.Unmarshal(out, &s); err != nil {
		return s, 0, fmt.Errorf("ingest summary %q: %w", out, err)
	}
	rss := 0.0
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		rss = float64(ru.Maxrss) / 1024 // KiB on Linux
	}
	return s, rss, nil
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

func writeReport(path, table string) error {
	doc := "# Benchmarks\n\nProduced by `make bench` (internal/tools/bench); the latest run is below. Numbers are\n" +
		"measured, not asserted: tests never time anything.\n\n" + table
	return os.WriteFile(path, []byte(doc), 0o644)
}
