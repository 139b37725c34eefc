//go:build integration

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/samples"
)

// TestScaleOut runs two ingest shards, two pushers and two API servers at
// once on one PostgreSQL catalog and one S3 store, pushing to one locker;
// kills one of each mid-run (SIGKILL), reruns or restarts it, and checks
// that every document is issued once, pushed once, and served by both APIs.
func TestScaleOut(t *testing.T) {
	bin := buildBinary(t)
	dsn := testenv.StartPostgres(t)
	srv := testenv.StartS3(t)
	s3Env(t, srv)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	mustCLI(t, "--home", home, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--key-type", "ecdsa-p256",
		"--catalog-dsn", dsn, "--store", "s3", "--s3-endpoint", srv.Endpoint, "--s3-bucket", srv.Bucket, "--s3-prefix", "scale")
	const rows = 4000
	gen := samples.Options{Rows: rows, Seed: 9, BadRate: 0.02}
	input := filepath.Join(dir, "in.csv")
	f, _ := os.Create(input)
	if err := gen.WriteCSV(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	want := rows - len(expectedRejects(t, gen))

	var logs syncLog
	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, append([]string{"--home", home}, args...)...)
		cmd.Stderr, cmd.Stdout = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	kill := func(what string, cmd *exec.Cmd) {
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("%s had ended before it was killed (%v): the test killed nothing", what, err)
		}
	}
	lockerData, lockerAddr := filepath.Join(dir, "locker"), freeAddr(t)
	mustCLI(t, "locker", "issuer", "add", "--data", lockerData, "--id", "in.gov.cbse", "--api-key-file", filepath.Join(home, "keys/api-key"),
		"--pull-url", "http://127.0.0.1:1", "--cert", filepath.Join(home, "keys/signing.crt"))
	startListener(t, &logs, &lockerAddr, false, func(addr string) *exec.Cmd {
		return exec.Command(bin, "locker", "serve", "--data", lockerData, "--addr", addr, "--latency", "2ms")
	})
	apiAddr := [2]string{freeAddr(t), freeAddr(t)}
	api := [2]*exec.Cmd{start("serve", "--addr", apiAddr[0]), start("serve", "--addr", apiAddr[1])}
	push := func() *exec.Cmd {
		return start("push", "--gateway", "http://"+lockerAddr, "--workers", "4", "--lease", "3s", "--backoff", "100ms")
	}
	pushers := [2]*exec.Cmd{push(), push()}
	shards := [2]*exec.Cmd{start("ingest", "--quiet", "--profile", profile, "--shard", "0/2", input),
		start("ingest", "--quiet", "--profile", profile, "--shard", "1/2", input)}

	cat, err := repository.OpenPostgres(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	stats := func() repository.Stats {
		st, err := cat.Stats(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	waitFor := func(what string, cond func(repository.Stats) bool) {
		deadline := time.Now().Add(3 * time.Minute)
		for time.Now().Before(deadline) {
			if cond(stats()) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s: %+v\n%s", what, stats(), logs.String())
	}
	waitFor("a first documents", func(s repository.Stats) bool { return s.Documents >= 300 })
	kill("ingest shard 1/2", shards[1])
	waitFor("a first pushes", func(s repository.Stats) bool { return s.Outbox.Pushed >= 100 })
	kill("a pusher", pushers[0])
	kill("an API server", api[0])
	api[0] = start("serve", "--addr", apiAddr[0])
	if err := shards[0].Wait(); exitOf(err) != exitOK && exitOf(err) != exitRejected {
		t.Fatalf("shard 0: exit %d\n%s", exitOf(err), logs.String())
	}
	if err := start("ingest", "--quiet", "--profile", profile, "--shard", "1/2", input).Wait(); exitOf(err) != exitOK && exitOf(err) != exitRejected {
		t.Fatalf("shard 1 rerun: exit %d\n%s", exitOf(err), logs.String())
	}
	waitFor("every document pushed", func(s repository.Stats) bool {
		return s.Documents == want && s.Outbox.Pending == 0 && s.Outbox.Pushed == want
	})
	pushers[1].Process.Signal(syscall.SIGTERM)
	pushers[1].Wait()

	// Issued once: one version each, one object each.
	st := stats()
	if st.Documents != want || st.Outbox.Dead != 0 {
		t.Fatalf("stats %+v, want %d documents", st, want)
	}
	var uris []string
	cat.ForEachURI(context.Background(), "SSCER", func(u string) error { uris = append(uris, u); return nil })
	for _, u := range uris {
		if d, err := cat.Current(context.Background(), u); err != nil || d.Version != 1 {
			t.Fatalf("%s: v%d %v", u, d.Version, err)
		}
	}
	if n := countS3(t, srv, "scale"); n != want {
		t.Errorf("%d objects in S3, want %d", n, want)
	}
	if _, _, err := cat.VerifyAuditChain(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Pushed once: every URI at the locker with one A.
	out := mustCLI(t, "locker", "list", "--data", lockerData, "--json").stdout
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var d locker.Document
		json.Unmarshal([]byte(line), &d)
		n++
		if len(d.History) != 1 || d.History[0].Action != "A" {
			t.Errorf("%s at the locker: %+v", d.URI, d.History)
		}
	}
	if n != want {
		t.Errorf("the locker holds %d URIs, want %d", n, want)
	}
	// Served by both APIs.
	waitListening(t, apiAddr[0])
	for i, u := range uris[:20] {
		body := `<PullDocRequest ver="1.0" ts="t" txn="` + fmt.Sprint(i) + `" orgId="in.gov.locker"><DocDetails><URI>` + u + `</URI></DocDetails></PullDocRequest>`
		if code, reply := postSigned(t, home, "http://"+apiAddr[i%2]+"/digilocker/pulldoc", body); code != 200 || !strings.Contains(reply, `Status="1"`) {
			t.Fatalf("API %d on %s: HTTP %d %s", i%2, u, code, reply)
		}
	}
}

// TestCatalogMigrateToPostgres moves a used SQLite home (documents,
// versions, pushes, a revocation, audit entries) to PostgreSQL: counts,
// the audit chain and the documents survive, and the home keeps working.
func TestCatalogMigrateToPostgres(t *testing.T) {
	dsn := testenv.StartPostgres(t)
	w := newPushWorld(t, 24)
	w.startLocker()
	gw := "--gateway=http://" + w.addr
	mustCLI(t, "--home", w.home, "push", "--once", gw)
	uri := firstURI(t, w.home)
	mustCLI(t, "--home", w.home, "revoke", uri, "--reason", "test")
	before := mustCLI(t, "--home", w.home, "status", "--json").stdout
	headBefore := mustCLI(t, "--home", w.home, "audit", "--verify-chain").stdout

	r := mustCLI(t, "--home", w.home, "catalog", "migrate", "--to", "postgres", "--dsn", dsn)
	if !strings.Contains(r.stdout, "audit chain verified") {
		t.Fatalf("migrate said %s", r.stdout)
	}
	cfg, _ := os.ReadFile(filepath.Join(w.home, "issuerkit.yaml"))
	if !strings.Contains(string(cfg), "type: postgres") {
		t.Fatalf("the home was not switched:\n%s", cfg)
	}
	var sb, sa struct {
		Documents int            `json:"documents"`
		ByStatus  map[string]int `json:"by_status"`
		Outbox    map[string]int `json:"outbox"`
	}
	json.Unmarshal([]byte(before), &sb)
	json.Unmarshal([]byte(mustCLI(t, "--home", w.home, "status", "--json").stdout), &sa)
	if sa.Documents != sb.Documents || sa.ByStatus["R"] != 1 || sa.Outbox["pushed"] != sb.Outbox["pushed"] || sa.Outbox["pending"] != 1 {
		t.Fatalf("status before %+v, after %+v", sb, sa)
	}
	if after := mustCLI(t, "--home", w.home, "audit", "--verify-chain").stdout; after != headBefore {
		t.Fatalf("audit chain before %q, after %q", headBefore, after)
	}
	if r := runCLI(t, "--home", w.home, "catalog", "migrate", "--to", "postgres", "--dsn", dsn); r.code != exitUsage {
		t.Fatalf("migrating twice: exit %d %s", r.code, r.stderr)
	}
	// The home works on PostgreSQL: the queued D goes out, documents are served.
	mustCLI(t, "--home", w.home, "push", "--once", gw)
	if out := mustCLI(t, "--home", w.home, "get", uri).stdout; !strings.Contains(out, `status="R"`) {
		t.Fatal("get after the migration")
	}
	if _, err := os.Stat(filepath.Join(w.home, "catalog.db")); err != nil {
		t.Fatalf("the SQLite catalog was not kept: %v", err)
	}
}
