//go:build integration

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// TestResultsDay: results ingested with --release-at are held: a running
// server answers a matching Pull URI Status 9, push --once sends nothing and
// exits 0, status counts them; `issuerkit release` (another process) makes
// them public: the same server serves them within moments and the pushes
// reach the locker, each once.
func TestResultsDay(t *testing.T) {
	const rows = 30
	w := &pushWorld{t: t, bin: buildBinary(t), dir: t.TempDir(), logs: &syncLog{}, rows: rows}
	w.home, w.data, w.addr = filepath.Join(w.dir, "home"), filepath.Join(w.dir, "locker"), freeAddr(t)
	input := filepath.Join(w.dir, "results.csv")
	mustCLI(t, "--home", w.home, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--key-type", "ecdsa-p256")
	mustCLI(t, "samples", "gen", "--rows", fmt.Sprint(rows), "--seed", "8", "--out", input)
	release := time.Now().Add(2 * time.Hour).Format(time.RFC3339)
	r := mustCLI(t, "--home", w.home, "ingest", "--quiet", "--profile", profile, "--release-at", release, input)
	if !strings.Contains(r.stdout, "held until") {
		t.Fatalf("ingest does not say the documents are held:\n%s", r.stdout)
	}
	mustCLI(t, "locker", "issuer", "add", "--data", w.data, "--id", "in.gov.cbse", "--api-key-file", filepath.Join(w.home, "keys/api-key"),
		"--pull-url", "http://127.0.0.1:1", "--cert", filepath.Join(w.home, "keys/signing.crt"))
	raw, _ := os.ReadFile(input)
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	for _, l := range lines[1:] {
		w.aadhaars = append(w.aadhaars, strings.Split(l, ",")[8])
	}
	first := strings.Split(lines[1], ",") // no quoted cells in the first columns
	w.startLocker()

	api := freeAddr(t)
	startListener(t, w.logs, &api, false, func(addr string) *exec.Cmd {
		return exec.Command(w.bin, "--home", w.home, "serve", "--addr", addr)
	})
	pull := func() string {
		t.Helper()
		body := `<PullURIRequest ver="1.0" ts="t" txn="x" format="xml"><DocDetails><DocType>SSCER</DocType><FullName>` + first[3] +
			`</FullName><DOB>` + first[6] + `</DOB><RollNo>` + first[0] + `</RollNo><Year>` + first[1] + `</Year></DocDetails></PullURIRequest>`
		_, reply := postSigned(t, w.home, "http://"+api+"/digilocker/pulluri", body)
		return reply
	}
	if reply := pull(); !strings.Contains(reply, `Status="9"`) || strings.Contains(reply, "<DataContent>") {
		t.Fatalf("a held result: %s; want Status 9 without the document", reply)
	}

	if code := exitOf(w.push("--once", "--retry-for", "2s").Wait()); code != 0 {
		t.Fatalf("push --once with only held rows: exit %d\n%s", code, w.logs)
	}
	if ob := w.outbox(); ob.Pushed != 0 || ob.Pending != rows || ob.Held != rows {
		t.Fatalf("outbox after pushing held rows: %+v; want all %d pending and held", ob, rows)
	}
	var st repository.Stats
	if err := json.Unmarshal([]byte(mustCLI(t, "--home", w.home, "status", "--json").stdout), &st); err != nil || st.Held != rows {
		t.Fatalf("status --json: held %d, %v; want %d", st.Held, err, rows)
	}

	if r := mustCLI(t, "--home", w.home, "get", "--doctype", "SSCER", "--roll", first[0], "--year", first[1]); !strings.Contains(r.stdout, "<Certificate") ||
		!strings.Contains(r.stderr, "held until") {
		t.Fatalf("get of a held document: the operator gets it, with a note: stderr %q", r.stderr)
	}

	if r := mustCLI(t, "--home", w.home, "release", "--doctype", "SSCER"); !strings.Contains(r.stdout, fmt.Sprintf("released %d held documents of SSCER", rows)) {
		t.Fatalf("release: %s", r.stdout)
	}
	// The server is another process: it notices the release through the
	// catalog's generation, which it checks every few tens of milliseconds.
	deadline := time.Now().Add(5 * time.Second)
	for reply := pull(); !strings.Contains(reply, `Status="1"`); reply = pull() {
		if time.Now().After(deadline) {
			t.Fatalf("released, but the server still answers: %s", reply)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := exitOf(w.push("--once", "--retry-for", "10s").Wait()); code != 0 {
		t.Fatalf("push --once after the release: exit %d\n%s", code, w.logs)
	}
	w.checkExactlyOnce()
}
