//go:build integration

package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/repository"
)

// pushWorld is an issuer home with issued documents and a reference locker
// run as a separate process.
type pushWorld struct {
	t        *testing.T
	bin      string
	dir      string
	home     string
	data     string // the locker's data dir
	addr     string
	locker   *exec.Cmd
	logs     *syncLog // every process's stderr
	aadhaars []string
	rows     int
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	for range 200 {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// startListener starts a server process (serve or locker serve) on *addr
// and waits for its banner, which it prints once it listens. A port
// freeAddr found free can be taken by another process before the server
// binds it (the packages' tests run at once); the server then fails to
// bind, and startListener tries again: on a new port (*addr changes), or
// with keep (a restart that must keep its address) on the same one after a
// pause.
func startListener(t *testing.T, logs io.Writer, addr *string, keep bool, command func(addr string) *exec.Cmd) *exec.Cmd {
	t.Helper()
	for attempt := 0; ; attempt++ {
		var own syncLog
		cmd := command(*addr)
		cmd.Stderr = io.MultiWriter(logs, &own)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(own.String(), "http://"+*addr) && !strings.Contains(own.String(), "address already in use") {
			if time.Now().After(deadline) {
				t.Fatalf("%s did not start listening on %s within 10 s:\n%s", cmd.Args[1], *addr, own.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(own.String(), "address already in use") {
			return cmd
		}
		cmd.Wait()
		if attempt == 20 {
			t.Fatalf("%s: %s stayed taken", cmd.Args[1], *addr)
		}
		if keep {
			time.Sleep(250 * time.Millisecond)
		} else {
			*addr = freeAddr(t)
		}
	}
}

// newPushWorld issues rows documents and registers the issuer with a locker
// (not started).
func newPushWorld(t *testing.T, rows int) *pushWorld {
	t.Helper()
	w := &pushWorld{t: t, bin: buildBinary(t), dir: t.TempDir(), logs: &syncLog{}, rows: rows}
	w.home = filepath.Join(w.dir, "home")
	w.data = filepath.Join(w.dir, "locker")
	w.addr = freeAddr(t)
	input := filepath.Join(w.dir, "in.csv")
	mustCLI(t, "--home", w.home, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--key-type", "ecdsa-p256")
	mustCLI(t, "samples", "gen", "--rows", fmt.Sprint(rows), "--seed", "7", "--out", input)
	mustCLI(t, "--home", w.home, "ingest", "--quiet", "--profile", profile, input)
	mustCLI(t, "locker", "issuer", "add", "--data", w.data, "--id", "in.gov.cbse", "--api-key-file", filepath.Join(w.home, "keys/api-key"),
		"--pull-url", "http://127.0.0.1:1", "--cert", filepath.Join(w.home, "keys/signing.crt"))
	f, _ := os.Open(input)
	recs, _ := csv.NewReader(f).ReadAll()
	f.Close()
	for _, r := range recs[1:] {
		w.aadhaars = append(w.aadhaars, r[8])
	}
	return w
}

// startLocker starts `issuerkit locker serve` with extra flags.
// The first start may move to another port; a restart keeps its address,
// which a running pusher sends to.
func (w *pushWorld) startLocker(flags ...string) {
	w.t.Helper()
	w.locker = startListener(w.t, w.logs, &w.addr, w.locker != nil, func(addr string) *exec.Cmd {
		return exec.Command(w.bin, append([]string{"locker", "serve", "--data", w.data, "--addr", addr}, flags...)...)
	})
}

func (w *pushWorld) killLocker() {
	w.locker.Process.Signal(syscall.SIGKILL)
	w.locker.Wait()
}

// push starts `issuerkit push` against the locker.
func (w *pushWorld) push(args ...string) *exec.Cmd {
	cmd := exec.Command(w.bin, append([]string{"--home", w.home, "push", "--gateway", "http://" + w.addr, "--backoff", "50ms"}, args...)...)
	cmd.Stderr = w.logs
	cmd.Stdout = w.logs
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	return cmd
}

func exitOf(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func (w *pushWorld) outbox() repository.OutboxStats {
	w.t.Helper()
	cat, err := repository.OpenSQLite(context.Background(), filepath.Join(w.home, "catalog.db"))
	if err != nil {
		w.t.Fatal(err)
	}
	defer cat.Close()
	st, err := cat.Stats(context.Background(), 0)
	if err != nil {
		w.t.Fatal(err)
	}
	return st.Outbox
}

// waitPushed waits until at least n rows are recorded as pushed.
func (w *pushWorld) waitPushed(n int) {
	w.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if w.outbox().Pushed >= n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	w.t.Fatalf("fewer than %d pushed within 60 s\n%s", n, w.logs)
}

// checkExactlyOnce: the outbox is drained, the locker holds every URI once
// with one A in its history, in the right citizen's locker, and no process
// logged a full Aadhaar number.
func (w *pushWorld) checkExactlyOnce() {
	w.t.Helper()
	if ob := w.outbox(); ob.Pending != 0 || ob.Dead != 0 || ob.Pushed != w.rows {
		w.t.Errorf("outbox %+v, want %d pushed and nothing else", ob, w.rows)
	}
	r := mustCLI(w.t, "locker", "list", "--data", w.data, "--json")
	st, err := locker.Open(context.Background(), w.data)
	if err != nil {
		w.t.Fatal(err)
	}
	defer st.Close()
	citizens := map[string]bool{}
	for _, a := range w.aadhaars {
		citizens[st.CitizenHash(a)] = true
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var d locker.Document
		if err := json.Unmarshal([]byte(line), &d); err != nil {
			w.t.Fatalf("locker list line %q: %v", line, err)
		}
		n++
		if len(d.History) != 1 || d.History[0].Action != "A" || d.State != "active" || !citizens[d.Citizen] {
			w.t.Errorf("%s: state %s, history %+v, known citizen %v", d.URI, d.State, d.History, citizens[d.Citizen])
		}
	}
	if n != w.rows {
		w.t.Errorf("the locker holds %d URIs, want %d", n, w.rows)
	}
	logs := w.logs.String()
	for _, a := range w.aadhaars {
		if strings.Contains(logs, a) {
			w.t.Fatalf("a full Aadhaar number (…%s) is in the logs", aadhaar.Last4(a))
		}
	}
}

// TestPushLockerKilledMidPush: the locker is SIGKILLed while a push runs and
// restarted; the pusher retries and every URI ends in the locker once.
func TestPushLockerKilledMidPush(t *testing.T) {
	w := newPushWorld(t, 1500)
	w.startLocker("--latency", "5ms")
	cmd := w.push("--once", "--workers", "4", "--retry-for", "60s")
	w.waitPushed(200)
	w.killLocker()
	time.Sleep(500 * time.Millisecond)
	w.startLocker()
	if err := cmd.Wait(); exitOf(err) != 0 {
		t.Fatalf("push exit %d\n%s", exitOf(err), w.logs)
	}
	w.checkExactlyOnce()
}

// TestPusherKilledMidPush: the pusher is SIGKILLed holding leases; a rerun
// waits for them to expire and finishes, with no URI pushed twice.
func TestPusherKilledMidPush(t *testing.T) {
	w := newPushWorld(t, 1500)
	w.startLocker("--latency", "5ms")
	cmd := w.push("--once", "--workers", "4", "--lease", "2s")
	w.waitPushed(200)
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if ob := w.outbox(); ob.Pending == 0 {
		t.Fatalf("the pusher finished before it was killed: %+v", ob)
	}
	if err := w.push("--once", "--retry-for", "30s").Wait(); exitOf(err) != 0 {
		t.Fatalf("rerun exit %d\n%s", exitOf(err), w.logs)
	}
	w.checkExactlyOnce()
}

// TestPushFlakyAndDownLocker: 500s and an initial outage, then success.
// The failure rate bounds the test's luck: the outage takes a row's first
// ~5 attempts, and with the backoff doubling, --retry-for allows ~7 more;
// at 0.3 a row failed all of them in ~7 % of runs (300 × 0.3^7, seen once
// under -race), at 0.15 in 300 × 0.15^7 ≈ 0.05 %.
func TestPushFlakyAndDownLocker(t *testing.T) {
	w := newPushWorld(t, 300)
	w.startLocker("--fail-rate", "0.15", "--down-for", "2s")
	if err := w.push("--once", "--retry-for", "60s").Wait(); exitOf(err) != 0 {
		t.Fatalf("push exit %d\n%s", exitOf(err), w.logs)
	}
	w.checkExactlyOnce()
}

// TestPushExitCodes: 1 while the gateway is down, 3 with dead letters
// (listed by status), 0 once they are fixed and re-queued.
func TestPushExitCodes(t *testing.T) {
	w := newPushWorld(t, 24)
	r := runCLI(t, "--home", w.home, "push", "--once", "--gateway", "http://"+w.addr, "--retry-for", "1s", "--backoff", "100ms")
	if r.code != exitError || !strings.Contains(r.stderr, "still pending") {
		t.Fatalf("gateway down: exit %d\n%s", r.code, r.stderr)
	}
	// Another citizen holds the first URI at the locker: a permanent refusal.
	w.startLocker()
	other := "23456789012"
	other += string(aadhaar.VerhoeffDigit(other))
	uri := firstURI(t, w.home)
	body := fmt.Sprintf(`<PushUriRequest orgId="in.gov.cbse" txn="seed" ts="%s"><UriDetails><Aadhaar>%s</Aadhaar><Uri>%s</Uri><DocType>SSCER</DocType><Action>A</Action></UriDetails></PushUriRequest>`,
		time.Now().Format(time.RFC3339), other, uri)
	postSigned(t, w.home, "http://"+w.addr+"/public/issuer/api/issuedoc/1/xml", body)
	r = runCLI(t, "--home", w.home, "push", "--once", "--gateway", "http://"+w.addr, "--json")
	if r.code != exitRejected {
		t.Fatalf("with a conflict: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var sum struct {
		Pushed, Dead int
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Pushed != 23 || sum.Dead != 1 {
		t.Fatalf("summary %s (%v)", r.stdout, err)
	}
	r = mustCLI(t, "--home", w.home, "status")
	if !strings.Contains(r.stdout, "Dead letters") || !strings.Contains(r.stdout, "already exists in another account") || !strings.Contains(r.stdout, uri) {
		t.Fatalf("status does not show the dead letter:\n%s", r.stdout)
	}
	r = runCLI(t, "--home", w.home, "push", "--once", "--retry-dead", "--gateway", "http://"+w.addr)
	if r.code != exitRejected || !strings.Contains(r.stderr, "re-queued 1 dead-lettered row") {
		t.Fatalf("retry-dead, still conflicting: exit %d\n%s", r.code, r.stderr)
	}
}

func firstURI(t *testing.T, home string) string {
	t.Helper()
	cat, err := repository.OpenSQLite(context.Background(), filepath.Join(home, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	var uri string
	cat.ForEachURI(context.Background(), "SSCER", func(u string) error {
		if uri == "" || u < uri {
			uri = u
		}
		return nil
	})
	return uri
}

// TestRevokeAndSuspendReachTheLocker: revoke pushes D (the locker drops
// the document), suspend pushes U; both are in the audit log, whose chain
// verifies.
func TestRevokeAndSuspendReachTheLocker(t *testing.T) {
	w := newPushWorld(t, 24)
	w.startLocker()
	gw := "--gateway=http://" + w.addr
	mustCLI(t, "--home", w.home, "push", "--once", gw)
	uri := firstURI(t, w.home)
	r := mustCLI(t, "--home", w.home, "revoke", uri, "--reason", "issued in error (ticket 7)")
	if !strings.Contains(r.stdout, "version 2, status R") {
		t.Fatalf("revoke said %q", r.stdout)
	}
	if r := runCLI(t, "--home", w.home, "reinstate", uri, "--reason", "x"); r.code != exitError || !strings.Contains(r.stderr, "is revoked") {
		t.Fatalf("reinstating a revoked document: exit %d %s", r.code, r.stderr)
	}
	var second string
	cat, _ := repository.OpenSQLite(context.Background(), filepath.Join(w.home, "catalog.db"))
	cat.ForEachURI(context.Background(), "SSCER", func(u string) error {
		if u != uri && second == "" {
			second = u
		}
		return nil
	})
	cat.Close()
	mustCLI(t, "--home", w.home, "suspend", second, "--reason", "re-evaluation")
	mustCLI(t, "--home", w.home, "push", "--once", gw)
	out := mustCLI(t, "locker", "list", "--data", w.data, "--json").stdout
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d locker.Document
		json.Unmarshal([]byte(line), &d)
		var acts []string
		for _, h := range d.History {
			acts = append(acts, h.Action)
		}
		got := d.State + " " + strings.Join(acts, ",")
		want := "active A"
		switch d.URI {
		case uri:
			want = "deleted A,D"
		case second:
			want = "active A,U"
		}
		if got != want {
			t.Errorf("%s at the locker: %s, want %s", d.URI, got, want)
		}
	}
	a := mustCLI(t, "--home", w.home, "audit", "--uri", uri).stdout
	for _, want := range []string{"issue", "revoke", "issued in error (ticket 7)", "push"} {
		if !strings.Contains(a, want) {
			t.Errorf("audit of %s lacks %q:\n%s", uri, want, a)
		}
	}
	if r := mustCLI(t, "--home", w.home, "audit", "--verify-chain"); !strings.Contains(r.stdout, "audit chain OK") {
		t.Fatalf("verify-chain: %s", r.stdout)
	}
	var chain struct {
		OK      bool   `json:"ok"`
		Entries int    `json:"entries"`
		Head    string `json:"head"`
	}
	if r := mustCLI(t, "--home", w.home, "audit", "--verify-chain", "--json"); json.Unmarshal([]byte(r.stdout), &chain) != nil || !chain.OK || chain.Entries == 0 || chain.Head == "" {
		t.Fatalf("verify-chain --json: %s", r.stdout)
	}
}
