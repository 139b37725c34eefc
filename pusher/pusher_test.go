package pusher_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/pusher"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

const (
	issuerID = "in.gov.test"
	apiKey   = "push-test-key"
)

// syncBuffer is a log sink several goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fixture is an issuer catalog with an outbox and a real reference locker.
type fixture struct {
	t        testing.TB
	cat      *repository.SQLite
	kr       *aadhaar.Keyring
	lockDir  string
	store    *locker.Store
	srv      *httptest.Server
	lsrv     *locker.Server
	logs     *syncBuffer
	aadhaars map[string]string // URI → number
	raw      int               // pushes sent by rawPush
}

// aadhaarFor returns a valid Aadhaar number for i.
func aadhaarFor(i int) string {
	base := fmt.Sprintf("%011d", 40000000000+i*7919)
	return base + string(aadhaar.VerhoeffDigit(base))
}

func newFixture(t testing.TB, faults locker.Faults) *fixture {
	t.Helper()
	dir := t.TempDir()
	cat, err := repository.OpenSQLite(context.Background(), filepath.Join(dir, "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cat.Close() })
	k, _ := aadhaar.NewKey()
	kr, err := aadhaar.NewKeyring(k)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, cat: cat, kr: kr, lockDir: filepath.Join(dir, "locker"), logs: &syncBuffer{}, aadhaars: map[string]string{}}
	f.startLocker(faults)
	t.Cleanup(f.stopLocker)
	return f
}

func (f *fixture) startLocker(faults locker.Faults) {
	f.startLockerWith(func(c *locker.Config) { c.Faults = faults })
}

func (f *fixture) stopLocker() {
	if f.srv == nil {
		return
	}
	f.srv.Close()
	f.lsrv.Close()
	f.store.Close()
	f.srv = nil
}

// restartLocker keeps the locker's data and changes its faults.
func (f *fixture) restartLocker(faults locker.Faults) {
	f.stopLocker()
	f.startLocker(faults)
}

// issue writes version v of n documents (from first) with their outbox rows.
func (f *fixture) issue(first, n, v int) {
	f.t.Helper()
	var chs []repository.Change
	for i := first; i < first+n; i++ {
		uri := fmt.Sprintf("%s-SSCER-%05d", issuerID, i)
		num := aadhaarFor(i)
		f.aadhaars[uri] = num
		enc, err := f.kr.Encrypt(num, uri)
		if err != nil {
			f.t.Fatal(err)
		}
		action := repository.ActionAdd
		if v > 1 {
			action = repository.ActionUpdate
		}
		chs = append(chs, repository.Change{
			Doc: repository.Document{URI: uri, DocType: "SSCER", DocID: fmt.Sprintf("%05d", i), Version: v,
				ObjectKey: "k", ObjectSHA256: "s", ContentHash: fmt.Sprint("h", v), Status: xmlschema.StatusActive,
				SearchKey: uri, HolderName: "N", HolderDOB: "01-01-2000", IssueDate: "01-06-2025"},
			PrevVersion: v - 1, Size: 1,
			Outbox: &repository.OutboxEntry{Action: action, DocName: "Class X Marksheet", IssuedOn: "01/06/2025",
				ValidFrom: "01/06/2025", AadhaarEnc: enc},
		})
	}
	if err := f.cat.Apply(context.Background(), "b", chs, nil); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) pusher(mod func(*pusher.Config)) *pusher.Pusher {
	f.t.Helper()
	cfg := pusher.Config{Outbox: f.cat, Keyring: f.kr, Gateway: f.srv.URL, OrgID: issuerID, Key: []byte(apiKey),
		Workers: 4, BackoffBase: 20 * time.Millisecond, BackoffMax: 200 * time.Millisecond, Timeout: 2 * time.Second,
		Logger: slog.New(slog.NewTextHandler(f.logs, nil))}
	if mod != nil {
		mod(&cfg)
	}
	p, err := pusher.New(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) run(p *pusher.Pusher, retryFor time.Duration) pusher.Summary {
	f.t.Helper()
	sum, err := p.Run(context.Background(), true, retryFor)
	if err != nil {
		f.t.Fatal(err)
	}
	return sum
}

func (f *fixture) outbox() repository.OutboxStats {
	f.t.Helper()
	st, err := f.cat.Stats(context.Background(), 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return st.Outbox
}

// histories returns each URI's action history in the locker, e.g. "A,U".
func (f *fixture) histories() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	err := f.store.All(context.Background(), func(d locker.Document) error {
		var acts []string
		for _, e := range d.History {
			acts = append(acts, e.Action)
		}
		out[d.URI] = strings.Join(acts, ",")
		if d.Citizen != f.store.CitizenHash(f.aadhaars[d.URI]) {
			f.t.Errorf("%s is in the wrong citizen's locker", d.URI)
		}
		return nil
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// wantExactlyOnce checks that the outbox is drained and every URI is in
// the locker with exactly the history want.
func (f *fixture) wantExactlyOnce(n int, want string) {
	f.t.Helper()
	if ob := f.outbox(); ob.Pending != 0 || ob.Dead != 0 {
		f.t.Errorf("outbox not drained: %+v", ob)
	}
	h := f.histories()
	if len(h) != n {
		f.t.Errorf("locker holds %d URIs, want %d", len(h), n)
	}
	bad := 0
	for uri, got := range h {
		if got != want {
			if bad++; bad <= 5 {
				f.t.Errorf("%s history %q, want %q", uri, got, want)
			}
		}
	}
}

// noAadhaarInLogs fails if any full Aadhaar number reached a log.
func (f *fixture) noAadhaarInLogs() {
	f.t.Helper()
	logs := f.logs.String()
	for uri, num := range f.aadhaars {
		if strings.Contains(logs, num) {
			f.t.Fatalf("the Aadhaar of %s is in the logs", uri)
		}
	}
}

func TestPushAddThenUpdate(t *testing.T) {
	for _, bulk := range []int{0, 16} {
		t.Run(fmt.Sprint("bulk", bulk), func(t *testing.T) {
			f := newFixture(t, locker.Faults{})
			f.issue(0, 100, 1)
			f.issue(0, 30, 2) // queued behind their A: must arrive after it
			sum := f.run(f.pusher(func(c *pusher.Config) { c.Bulk = bulk }), time.Second)
			if sum.Pushed != 130 || sum.Dead != 0 || sum.Already != 0 {
				t.Fatalf("summary %+v", sum)
			}
			h := f.histories()
			for i := range 100 {
				uri := fmt.Sprintf("%s-SSCER-%05d", issuerID, i)
				want := "A"
				if i < 30 {
					want = "A,U"
				}
				if h[uri] != want {
					t.Errorf("%s history %q, want %q", uri, h[uri], want)
				}
			}
			if ob := f.outbox(); ob.Pending != 0 || ob.Pushed != 130 {
				t.Errorf("outbox %+v", ob)
			}
			if bulk == 0 && sum.Requests != 130 || bulk > 0 && sum.Requests >= 130 {
				t.Errorf("%d requests with bulk %d", sum.Requests, bulk)
			}
			f.noAadhaarInLogs()
		})
	}
}

// TestPushFlakyLocker: a locker failing 40% of pushes, half of them after
// applying (the reply is lost), still ends with every URI there once.
func TestPushFlakyLocker(t *testing.T) {
	for _, bulk := range []int{0, 8} {
		t.Run(fmt.Sprint("bulk", bulk), func(t *testing.T) {
			f := newFixture(t, locker.Faults{FailRate: 0.4})
			f.issue(0, 200, 1)
			f.issue(0, 200, 2)
			sum := f.run(f.pusher(func(c *pusher.Config) { c.Bulk = bulk }), 30*time.Second)
			if sum.Pushed != 400 || sum.Failures == 0 {
				t.Fatalf("summary %+v: want 400 pushed after some failures", sum)
			}
			// A lost reply makes the pusher send again: the locker must
			// recognise the repeat, or a U would be applied twice.
			f.wantExactlyOnce(200, "A,U")
			f.noAadhaarInLogs()
		})
	}
}

// TestPushLockerDownThenUp: 503 with Retry-After for a while, then up.
func TestPushLockerDownThenUp(t *testing.T) {
	f := newFixture(t, locker.Faults{DownFor: 1500 * time.Millisecond})
	f.issue(0, 50, 1)
	start := time.Now()
	sum := f.run(f.pusher(nil), 30*time.Second)
	if sum.Pushed != 50 || sum.Failures == 0 {
		t.Fatalf("summary %+v", sum)
	}
	if time.Since(start) < 1500*time.Millisecond {
		t.Fatalf("finished before the locker came up")
	}
	f.wantExactlyOnce(50, "A")
}

// TestPushUnreachableGatewayPauses: against a gateway nothing listens on,
// a pass pauses between rounds (backing off) rather than failing all
// 2,000 pending rows in turn, says so once a round, ends when a pause
// would outlast its window, and leaves the rows pending.
func TestPushUnreachableGatewayPauses(t *testing.T) {
	f := newFixture(t, locker.Faults{})
	f.issue(0, 2000, 1)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // its port now refuses connections
	p := f.pusher(func(c *pusher.Config) {
		c.Gateway, c.BackoffBase, c.BackoffMax = gone.URL, 200*time.Millisecond, 10*time.Second
	})
	sum := f.run(p, time.Second)
	// Rounds at 0 and after pauses of at least 0.1, 0.2 and 0.4 s: four at
	// most within the second, 120 rows each (4 workers × 30).
	if sum.Pushed != 0 || sum.Requests == 0 || sum.Requests > 4*120 {
		t.Errorf("against an unreachable gateway: %+v, want at most 4 rounds of 120 requests", sum)
	}
	if ob := f.outbox(); ob.Pending != 2000 {
		t.Errorf("outbox %+v, want all 2000 pending", ob)
	}
	logs := f.logs.String()
	if n := strings.Count(logs, "the gateway is unreachable: pausing pushes"); n == 0 || n > 4 || !strings.Contains(logs, "connection refused") {
		t.Errorf("%d pause lines:\n%s", n, logs)
	}
	if !strings.Contains(logs, "ending the pass with rows pending") {
		t.Errorf("the pass did not say why it ended:\n%s", logs)
	}
	if strings.Contains(logs, "pushes failed, will retry") {
		t.Errorf("a down round is also logged as failed rows:\n%s", logs)
	}
}

// TestPushSlowLockerTimesOut: every push times out, so a pass leaves them
// pending (though the locker applied some after we gave up); once the
// locker is fast again a rerun completes, and the locker has each once.
func TestPushSlowLockerTimesOut(t *testing.T) {
	f := newFixture(t, locker.Faults{Latency: 300 * time.Millisecond})
	f.issue(0, 20, 1)
	sum := f.run(f.pusher(func(c *pusher.Config) { c.Timeout = 100 * time.Millisecond }), 300*time.Millisecond)
	if sum.Pushed != 0 || sum.Failures == 0 {
		t.Fatalf("against a slow locker: %+v", sum)
	}
	if ob := f.outbox(); ob.Pending != 20 {
		t.Fatalf("outbox %+v, want 20 pending", ob)
	}
	if !strings.Contains(f.logs.String(), "no reply from the gateway within 100ms") {
		t.Errorf("the log does not say why: %s", f.logs.String())
	}
	time.Sleep(400 * time.Millisecond) // let the locker finish what it started
	f.restartLocker(locker.Faults{})
	sum = f.run(f.pusher(func(c *pusher.Config) { c.BackoffMax = 50 * time.Millisecond }), 10*time.Second)
	if sum.Pushed != 20 {
		t.Fatalf("after recovery: %+v", sum)
	}
	f.wantExactlyOnce(20, "A")
}

// TestPushOnceEnds: a pass ends once nothing more falls due within its
// window, even when the rows, claimed in groups, each fall due again while
// another group is being pushed (under load this kept `push --once` going
// for ever), and when a URI's U waits behind an A that keeps failing.
func TestPushOnceEnds(t *testing.T) {
	f := newFixture(t, locker.Faults{})
	f.issue(0, 64, 1)
	f.issue(0, 1, 2) // a U behind the first URI's A
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(5 * time.Millisecond) // a round of 32 outlasts the backoff
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer failing.Close()
	p := f.pusher(func(c *pusher.Config) {
		c.Gateway, c.Workers = failing.URL, 1 // claims of 32: two groups
		c.BackoffBase, c.BackoffMax = 5*time.Millisecond, 20*time.Millisecond
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sum, err := p.Run(ctx, true, 300*time.Millisecond)
	if ctx.Err() != nil {
		t.Fatalf("the pass was still running after 30 s (%+v)", sum)
	}
	if err != nil || sum.Pushed != 0 || sum.Failures < 64 {
		t.Fatalf("Run = %+v, %v", sum, err)
	}
	if ob := f.outbox(); ob.Pending != 65 {
		t.Fatalf("outbox %+v, want all 65 pending", ob)
	}
}

// TestPushDeadLetters: a URI the locker holds for another citizen is a
// permanent failure; its later U waits with it; RetryDead requeues both.
func TestPushDeadLetters(t *testing.T) {
	f := newFixture(t, locker.Faults{})
	f.issue(0, 3, 1)
	// Another citizen already has URI 00001 at the locker.
	uri := issuerID + "-SSCER-00001"
	var b bytes.Buffer
	d := xmlschema.PushDetails{Aadhaar: aadhaarFor(999), URI: uri, DocType: "SSCER", DocName: "x", DocID: "00001", Action: "A"}
	xmlschema.AppendPushRequest(&b, issuerID, time.Now().Format(time.RFC3339), "other", apiKey, &d)
	req, _ := http.NewRequest("POST", f.srv.URL+xmlschema.PushPath, bytes.NewReader(b.Bytes()))
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody([]byte(apiKey), b.Bytes()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("seeding the conflict: %v %v", resp, err)
	}
	resp.Body.Close()
	f.issue(1, 1, 2)
	sum := f.run(f.pusher(nil), time.Second)
	if sum.Pushed != 2 || sum.Dead != 1 {
		t.Fatalf("summary %+v", sum)
	}
	dead, err := f.cat.DeadLetters(context.Background(), 10)
	if err != nil || len(dead) != 2 {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	if !strings.Contains(dead[0].LastError, xmlschema.MsgExistsElsewhere) || dead[1].Action != "U" || !strings.Contains(dead[1].LastError, "waits for") {
		t.Fatalf("dead letters: %q / %q", dead[0].LastError, dead[1].LastError)
	}
	if n, err := f.cat.RetryDead(context.Background()); err != nil || n != 2 {
		t.Fatalf("RetryDead %d %v", n, err)
	}
	sum = f.run(f.pusher(nil), time.Second)
	if sum.Dead != 1 || f.outbox().Dead != 2 {
		t.Fatalf("after retry: %+v %+v", sum, f.outbox())
	}
	f.noAadhaarInLogs()
}

// TestPushWrongKey: the gateway refusing our credentials stops the run
// with ErrUnauthorized and dead-letters nothing.
func TestPushWrongKey(t *testing.T) {
	f := newFixture(t, locker.Faults{})
	f.issue(0, 10, 1)
	p := f.pusher(func(c *pusher.Config) { c.Key = []byte("wrong") })
	_, err := p.Run(context.Background(), true, time.Second)
	if err == nil || !strings.Contains(err.Error(), "refused the issuer's credentials") {
		t.Fatalf("err = %v", err)
	}
	if ob := f.outbox(); ob.Pending != 10 || ob.Dead != 0 {
		t.Fatalf("outbox %+v", ob)
	}
	items, err := f.cat.Claim(context.Background(), "x", 100, time.Minute, time.Time{})
	if err != nil || len(items) != 10 || items[0].Attempts != 0 {
		t.Fatalf("rows not released as unattempted: %d %v", len(items), err)
	}
}

// TestTwoPushersNeverShareARow: two pushers on one outbox, started
// together, send each row once between them. A run in which one pusher
// did all the work proves nothing about sharing, so it is run again (up
// to five times) until both took rows; never getting there fails.
func TestTwoPushersNeverShareARow(t *testing.T) {
	for attempt := 1; ; attempt++ {
		f := newFixture(t, locker.Faults{Latency: 2 * time.Millisecond})
		f.issue(0, 400, 1)
		var wg sync.WaitGroup
		start := make(chan struct{})
		sums := make([]pusher.Summary, 2)
		for i := range sums {
			p := f.pusher(nil)
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				s, err := p.Run(context.Background(), true, time.Second)
				if err != nil {
					t.Error(err)
				}
				sums[i] = s
			}()
		}
		close(start)
		wg.Wait()
		if sums[0].Pushed+sums[1].Pushed != 400 || sums[0].Already+sums[1].Already != 0 {
			t.Fatalf("summaries %+v %+v: a row was sent twice", sums[0], sums[1])
		}
		f.wantExactlyOnce(400, "A")
		if sums[0].Pushed > 0 && sums[1].Pushed > 0 {
			return
		}
		if attempt == 5 {
			t.Fatalf("in %d runs one pusher always did all the work (last: %+v %+v)", attempt, sums[0], sums[1])
		}
		t.Logf("run %d: one pusher did all the work (%+v %+v); again", attempt, sums[0], sums[1])
	}
}

// TestSlowGatewayRoundsFitTheLease: against a gateway slow enough that a
// worker's 32 pushes in a row outlast the lease (100 ms each, a 2 s
// lease), two pushers still send each row once: a round claims only what
// fits in half the lease. Before, the rows' leases ran out mid-round and
// the pushers claimed and sent each other's rows again (288 requests for
// 64 rows in the review's run, with a shorter lease).
func TestSlowGatewayRoundsFitTheLease(t *testing.T) {
	f := newFixture(t, locker.Faults{Latency: 100 * time.Millisecond})
	f.issue(0, 40, 1)
	var wg sync.WaitGroup
	sums := make([]pusher.Summary, 2)
	for i := range sums {
		p := f.pusher(func(c *pusher.Config) { c.Workers, c.Lease, c.Timeout = 1, 2*time.Second, time.Second })
		wg.Go(func() {
			s, err := p.Run(context.Background(), true, 10*time.Second)
			if err != nil {
				t.Error(err)
			}
			sums[i] = s
		})
	}
	wg.Wait()
	if n := sums[0].Requests + sums[1].Requests; n != 40 || sums[0].Pushed+sums[1].Pushed != 40 || sums[0].Already+sums[1].Already != 0 {
		t.Fatalf("summaries %+v %+v: want 40 requests and 40 rows pushed once", sums[0], sums[1])
	}
	f.wantExactlyOnce(40, "A")
}

// TestPushDaemonStopsOnCancel: without once, Run polls until cancelled and
// pushes rows that arrive meanwhile.
func TestPushDaemonStopsOnCancel(t *testing.T) {
	f := newFixture(t, locker.Faults{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan pusher.Summary)
	p := f.pusher(func(c *pusher.Config) { c.Poll = 20 * time.Millisecond })
	go func() {
		s, err := p.Run(ctx, false, 0)
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	f.issue(0, 5, 1)
	deadline := time.Now().Add(10 * time.Second)
	for f.outbox().Pushed != 5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if s := <-done; s.Pushed != 5 {
		t.Fatalf("daemon pushed %d", s.Pushed)
	}
}

// BenchmarkPush pushes b.N URIs to an in-process reference locker.
func BenchmarkPush(b *testing.B) {
	for _, bulk := range []int{0, 250} {
		b.Run(fmt.Sprint("bulk", bulk), func(b *testing.B) {
			f := newFixture(b, locker.Faults{})
			f.issue(0, b.N, 1)
			p := f.pusher(func(c *pusher.Config) { c.Workers = 16; c.Bulk = bulk })
			b.ResetTimer()
			sum, err := p.Run(context.Background(), true, time.Second)
			if err != nil || sum.Pushed != b.N {
				b.Fatalf("%+v %v", sum, err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pushes/s")
		})
	}
}

// TestPushJSONGateway: a gateway on other paths that answers in the
// authorized-partner API's JSON form (HTTP 400 {error, error_description}
// for a refusal): "URI already exists in this account" is success, "… in
// another account" a dead letter with that reason, and new pushes go in.
func TestPushJSONGateway(t *testing.T) {
	f := newFixture(t, locker.Faults{})
	f.stopLocker()
	const single, bulk = "/public/account/1/pushuri", "/public/account/1/pushuri/bulk"
	f.startLockerWith(func(c *locker.Config) { c.PushPath, c.PushBulkPath, c.JSONReplies = single, bulk, true })
	f.issue(0, 3, 1)
	// Another citizen already holds URI 00001.
	other := xmlschema.PushDetails{Aadhaar: aadhaarFor(999), URI: issuerID + "-SSCER-00001", DocType: "SSCER", DocName: "x", DocID: "00001", Action: "A"}
	if code, body := f.rawPush(single, other); code != 200 || !strings.Contains(body, `"success"`) {
		t.Fatalf("seeding the conflict: HTTP %d %s", code, body)
	}
	// The citizen of 00002 already holds it: an A again is "this account".
	mine := xmlschema.PushDetails{Aadhaar: aadhaarFor(2), URI: issuerID + "-SSCER-00002", DocType: "SSCER", DocName: "x", DocID: "00002", Action: "A"}
	f.rawPush(single, mine)
	if code, body := f.rawPush(single, mine); code != 400 || !strings.Contains(body, `"error_description": "`+xmlschema.MsgExistsHere+`"`) {
		t.Fatalf("the JSON form of a refusal: HTTP %d %s", code, body)
	}
	// The old path is not served.
	if code, _ := f.rawPush(xmlschema.PushPath, mine); code != 404 && code != 405 {
		t.Fatalf("the default path is still served: HTTP %d", code)
	}
	sum := f.run(f.pusher(func(c *pusher.Config) { c.Endpoint, c.BulkEndpoint = f.srv.URL+single, f.srv.URL+bulk }), time.Second)
	if sum.Pushed != 2 || sum.Already != 1 || sum.Dead != 1 {
		t.Fatalf("summary %+v, want 2 pushed (1 already there), 1 dead", sum)
	}
	dead, err := f.cat.DeadLetters(context.Background(), 10)
	if err != nil || len(dead) != 1 || !strings.Contains(dead[0].LastError, xmlschema.MsgExistsElsewhere) {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	f.noAadhaarInLogs()
}

// TestPushEndpointsDefault: without endpoints, pushes go to the gateway's
// default paths; a malformed endpoint is refused at New.
func TestPushEndpointsDefault(t *testing.T) {
	f := newFixture(t, locker.Faults{})
	f.issue(0, 2, 1)
	if sum := f.run(f.pusher(nil), time.Second); sum.Pushed != 2 {
		t.Fatalf("summary %+v", sum)
	}
	if _, err := pusher.New(pusher.Config{Outbox: f.cat, Keyring: f.kr, Endpoint: "ftp://x", BulkEndpoint: "https://x", Key: []byte("k")}); err == nil {
		t.Fatal("an ftp endpoint was accepted")
	}
}

// startLockerWith starts the locker with a modified config.
func (f *fixture) startLockerWith(mod func(*locker.Config)) {
	t := f.t
	st, err := locker.Open(context.Background(), f.lockDir)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, _ := signer.SelfSignedCert(key, "test", "test", time.Hour)
	if err := st.AddIssuer(context.Background(), issuerID, apiKey, "http://127.0.0.1:1", signer.MarshalCertsPEM(cert)); err != nil {
		t.Fatal(err)
	}
	f.store = st
	cfg := locker.Config{Store: st, Logger: slog.New(slog.NewTextHandler(f.logs, nil))}
	mod(&cfg)
	f.lsrv = locker.NewServer(cfg)
	f.srv = httptest.NewServer(f.lsrv.Handler())
}

// rawPush sends one signed PushUriRequest to path.
func (f *fixture) rawPush(path string, d xmlschema.PushDetails) (int, string) {
	f.t.Helper()
	var b bytes.Buffer
	f.raw++
	xmlschema.AppendPushRequest(&b, issuerID, time.Now().In(xmlschema.IST).Format(time.RFC3339), fmt.Sprintf("raw-%d", f.raw), apiKey, &d)
	req, _ := http.NewRequest("POST", f.srv.URL+path, bytes.NewReader(b.Bytes()))
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody([]byte(apiKey), b.Bytes()))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestPushTLSPrivateCA: a gateway on HTTPS with a private CA is reached
// with RootCAs set to that CA, and refused (rows stay pending) without it.
func TestPushTLSPrivateCA(t *testing.T) {
	f := newFixture(t, locker.Faults{})
	tlsSrv := httptest.NewUnstartedServer(f.lsrv.Handler())
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	f.issue(0, 3, 1)
	sum := f.run(f.pusher(func(c *pusher.Config) { c.Gateway = tlsSrv.URL; c.MaxAttempts = 1 }), 0)
	if sum.Pushed != 0 || f.outbox().Pending+f.outbox().Dead != 3 {
		t.Fatalf("without the CA: %+v %+v; want nothing pushed", sum, f.outbox())
	}
	if dead, _ := f.cat.DeadLetters(context.Background(), 10); len(dead) > 0 && !strings.Contains(dead[0].LastError, "certificate") {
		t.Errorf("the failure does not name the certificate: %q", dead[0].LastError)
	}
	f.cat.RetryDead(context.Background())
	pool := x509.NewCertPool()
	pool.AddCert(tlsSrv.Certificate())
	sum = f.run(f.pusher(func(c *pusher.Config) { c.Gateway = tlsSrv.URL; c.RootCAs = pool }), time.Second)
	if sum.Pushed != 3 {
		t.Fatalf("with the CA: %+v", sum)
	}
}
