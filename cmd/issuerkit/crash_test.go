//go:build integration

package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/samples"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// buildBinary builds issuerkit once per test binary.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "issuerkit-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "issuerkit")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("%s", out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// TestKill9ThenRerun kills ingest with SIGKILL at random points and checks
// that a rerun ends with every document exactly once: one catalog row, one
// version, one object and one outbox row per good row, no orphan object,
// and each bad row once in the rejects report. Each round needs two kills
// that land while ingest is still running; a round whose run finished
// before a kill starts again on a new home with shorter delays, and a
// round that never gets its kills in fails.
func TestKill9ThenRerun(t *testing.T) {
	bin := buildBinary(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	const rows = 3000
	gen := samples.Options{Rows: rows, Seed: 31, BadRate: 0.04}
	wantBad := expectedRejects(t, gen)
	for round := range 3 {
		t.Run("round"+strconv.Itoa(round), func(t *testing.T) {
			maxDelay := 1400
			for try := 1; ; try++ {
				home, rejects, ok := killTwiceThenFinish(t, bin, gen, rng, maxDelay)
				if ok {
					checkExactlyOnce(t, home, rows-len(wantBad), wantBad, rejects)
					return
				}
				if try == 5 {
					t.Fatalf("in %d tries ingest always finished before its second kill", try)
				}
				maxDelay /= 2
				t.Logf("ingest finished before the second kill; again with delays under %d ms", maxDelay+100)
			}
		})
	}
}

// killTwiceThenFinish ingests gen on a new home, SIGKILLs the run twice
// after random delays, then lets a third run finish. ok is false when a
// run ended before its kill.
func killTwiceThenFinish(t *testing.T, bin string, gen samples.Options, rng *rand.Rand, maxDelay int) (home, rejects string, ok bool) {
	t.Helper()
	dir := t.TempDir()
	home = filepath.Join(dir, "home")
	input := filepath.Join(dir, "in.csv")
	rejects = filepath.Join(dir, "rejects.csv")
	f, _ := os.Create(input)
	if err := gen.WriteCSV(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	mustCLI(t, "--home", home, "init", "--issuer-id", "in.gov.test", "--issuer-name", "Test Board")
	args := []string{"--home", home, "ingest", "--profile", profile, "--rejects", rejects, input}
	for attempt := range 3 {
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		if attempt < 2 {
			delay := time.Duration(100+rng.IntN(maxDelay)) * time.Millisecond
			select {
			case <-done:
				return home, rejects, false
			case <-time.After(delay):
				cmd.Process.Signal(syscall.SIGKILL)
				<-done
				t.Logf("killed after %v", delay)
				continue
			}
		}
		err := <-done
		if code := cmd.ProcessState.ExitCode(); code != exitRejected {
			t.Fatalf("final run: exit %d (%v), want %d", code, err, exitRejected)
		}
	}
	return home, rejects, true
}

// expectedRejects maps gen's rows through the sample profile: the input
// lines a run must reject (rows that do not map, and repeats of a DocID an
// earlier row got; a "duplicate" of a rejected row is the first of its
// DocID and is issued).
func expectedRejects(t testing.TB, gen samples.Options) map[int]bool {
	t.Helper()
	p, err := ingest.LoadProfile(profile)
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Bind(samples.Header)
	if err != nil {
		t.Fatal(err)
	}
	bad, seen := map[int]bool{}, map[string]bool{}
	for i := range gen.Rows {
		cells, _ := gen.Row(i)
		rec, err := m.Map(ingest.Row{Line: i + 2, Cells: cells})
		if err != nil || seen[rec.DocID] {
			bad[i+2] = true
			continue
		}
		seen[rec.DocID] = true
	}
	return bad
}

func checkExactlyOnce(t *testing.T, home string, wantDocs int, wantBad map[int]bool, rejects string) {
	t.Helper()
	ctx := context.Background()
	st := checkCatalogOnce(t, home, wantDocs)
	fs, _ := store.OpenFS(filepath.Join(home, "store"))
	objects := 0
	fs.List(ctx, "", func(fi store.ObjectInfo) error {
		objects++
		if filepath.Base(fi.Key) != "v1.xml" {
			t.Errorf("unexpected object %s", fi.Key)
		}
		return nil
	})
	if objects != wantDocs {
		t.Errorf("%d objects, want %d (no orphans, nothing missing)", objects, wantDocs)
	}
	for _, b := range st.Batches {
		if b.State != "done" {
			t.Errorf("batch %s left %s", b.ID, b.State)
		}
	}
	if rejects == "" {
		return
	}
	f, err := os.Open(rejects)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("rejects report is not valid CSV: %v", err)
	}
	got := map[int]int{}
	for _, r := range recs[1:] {
		n, _ := strconv.Atoi(r[0])
		got[n]++
	}
	for line := range wantBad {
		if got[line] != 1 {
			t.Errorf("bad row %d is in the rejects report %d times, want once", line, got[line])
		}
	}
	if len(got) != len(wantBad) {
		t.Errorf("rejects report has %d distinct rows, want %d", len(got), len(wantBad))
	}
}

// TestSIGINTExit130ThenResume interrupts ingest with SIGINT: it must exit
// 130 with a resume hint after committing the rows it read, and the same
// command must then resume the batch and finish it.
func TestSIGINTExit130ThenResume(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	input := filepath.Join(dir, "in.csv")
	f, _ := os.Create(input)
	if err := (samples.Options{Rows: 4000, Seed: 41}).WriteCSV(f); err != nil {
		t.Fatal(err)
	}
	f.Close()
	mustCLI(t, "--home", home, "init", "--issuer-id", "in.gov.test", "--issuer-name", "Test Board")
	args := []string{"--home", home, "ingest", "--json", "--quiet", "--profile", profile, input}
	cmd := exec.Command(bin, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForDocuments(t, home)
	cmd.Process.Signal(syscall.SIGINT)
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d after SIGINT, want %d\n%s", code, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "run the same command again") {
		t.Errorf("no resume hint: %q", stderr.String())
	}
	var first struct {
		Read        int  `json:"read"`
		Issued      int  `json:"issued"`
		Interrupted bool `json:"interrupted"`
	}
	if err := json.Unmarshal([]byte(stdout.String()), &first); err != nil || !first.Interrupted || first.Read == 0 || first.Read != first.Issued {
		t.Fatalf("interrupted summary %q: %v", stdout.String(), err)
	}
	r := mustCLI(t, args...)
	var second struct {
		Read, Issued int
		Resumed      bool `json:"resumed"`
		ResumedAfter int  `json:"resumed_after"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &second); err != nil {
		t.Fatal(err)
	}
	if !second.Resumed || second.ResumedAfter != first.Read || second.Read != 4000 || second.Issued != 4000 {
		t.Fatalf("rerun summary %s, want a resume after %d rows ending at 4000 issued", r.stdout, first.Read)
	}
	checkExactlyOnce(t, home, 4000, map[int]bool{}, "")
}

// TestServeAnswersAndStopsOnSIGTERM runs `issuerkit serve`, pulls a sample
// document with a signed Pull URI request, and stops it with SIGTERM.
func TestServeAnswersAndStopsOnSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	mustCLI(t, "--home", home, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE")
	mustCLI(t, "--home", home, "ingest", "--profile", profile, sample)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "--home", home, "serve", "--addr", addr)
	var logs strings.Builder
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	cells, _ := samples.Options{Seed: 2025}.Row(0)
	dob := cells[6]
	for _, l := range []string{"02/01/2006", "2006-01-02"} {
		if d, err := time.Parse(l, dob); err == nil {
			dob = d.Format("02-01-2006")
		}
	}
	body := `<PullURIRequest ver="1.0" ts="t" txn="x" format="xml"><DocDetails><DocType>SSCER</DocType><FullName>` + cells[3] +
		`</FullName><DOB>` + dob + `</DOB><RollNo>` + cells[0] + `</RollNo><Year>2025</Year></DocDetails></PullURIRequest>`
	if code, reply := postSigned(t, home, "http://"+addr+"/digilocker/pulluri", body); code != 200 || !strings.Contains(reply, "<DataContent>") {
		t.Fatalf("HTTP %d\n%s", code, reply)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, logs.String())
	}
	if strings.Contains(logs.String(), cells[0]) || strings.Contains(logs.String(), cells[3]) {
		t.Fatalf("the server's log holds personal data:\n%s", logs.String())
	}
}

// checkCatalogOnce checks that the catalog holds wantDocs documents, each
// exactly at version 1 and with one outbox row, and returns its stats.
func checkCatalogOnce(t *testing.T, home string, wantDocs int) repository.Stats {
	t.Helper()
	ctx := context.Background()
	cat, err := repository.OpenSQLite(ctx, filepath.Join(home, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer cat.Close()
	st, err := cat.Stats(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != wantDocs || st.Outbox.Pending != wantDocs {
		t.Errorf("%d documents and %d outbox rows, want %d each", st.Documents, st.Outbox.Pending, wantDocs)
	}
	uris := 0
	cat.ForEachURI(ctx, "SSCER", func(uri string) error {
		uris++
		if d, err := cat.Current(ctx, uri); err != nil || d.Version != 1 {
			t.Errorf("%s: version %d, %v; want exactly v1", uri, d.Version, err)
		}
		return nil
	})
	if uris != wantDocs {
		t.Errorf("%d URIs, want %d", uris, wantDocs)
	}
	return st
}

// waitForDocuments waits until the home's catalog has committed at least
// one document, so a test interrupts an ingest that is surely under way.
func waitForDocuments(t *testing.T, home string) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cat, err := repository.OpenSQLite(ctx, filepath.Join(home, "catalog.db")); err == nil {
			st, err := cat.Stats(ctx, 1)
			cat.Close()
			if err == nil && st.Documents > 0 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the ingest committed nothing within 30 s")
}
