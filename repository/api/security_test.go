package api_test

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/xmlschema"
)

func getPage(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestVerifyNeedsToken walks the sample's DocIDs (RollNo+Year, sequential)
// as the enumeration attack did: without the document's token, or with a
// token of another document, every known URI answers exactly as an unknown
// one; with it, the page opens and shows initials only.
func TestVerifyNeedsToken(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.VerifyRateLimit = -1 })
	_, unknown := getPage(t, ts.URL+"/verify/in.gov.cbse-SSCER-12025")
	cells, _ := samples.Options{Seed: 2025}.Row(0)
	known := "in.gov.cbse-SSCER-" + cells[0] + "2025"
	other, _ := samples.Options{Seed: 2025}.Row(1)
	otherURI := "in.gov.cbse-SSCER-" + other[0] + "2025"
	tok := api.VerifyToken(f.verifyKey, known)
	if len(tok) != api.TokenLen || tok == api.VerifyToken([]byte("another home's key.............."), known) {
		t.Fatalf("token %q", tok)
	}
	for name, q := range map[string]string{
		"no token":              "",
		"empty token":           "?k=",
		"another's token":       "?k=" + api.VerifyToken(f.verifyKey, otherURI),
		"one character off":     "?k=" + flip(tok),
		"a prefix of the token": "?k=" + tok[:8],
		"token in another key":  "?t=" + tok,
	} {
		code, page := getPage(t, ts.URL+"/verify/"+known+q)
		if code != http.StatusNotFound || page != unknown {
			t.Errorf("%s: HTTP %d, page differs from an unknown URI's: %v", name, code, page != unknown)
		}
	}
	code, page := getPage(t, f.verifyURL(ts, known))
	if code != 200 || !strings.Contains(page, "Genuine and active") {
		t.Fatalf("with its token: HTTP %d\n%s", code, page)
	}
	// Upper case, as someone may type the printed token.
	if code, _ := getPage(t, ts.URL+"/verify/"+known+"?k="+strings.ToUpper(tok)); code != 200 {
		t.Fatalf("upper-case token: HTTP %d", code)
	}
	// Without a verify key no page opens at all.
	noKey := f.server(t, func(c *api.Config) { c.VerifyKey = nil })
	if code, _ := getPage(t, noKey.URL+"/verify/"+known+"?k="+tok); code != http.StatusNotFound {
		t.Fatalf("server without a verify key: HTTP %d", code)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'a' {
		b[0] = 'b'
	} else {
		b[0] = 'a'
	}
	return string(b)
}

func TestMaskNameHidesLengths(t *testing.T) {
	for in, want := range map[string]string{"Aarav Sharma": "A. S.", "Meera  Nair": "M. N.", "आरव शर्मा": "आ. श.", "": ""} {
		if got := api.MaskName(in); got != want {
			t.Errorf("MaskName(%q) = %q, want %q", in, got, want)
		}
	}
	if api.MaskName("Al Bo") != api.MaskName("Alexander Bartholomew") {
		t.Error("masked names still differ by word length")
	}
}

// TestVerifyRateLimitOwnBucket floods /verify from one client: it is
// limited by default, and Pull URI from the same address still works.
func TestVerifyRateLimitOwnBucket(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.RateLimit = 5 })
	link := f.verifyURL(ts, "in.gov.cbse-SSCER-"+f.row["RollNo"]+"2025")
	codes := map[int]int{}
	for range 40 {
		code, _ := getPage(t, link)
		codes[code]++
	}
	if codes[http.StatusTooManyRequests] == 0 || codes[200] == 0 {
		t.Fatalf("/verify codes %v: want the default limit to refuse some", codes)
	}
	if code, body := f.signed(t, ts.URL+"/digilocker/pulluri", pullURI(f, "", f.goodFields())); code != 200 {
		t.Fatalf("pull after a /verify flood: HTTP %d %s", code, body)
	}
}

// TestMetricsOnAPIForThisHost: the API's GET /metrics (the CONTRACT
// route) answers a request from this host itself, and not one from another
// address or through a proxy (as an unknown route); the metrics handler of
// --metrics-addr answers anyone who reaches it.
func TestMetricsOnAPIForThisHost(t *testing.T) {
	f := sample(t)
	ts, mts := f.servers(t, nil)
	getPage(t, ts.URL+"/healthz") // a request for the counters to count
	if code, body := getPage(t, ts.URL+"/metrics"); code != 200 || !strings.Contains(body, "issuerkit_http_requests_total") {
		t.Fatalf("API /metrics from this host: HTTP %d %.300s", code, body)
	}
	if code := getFrom(t, ts.URL+"/metrics", "203.0.113.5"); code != http.StatusNotFound {
		t.Fatalf("API /metrics through a proxy: HTTP %d, want 404", code)
	}
	for _, tc := range []struct {
		peer    string
		proxies []netip.Prefix
	}{
		{"203.0.113.5:40000", nil}, // another address
		{"127.0.0.1:40000", []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, // a named proxy on this host
	} {
		cfg := f.cfg
		cfg.TrustedProxies = tc.proxies
		s, err := api.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = tc.peer
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		s.Close()
		if w.Code != http.StatusNotFound {
			t.Errorf("API /metrics from %s (trusted proxies %v): HTTP %d, want 404", tc.peer, tc.proxies, w.Code)
		}
	}
	if code, body := getPage(t, mts.URL+"/metrics"); code != 200 || !strings.Contains(body, "issuerkit_http_requests_total") {
		t.Fatalf("metrics handler: HTTP %d", code)
	}
}

func getFrom(t *testing.T, url, xff string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRateLimitBehindProxy: behind a load balancer every client had the
// balancer's address and shared one bucket; and a client could rotate
// X-Forwarded-For to get fresh buckets. With --trusted-proxy the header
// names the client, from anyone else it is ignored.
func TestRateLimitBehindProxy(t *testing.T) {
	f := sample(t)
	trusted, _ := api.ParseTrustedProxies([]string{"127.0.0.1"})
	behind := f.server(t, func(c *api.Config) { c.RateLimit, c.TrustedProxies = 1, trusted })
	for range 3 {
		getFrom(t, behind.URL+"/healthz", "198.51.100.1")
	}
	if code := getFrom(t, behind.URL+"/healthz", "198.51.100.1"); code != http.StatusTooManyRequests {
		t.Fatalf("client 1 after its burst: HTTP %d, want 429", code)
	}
	if code := getFrom(t, behind.URL+"/healthz", "198.51.100.2"); code != 200 {
		t.Fatalf("client 2 behind the same proxy: HTTP %d, want its own bucket", code)
	}
	direct := f.server(t, func(c *api.Config) { c.RateLimit = 1 }) // no trusted proxy
	for range 3 {
		getFrom(t, direct.URL+"/healthz", "")
	}
	for i := range 5 {
		if code := getFrom(t, direct.URL+"/healthz", fmt.Sprintf("203.0.113.%d", i)); code != http.StatusTooManyRequests {
			t.Fatalf("a spoofed X-Forwarded-For from an untrusted peer got a fresh bucket: HTTP %d", code)
		}
	}
}

// TestOrgRateLimit: authenticated lockers are limited per orgId, each in
// its own bucket, apart from the per-address limit.
func TestOrgRateLimit(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.OrgRateLimit = 1 })
	body := func(org string) string {
		return strings.Replace(pullURI(f, "", f.goodFields()), `orgId="in.gov.locker"`, `orgId="`+org+`"`, 1)
	}
	codes := map[int]int{}
	for range 4 {
		code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", body("in.gov.busy"))
		codes[code]++
	}
	if codes[http.StatusTooManyRequests] == 0 {
		t.Fatalf("busy org: %v, want some 429", codes)
	}
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body("in.gov.quiet")); code != 200 {
		t.Fatalf("another org: HTTP %d %s", code, reply)
	}
}

func heapMiB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// TestReplayCacheHoldsNoBodies: the txn remembered was a substring of the
// request body, pinning all of it: 300 requests with a 200 KB Photo held
// 60 MiB. The cache now keeps a 16-byte hash of (orgId, txn).
func TestReplayCacheHoldsNoBodies(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.ReplayWindow = 5 * time.Minute })
	photo := "<Photo>" + strings.Repeat("QUJD", 50_000) + "</Photo>"
	before := heapMiB()
	for i := range 300 {
		body := pullURI(f, "", f.goodFields())
		body = strings.Replace(body, `ts="2025-06-01T10:00:00+05:30"`, `ts="`+time.Now().Format(time.RFC3339)+`"`, 1)
		body = strings.Replace(body, `txn="tx-1"`, fmt.Sprintf(`txn="photo-%d"`, i), 1)
		body = strings.Replace(body, "</DocDetails>", photo+"</DocDetails>", 1)
		if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != 200 {
			t.Fatalf("request %d: HTTP %d %.200s", i, code, reply)
		}
	}
	if grew := heapMiB() - before; grew > 20 {
		t.Fatalf("the heap grew %.1f MiB over 300 requests of 200 KB: the cache pins bodies", grew)
	}
}

// withNow puts the current time and txn into a sample request.
func withNow(body, ts, txn string) string {
	body = strings.Replace(body, `ts="2025-06-01T10:00:00+05:30"`, `ts="`+ts+`"`, 1)
	return strings.Replace(body, `txn="tx-1"`, `txn="`+txn+`"`, 1)
}

// TestRetryAfter429IsServed: a request the org rate limit refused has not
// used up its txn, so the locker's retry after Retry-After is answered.
func TestRetryAfter429IsServed(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.OrgRateLimit = 1; c.ReplayWindow = 5 * time.Minute })
	var refused string
	for i := range 10 {
		body := withNow(pullURI(f, "", f.goodFields()), time.Now().Format(time.RFC3339), fmt.Sprintf("rl-%d", i))
		if code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", body); code == http.StatusTooManyRequests {
			refused = body
			break
		}
	}
	if refused == "" {
		t.Fatal("no request was refused with 429")
	}
	time.Sleep(1100 * time.Millisecond)
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", refused); code != 200 || !strings.Contains(reply, `Status="1"`) {
		t.Fatalf("the retry: HTTP %d %.300s", code, reply)
	}
}

// flakyReplayLog fails its first RecordTxn, as a catalog that is briefly
// unreachable does, then records in memory.
type flakyReplayLog struct {
	mu    sync.Mutex
	fails int
	seen  map[string]bool
}

func (l *flakyReplayLog) PrepareReplayLog(context.Context) error { return nil }

func (l *flakyReplayLog) RecordTxn(_ context.Context, key []byte, _, _ time.Time) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fails > 0 {
		l.fails--
		return false, errors.New("connection refused")
	}
	if l.seen[string(key)] {
		return false, nil
	}
	l.seen[string(key)] = true
	return true, nil
}

func (l *flakyReplayLog) PruneTxns(context.Context, time.Time) (int64, error) { return 0, nil }

func (l *flakyReplayLog) ForgetTxn(_ context.Context, key []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.seen, string(key))
	return nil
}

// TestSharedTxnIsNotAReplay: DigiLocker's txn need not be unique (the
// specification's own example is the ts in Unix seconds, shared by every
// pull of that second), so two different requests with one ts and txn are
// both served under the replay window; the same bytes again are refused.
func TestSharedTxnIsNotAReplay(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.ReplayWindow = 5 * time.Minute })
	now := time.Now()
	txn := strconv.FormatInt(now.Unix(), 10)
	xml := withNow(pullURI(f, "", f.goodFields()), now.Format(time.RFC3339), txn)
	both := strings.Replace(xml, `format="xml"`, `format="both"`, 1)
	for _, body := range []string{xml, both} {
		if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != 200 || !strings.Contains(reply, `Status="1"`) {
			t.Fatalf("a request sharing its txn: HTTP %d %.300s", code, reply)
		}
	}
	if code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", xml); code != http.StatusUnauthorized {
		t.Fatalf("the same bytes again: HTTP %d, want 401", code)
	}
}

// failFirst fails its first signature, as a token briefly removed does.
type failFirst struct {
	crypto.Signer
	failed *atomic.Bool
}

func (k failFirst) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if k.failed.CompareAndSwap(false, true) {
		return nil, errors.New("CKR_DEVICE_REMOVED")
	}
	return k.Signer.Sign(r, d, o)
}

// TestRetryAfter5xxIsServed: a request answered 500 (the PDF key failed)
// was not served, so the locker's retry, byte for byte the same, is
// answered under the replay window, through the shared log too; once
// served, the same bytes are a replay.
func TestRetryAfter5xxIsServed(t *testing.T) {
	f := sample(t)
	log := &flakyReplayLog{seen: map[string]bool{}}
	var failed atomic.Bool
	ts := f.server(t, func(c *api.Config) {
		c.ReplayWindow, c.ReplayLog = 5*time.Minute, log
		c.PDF = f.pdfRendererWith(t, func(k crypto.Signer) crypto.Signer { return failFirst{Signer: k, failed: &failed} })
	})
	body := strings.Replace(withNow(pullURI(f, "", f.goodFields()), time.Now().Format(time.RFC3339), "r-1"), `format="xml"`, `format="pdf"`, 1)
	if code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != http.StatusInternalServerError {
		t.Fatalf("with the key failing: HTTP %d, want 500", code)
	}
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != 200 || !strings.Contains(reply, "<DocContent>") {
		t.Fatalf("the retry: HTTP %d %.300s", code, reply)
	}
	if code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != http.StatusUnauthorized {
		t.Fatalf("a replay of the served request: HTTP %d, want 401", code)
	}
}

// TestReplayLogDownIs503: when the shared replay log cannot record a txn
// the answer is 503 with Retry-After (a server fault, not a failed HMAC),
// and the retry is served once the log is back; a replay is still 401.
func TestReplayLogDownIs503(t *testing.T) {
	f := sample(t)
	log := &flakyReplayLog{fails: 1, seen: map[string]bool{}}
	ts := f.server(t, func(c *api.Config) { c.ReplayWindow = 5 * time.Minute; c.ReplayLog = log })
	body := withNow(pullURI(f, "", f.goodFields()), time.Now().Format(time.RFC3339), "down-1")
	if code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != http.StatusServiceUnavailable {
		t.Fatalf("log down: HTTP %d, want 503", code)
	}
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != 200 || !strings.Contains(reply, `Status="1"`) {
		t.Fatalf("the retry: HTTP %d %.300s", code, reply)
	}
	if code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != http.StatusUnauthorized {
		t.Fatalf("a replay: HTTP %d, want 401", code)
	}
}

// TestZonelessTSIsIST: a ts without a zone is read as India Standard Time
// under the replay window, not refused nor read as UTC (5h30 away).
func TestZonelessTSIsIST(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.ReplayWindow = 5 * time.Minute })
	now := time.Now().In(xmlschema.IST)
	for i, v := range []string{now.Format("2006-01-02T15:04:05"), now.Format("2006-01-02 15:04:05"), now.Format("2006-01-02T15:04:05.000")} {
		body := withNow(pullURI(f, "", f.goodFields()), v, fmt.Sprintf("zone-%d", i))
		if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != 200 {
			t.Errorf("ts %q: HTTP %d %.200s", v, code, reply)
		}
	}
}

// TestReplayCacheFullIs503: a request refused because the replay cache is
// at its bound is the server's limit (503, Retry-After), not a failed
// authentication, and the shared log forgets it, so its retry is judged
// afresh rather than refused as already served.
func TestReplayCacheFullIs503(t *testing.T) {
	f := sample(t)
	log := &flakyReplayLog{seen: map[string]bool{}}
	ts := f.server(t, func(c *api.Config) { c.ReplayWindow, c.ReplayMax, c.ReplayLog = 5*time.Minute, 1, log })
	now := time.Now().Format(time.RFC3339)
	if code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", withNow(pullURI(f, "", f.goodFields()), now, "full-1")); code != 200 {
		t.Fatalf("first: HTTP %d", code)
	}
	code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", withNow(pullURI(f, "", f.goodFields()), now, "full-2"))
	if code != http.StatusServiceUnavailable {
		t.Fatalf("over the cache's bound: HTTP %d, want 503", code)
	}
	log.mu.Lock()
	n := len(log.seen)
	log.mu.Unlock()
	if n != 1 {
		t.Fatalf("the shared log holds %d keys, want the served request's only", n)
	}
}
