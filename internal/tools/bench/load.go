package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// loadResult is one load run.
type loadResult struct {
	reqs, errs    int
	rps, p50, p99 float64 // p50/p99 in milliseconds
}

// runLoad sends signed Pull URI requests from clients goroutines for d, or
// until next says there are no more; next returns a request body and its
// signature for each call. A reply counts only when it serves a document
// (Status 1): a not-found answer is HTTP 200 too, and cheaper, so a run
// against a home that lacks the requested students must not pass for a
// fast one.
func runLoad(url string, clients int, d time.Duration, next func(r *rand.Rand) (body []byte, sig string, more bool)) loadResult {
	return runLoadWith(url, clients, d, func(r *rand.Rand) ([]byte, http.Header, bool) {
		body, sig, more := next(r)
		return body, http.Header{"Content-Type": {"application/xml"}, xmlschema.HMACHeader: {sig}}, more
	}, servesDocument)
}

// servesDocument tells whether a Pull URI reply carries a document.
func servesDocument(reply []byte) bool {
	return bytes.Contains(reply, []byte(`<ResponseStatus Status="1"`))
}

// runLoadWith is runLoad with the request headers next gives; a reply is an
// error unless it is HTTP 200 and, when served is not nil, served accepts
// its body. Each client is a rawClient of its own.
func runLoadWith(url string, clients int, d time.Duration, next func(r *rand.Rand) (body []byte, h http.Header, more bool), served func([]byte) bool) loadResult {
	addr, path := splitURL(url)
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 7))
			rc := newRawClient(addr)
			defer func() {
				if rc.c != nil {
					rc.c.Close()
				}
			}()
			var mine []time.Duration
			var reply bytes.Buffer
			bad := 0
			for time.Now().Before(stop) {
				body, h, more := next(r)
				if !more {
					break
				}
				t0 := time.Now()
				status, err := rc.post(path, h, body, &reply)
				switch {
				case err != nil:
				case status != 200:
					err = fmt.Errorf("HTTP %d", status)
				case served != nil && !served(reply.Bytes()):
					err = errors.New("no document in the reply")
				}
				if err != nil {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	slices.Sort(lat)
	res := loadResult{reqs: len(lat), errs: errs, rps: float64(len(lat)) / el}
	if len(lat) > 0 {
		res.p50 = float64(lat[len(lat)/2].Microseconds()) / 1000
		res.p99 = float64(lat[len(lat)*99/100].Microseconds()) / 1000
	}
	return res
}

// splitURL splits an http://host:port/path URL into its address and path.
func splitURL(url string) (addr, path string) {
	rest := strings.TrimPrefix(url, "http://")
	addr, path, _ = strings.Cut(rest, "/")
	return addr, "/" + path
}

// api measures Pull URI against `issuerkit serve` on a home of n documents,
// and a bare net/http handler returning the same bytes, in one run.
// With a catalog DSN the home's catalog is that PostgreSQL database; the
// bare-handler baseline runs only for SQLite.
func (b *bench) api(n int, clients int, d time.Duration, catalogDSN string) error {
	home, catalog, gen, err := b.apiHomeFor(n, catalogDSN)
	if err != nil {
		return err
	}
	reqs, err := pullRequests(home, gen, n)
	if err != nil {
		return err
	}
	next := func(r *rand.Rand) ([]byte, string, bool) {
		p := reqs[r.IntN(len(reqs))]
		return p.body, p.sig, true
	}
	// The prepared requests are sent again and again, with a fixed ts: the
	// replay window (on by default) would refuse them.
	srv, err := startPinnedServe(b.bin, home, "--replay-window", "0")
	if err != nil {
		return err
	}
	defer srv.stop()
	addr, pinNote := srv.addr, srv.pinNote
	url := "http://" + addr + "/digilocker/pulluri"
	reply, err := sampleReply(url, reqs[0])
	if err != nil {
		return err
	}
	// Warm up: every prepared request once, then the run's own mix for a
	// while, so that the measured run is the server's steady state: its
	// caches hold what the run asks for and its heap has grown to its
	// working size. RSS is then sampled through the run: flat means no
	// leak.
	var i atomic.Int64
	runLoad(url, clients, time.Minute, func(*rand.Rand) ([]byte, string, bool) {
		k := int(i.Add(1)) - 1
		if k >= len(reqs) {
			return nil, "", false
		}
		return reqs[k].body, reqs[k].sig, true
	})
	warmRSS := rssMB(srv.pid)
	runLoad(url, clients, min(d/6, 10*time.Second), next)
	rss := sampleRSS(srv.pid, d/4)
	res := measure(srv.pid, func() loadResult { return runLoad(url, clients, d, next) })
	b.add(row{fmt.Sprintf("Pull URI, %d clients, %d-document home, %s catalog", clients, n, catalog), f0(res.rps), "req/s",
		fmt.Sprintf("p50 %.1f ms, p99 %.1f ms, %d errors in %d requests; server CPU %.1f µs a request; server RSS %.0f MB after the first pass, then %s MB every %v%s",
			res.p50, res.p99, res.errs, res.reqs, us(res.cpu), warmRSS, rss(), d/4, pinNote)})
	if catalogDSN != "" {
		return nil
	}
	return b.bareBaseline(reply, clients, d, next, res, pinNote)
}

// apiHomeFor is the home api measures: made (or, with -api-home for
// SQLite, reused) with n documents, on SQLite or the PostgreSQL catalog
// at catalogDSN.
func (b *bench) apiHomeFor(n int, catalogDSN string) (home, catalog string, gen samples.Options, err error) {
	home = filepath.Join(b.dir, "home-api")
	catalog = "SQLite"
	initArgs := []string{"--home", home, "init", "--issuer-id", "in.gov.bench", "--issuer-name", "Bench Board", "--key-type", "ecdsa-p256"}
	if catalogDSN != "" {
		home += "-pg"
		initArgs[1] = home
		initArgs = append(initArgs, "--catalog-dsn", catalogDSN)
		catalog = "PostgreSQL"
	}
	gen = samples.Options{Rows: n, Seed: 96}
	reuse := false
	if b.apiHome != "" && catalogDSN == "" {
		home = b.apiHome
		initArgs[1] = home
		_, err := os.Stat(filepath.Join(home, "catalog.db"))
		reuse = err == nil
	}
	if !reuse {
		err = b.makeAPIHome(home, initArgs, gen)
	}
	return home, catalog, gen, err
}

// prepared is a signed Pull URI request.
type prepared struct {
	body []byte
	sig  string
}

// pullRequests prepares signed Pull URI requests for 20,000 random
// students of the home's n.
func pullRequests(home string, gen samples.Options, n int) ([]prepared, error) {
	key, err := os.ReadFile(filepath.Join(home, "keys", "api-key"))
	if err != nil {
		return nil, err
	}
	key = bytes.TrimSpace(key)
	r := rand.New(rand.NewPCG(1, 2))
	reqs := make([]prepared, 20000)
	for i := range reqs {
		row, _ := gen.Row(r.IntN(n))
		dob := row[6]
		for _, l := range []string{"02/01/2006", "2006-01-02"} {
			if t, err := time.Parse(l, dob); err == nil {
				dob = t.Format("02-01-2006")
			}
		}
		req := xmlschema.Request{Kind: "PullURIRequest", Ver: "1.0", TS: "2025-06-01T10:00:00+05:30", Txn: "t" + strconv.Itoa(i), OrgID: "in.gov.locker", Format: "xml",
			Details: []xmlschema.Field{{Name: "DocType", Value: "SSCER"}, {Name: "DigiLockerId", Value: "x"}, {Name: "FullName", Value: row[3]},
				{Name: "DOB", Value: dob}, {Name: "RollNo", Value: row[0]}, {Name: "Year", Value: row[1]}}}
		body := req.AppendXML(nil)
		reqs[i] = prepared{body, xmlschema.SignBody(key, body)}
	}
	return reqs, nil
}

// oneShot sends the bench's single requests (a sample reply, a warm-up):
// bounded, and following no redirect with a signed body.
var oneShot = &http.Client{Timeout: 30 * time.Second, CheckRedirect: httpserve.NoRedirects}

// sampleReply is the server's answer to p, for the bare handler to serve
// from memory (after one unsigned request, as a first touch).
func sampleReply(url string, p prepared) ([]byte, error) {
	resp, err := oneShot.Post(url, "application/xml", bytes.NewReader(nil))
	if err == nil {
		resp.Body.Close()
	}
	req, _ := http.NewRequest("POST", url, bytes.NewReader(p.body))
	req.Header.Set(xmlschema.HMACHeader, p.sig)
	resp, err = oneShot.Do(req)
	if err != nil {
		return nil, err
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !servesDocument(reply) {
		return nil, fmt.Errorf("API warm-up: HTTP %d without a document (is the home the bench's own?)\n%s", resp.StatusCode, reply)
	}
	return reply, nil
}

// bareBaseline measures a bare net/http handler answering reply from
// memory, on the server's core, against Pull URI's rps.
func (b *bench) bareBaseline(reply []byte, clients int, d time.Duration, next func(*rand.Rand) ([]byte, string, bool), api measured, pinNote string) error {
	bareAddr, err := freeAddr()
	if err != nil {
		return err
	}
	replyPath := filepath.Join(b.dir, "reply.xml")
	if err := os.WriteFile(replyPath, reply, 0o644); err != nil {
		return err
	}
	self, _ := os.Executable()
	bare := pinned(self, "-bare-server", bareAddr, "-bare-reply", replyPath)
	if err := bare.Start(); err != nil {
		return err
	}
	defer func() { bare.Process.Kill(); bare.Wait() }()
	if err := waitUp(bareAddr); err != nil {
		return err
	}
	bres := measure(bare.Process.Pid, func() loadResult { return runLoad("http://"+bareAddr+"/", clients, d/2, next) })
	b.add(row{fmt.Sprintf("bare net/http handler, same reply from memory, %d clients", clients), f0(bres.rps), "req/s",
		fmt.Sprintf("p50 %.1f ms, p99 %.1f ms; %s%s", bres.p50, bres.p99, vsBare(api, bres), pinNote)})
	return nil
}

// makeAPIHome creates a home with initArgs and ingests gen's rows into it.
func (b *bench) makeAPIHome(home string, initArgs []string, gen samples.Options) error {
	if _, err := runBin(b.bin, initArgs...); err != nil {
		return err
	}
	csvPath := filepath.Join(b.dir, "api.csv")
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	if err := gen.WriteCSV(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "  (ingesting %d documents for the API run…)\n", gen.Rows)
	_, _, err = runIngest(b.bin, home, b.profile, csvPath)
	return err
}

// bareServer serves one fixed reply to every request, reading the body as
// the API does: the yardstick for the API's own cost.
func bareServer(addr, replyPath string) error {
	reply, err := os.ReadFile(replyPath)
	if err != nil {
		return err
	}
	// The API's server settings (its timeouts, so its deadlines too), only
	// the handler bare.
	return httpserve.New(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(reply)))
		w.Write(reply)
	})).ListenAndServe()
}

// pinnedServe is an `issuerkit serve` the bench runs load against.
type pinnedServe struct {
	addr, pinNote string
	pid           int
	stop          func() // interrupts the server and unpins this process
}

// startPinnedServe starts `issuerkit serve` on the home at a free address,
// on core 0 with the load generator (this process) on the others, so that
// a ratio to the bare handler (on core 0 too) measures the server, not a
// fight for the cores; it returns once the server answers.
func startPinnedServe(bin, home string, args ...string) (pinnedServe, error) {
	addr, err := freeAddr()
	if err != nil {
		return pinnedServe{}, err
	}
	unpin, pinNote := pinLoad()
	srv := pinned(bin, append([]string{"--home", home, "--log-level", "warn", "serve", "--addr", addr, "--metrics-addr", ""}, args...)...)
	srv.Stderr = io.Discard
	if err := srv.Start(); err != nil {
		unpin()
		return pinnedServe{}, err
	}
	p := pinnedServe{addr: addr, pinNote: pinNote, pid: srv.Process.Pid, stop: func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
		unpin()
	}}
	if err := waitUp(addr); err != nil {
		p.stop()
		return pinnedServe{}, err
	}
	return p, nil
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitUp(addr string) error {
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("nothing listens on %s", addr)
}

// sampleRSS samples pid's RSS now and every interval until the returned
// function is called, which returns the samples ("141 → 150 → 151").
func sampleRSS(pid int, interval time.Duration) func() string {
	var samples []string
	stop := every(interval, func() { samples = append(samples, f0(rssMB(pid))) })
	return func() string {
		stop()
		return strings.Join(samples, " → ")
	}
}

// every calls fn now and then every interval, on a goroutine of its own,
// until the returned stop is called; stop returns once fn has run its
// last, so what fn wrote may be read then.
func every(interval time.Duration, fn func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			fn()
			select {
			case <-quit:
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// cpuTime is the CPU time pid has used so far (user and system), to the
// kernel's clock tick.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command's closing parenthesis; utime and stime
	// are the 14th and 15th of the line, the 12th and 13th of these.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.Atoi(f[11])
	st, _ := strconv.Atoi(f[12])
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ is 100 on Linux
}

// measured is a load run with the server's CPU time a request.
type measured struct {
	loadResult
	cpu time.Duration // the server's CPU time per served request
}

// measure runs load against the server pid and notes its CPU time a
// served request.
func measure(pid int, load func() loadResult) measured {
	c0 := cpuTime(pid)
	res := load()
	m := measured{loadResult: res}
	if res.reqs > 0 {
		m.cpu = (cpuTime(pid) - c0) / time.Duration(res.reqs)
	}
	return m
}

// vsBare is the note of a bare handler's row: the API's throughput and
// CPU time a request against the bare handler's (to three places, as
// ratio gives them).
func vsBare(api, bare measured) string {
	return fmt.Sprintf("server CPU %.1f µs a request; the API runs at %.3f × this, %.3f × by server CPU a request (%.1f µs)",
		us(bare.cpu), api.rps/bare.rps, float64(bare.cpu)/float64(api.cpu), us(api.cpu))
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// rssMB is pid's resident set now, in MB.
func rssMB(pid int) float64 { return statusMB(pid, "VmRSS:") }

// statusMB reads a kB field of pid's /proc status in MB, or 0.
func statusMB(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, ln := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(ln, field); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}
