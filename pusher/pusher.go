// Package pusher drains the catalog's outbox to a locker gateway with Push
// URI requests (digilocker-spec.md §5).
//
// Rows are claimed with a lease (so two pushers never send the same row),
// pushed by a bounded set of workers, and settled in one transaction per
// round. Transient failures (connection errors, timeouts, 5xx, 408, 429)
// back off exponentially with jitter, honouring Retry-After; permanent ones
// ("URI already exists in another account", other 4xx) go to the dead-letter
// queue with the reason. "URI already exists in this account" is success:
// the locker has the URI, from an earlier attempt whose reply was lost. A
// push's txn is derived from its outbox row, so a locker can recognise a
// repeat.
package pusher

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
	"golang.org/x/sync/errgroup"
)

// Config configures a Pusher.
type Config struct {
	Outbox  repository.Outbox
	Keyring *aadhaar.Keyring // decrypts the outbox's Aadhaar numbers
	Gateway string           // the locker gateway's base URL
	// Endpoint and BulkEndpoint are the full URLs of the single and the
	// bulk push endpoint; empty means Gateway + xmlschema.PushPath and
	// Gateway + xmlschema.PushBulkPath.
	Endpoint, BulkEndpoint string
	OrgID                  string // the issuer ID, sent as orgId
	Key                    []byte // the push key: HMAC and keyhash
	// Workers is the number of concurrent requests (default 8).
	Workers int
	// Bulk, when > 1, sends up to Bulk rows per request with the bulk CSV
	// variant; 0 or 1 sends one PushUriRequest per row.
	Bulk int
	// Lease is how long a claimed row stays ours (default 2m). A round
	// claims no more rows than its workers can push at Timeout each
	// within half of it (pushesPerWorker); a dead pusher's rows are due
	// again when it ends.
	Lease time.Duration
	// Timeout bounds one request (default 15s).
	Timeout time.Duration
	// BackoffBase and BackoffMax shape retries: attempt n waits a random
	// time in [d/2, d] with d = min(BackoffMax, BackoffBase·2ⁿ) (defaults
	// 1s and 10m).
	BackoffBase, BackoffMax time.Duration
	// MaxAttempts dead-letters a row after that many transient failures;
	// 0 retries for ever.
	MaxAttempts int
	// Poll is how often an idle daemon looks for new rows (default 2s).
	Poll time.Duration
	// RootCAs, when set, are the trust anchors for an HTTPS gateway with a
	// private CA (push.ca_file); nil: the system's.
	RootCAs *x509.CertPool
	// Client overrides the HTTP client (its Timeout is not used: Timeout
	// is; nor its CheckRedirect: a push never follows a redirect).
	Client   *http.Client
	Logger   *slog.Logger
	Progress func(Progress) // called after every round
}

// Progress is the running count of a Run.
type Progress struct {
	Pushed, Dead, Failures int
}

// Summary is what a Run did.
type Summary struct {
	Pushed   int `json:"pushed"`   // accepted by the locker
	Already  int `json:"already"`  // of those, already in the citizen's locker
	Failures int `json:"failures"` // transient failures, retried
	Dead     int `json:"dead"`     // dead-lettered in this run
	Requests int `json:"requests"` // HTTP requests sent
	// LeaseLost counts results not recorded because their row's lease had
	// run out meanwhile (another pusher may send it again).
	LeaseLost int           `json:"lease_lost"`
	Elapsed   time.Duration `json:"elapsed_ns"`
}

// ErrUnauthorized: the gateway refused our credentials (HTTP 401/403).
// Nothing is dead-lettered for it: fix the key and push again.
var ErrUnauthorized = errors.New("the locker gateway refused the issuer's credentials (check the push key and the issuer ID registered with the locker)")

// Pusher drains an outbox. Create it with New.
type Pusher struct {
	cfg    Config
	owner  string
	client *http.Client
	log    *slog.Logger
}

// New checks cfg and fills in defaults.
func New(cfg Config) (*Pusher, error) {
	if cfg.Outbox == nil || cfg.Keyring == nil {
		return nil, errors.New("pusher: an outbox and an Aadhaar keyring are required")
	}
	cfg.Gateway = strings.TrimSuffix(cfg.Gateway, "/")
	if cfg.Endpoint == "" {
		cfg.Endpoint = cfg.Gateway + xmlschema.PushPath
	}
	if cfg.BulkEndpoint == "" {
		cfg.BulkEndpoint = cfg.Gateway + xmlschema.PushBulkPath
	}
	for _, u := range []string{cfg.Endpoint, cfg.BulkEndpoint} {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("pusher: push endpoint %q is not an http(s) URL (set push.gateway, or push.endpoint and push.bulk_endpoint, in the config or pass --gateway)", u)
		}
	}
	if len(cfg.Key) == 0 {
		return nil, errors.New("pusher: the push key is empty")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Lease, 2*time.Minute)
	def(&cfg.Timeout, 15*time.Second)
	def(&cfg.BackoffBase, time.Second)
	def(&cfg.BackoffMax, 10*time.Minute)
	def(&cfg.Poll, 2*time.Second)
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Bulk > maxBulk {
		cfg.Bulk = maxBulk
	}
	p := &Pusher{cfg: cfg, client: cfg.Client, log: cfg.Logger}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	if p.client == nil {
		p.client = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          cfg.Workers * 2,
			MaxIdleConnsPerHost:   cfg.Workers * 2,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs},
			ResponseHeaderTimeout: cfg.Timeout,
			ForceAttemptHTTP2:     true,
		}}
	}
	// A push holds the raw Aadhaar and its HMAC: never re-sent to where a
	// redirect points, also with a caller's client.
	p.client = httpserve.WithoutRedirects(p.client)
	host, _ := os.Hostname()
	var r [4]byte
	rand.Read(r[:])
	p.owner = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(r[:]))
	return p, nil
}

// Owner is the name this pusher's leases carry.
func (p *Pusher) Owner() string { return p.owner }

// Run drains the outbox. With once, it makes one pass: it pushes every row
// due now and retries transient failures while their next attempt falls
// within retryFor of the start, then returns. Without once it runs until
// ctx is cancelled, polling for new rows. A round that reached no gateway
// at all (nothing listening, no such name) is followed by a pause that
// backs off, up to maxPause; a pass ends when its pause would outlast it. Rows in flight when ctx is
// cancelled are released, due again at once.
func (p *Pusher) Run(ctx context.Context, once bool, retryFor time.Duration) (sum Summary, err error) {
	start := time.Now()
	defer func() { sum.Elapsed = time.Since(start) }()
	claimSize := p.cfg.Workers * p.pushesPerWorker()
	if p.cfg.Bulk > 1 {
		claimSize = p.cfg.Workers * p.cfg.Bulk
	}
	// A pass retries only what falls due within its window: otherwise rows
	// claimed in several groups, each falling due again while another is
	// pushed, would keep it going for ever against a slow gateway.
	var dueBy time.Time
	if once {
		dueBy = start.Add(retryFor)
	}
	// downs counts the rounds in a row that reached no gateway, since
	// downSince.
	downs, downSince := 0, time.Time{}
	for {
		if ctx.Err() != nil {
			return sum, nil
		}
		items, err := p.cfg.Outbox.Claim(ctx, p.owner, claimSize, p.cfg.Lease, dueBy)
		if err != nil {
			if ctx.Err() != nil {
				return sum, nil
			}
			return sum, err
		}
		if len(items) == 0 {
			next, ok, err := p.cfg.Outbox.NextDue(ctx)
			if err != nil {
				if ctx.Err() != nil {
					return sum, nil
				}
				return sum, err
			}
			if once && (!ok || next.After(dueBy) || !time.Now().Before(dueBy)) {
				return sum, nil // nothing more falls due within the pass
			}
			wait := p.cfg.Poll
			if ok {
				wait = time.Until(next)
			}
			if !once && wait > p.cfg.Poll {
				wait = p.cfg.Poll
			}
			if wait < 10*time.Millisecond {
				wait = 10 * time.Millisecond
			}
			select {
			case <-ctx.Done():
				return sum, nil
			case <-time.After(wait):
			}
			continue
		}
		down, err := p.round(ctx, items, &sum)
		if err != nil {
			return sum, err
		}
		if down == "" {
			if downs > 0 {
				p.log.Info("the gateway is reachable again", "after", time.Since(downSince).Round(time.Second).String())
			}
			downs = 0
		} else {
			if downs == 0 {
				downSince = time.Now()
			}
			pause := min(p.backoff(downs), maxPause)
			downs++
			if once && !time.Now().Add(pause).Before(dueBy) {
				// The rest would only fail the same way: the pass ends,
				// its rows pending for the next.
				p.log.Warn("the gateway is unreachable: ending the pass with rows pending",
					"down_for", time.Since(downSince).Round(time.Second).String(), "reason", down)
				return sum, nil
			}
			p.log.Warn("the gateway is unreachable: pausing pushes", "for", pause.Round(time.Millisecond).String(),
				"down_for", time.Since(downSince).Round(time.Second).String(), "reason", down)
			select {
			case <-ctx.Done():
				return sum, nil
			case <-time.After(pause):
			}
		}
		if p.cfg.Progress != nil {
			p.cfg.Progress(Progress{Pushed: sum.Pushed, Dead: sum.Dead, Failures: sum.Failures})
		}
	}
}

// maxPause bounds the wait before trying an unreachable gateway again.
const maxPause = time.Minute

// pushesPerWorker is how many rows a round gives each worker: as many as
// fit, one after another at Timeout each, in half the lease (at most 32,
// at least one). A round settles its rows when its last push ends, and a
// row whose lease ran out meanwhile is claimed and sent again by another
// pusher: 32 rows a worker at a gateway slower than 3.75 s a push
// outlasted the default 2-minute lease.
func (p *Pusher) pushesPerWorker() int {
	return min(32, max(1, int(p.cfg.Lease/(2*p.cfg.Timeout))))
}

// result is the outcome of pushing one row.
type result struct {
	kind       repository.Outcome
	already    bool
	retryAfter time.Duration // from the gateway, if it said
	reason     string
	// unreachable: no gateway answered (see errUnreachable).
	unreachable bool
}

// round pushes claimed rows with the workers and settles them together.
//
// down, when not empty, says why no push of the round reached the
// gateway: Run then pauses before its next round, instead of failing every
// pending row in turn against a gateway that is not there.
func (p *Pusher) round(ctx context.Context, items []repository.PushItem, sum *Summary) (down string, err error) {
	results := make([]result, len(items))
	var fatal error
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.cfg.Workers)
	step := 1
	if p.cfg.Bulk > 1 {
		step = p.cfg.Bulk
	}
	for lo := 0; lo < len(items); lo += step {
		hi := min(lo+step, len(items))
		g.Go(func() error {
			if gctx.Err() != nil {
				return nil // released below
			}
			var err error
			if step == 1 {
				results[lo], err = p.pushOne(gctx, &items[lo])
			} else {
				err = p.pushBulk(gctx, items[lo:hi], results[lo:hi])
			}
			mu.Lock()
			sum.Requests++
			mu.Unlock()
			if err != nil {
				mu.Lock()
				if fatal == nil {
					fatal = err
				}
				mu.Unlock()
				return err // cancels the rest of the round
			}
			return nil
		})
	}
	g.Wait()
	settle := make([]repository.Settlement, len(items))
	now := time.Now()
	retried, firstReason := 0, ""
	unreachable := 0
	for i := range items {
		it, r := &items[i], results[i]
		s := repository.Settlement{ID: it.ID, URI: it.URI, Version: it.Version, Action: it.Action, Outcome: r.kind}
		switch r.kind {
		case repository.Pushed:
			sum.Pushed++
			if r.already {
				sum.Already++
			}
		case repository.Dead:
			sum.Dead++
			s.Error = r.reason
			p.log.Warn("push dead-lettered", "uri", it.URI, "action", it.Action, "outbox_id", it.ID, "reason", s.Error)
		case repository.Retry:
			sum.Failures++
			s.Error = r.reason
			if p.cfg.MaxAttempts > 0 && it.Attempts+1 >= p.cfg.MaxAttempts {
				s.Outcome = repository.Dead
				s.Error = fmt.Sprintf("gave up after %d attempts: %s", it.Attempts+1, s.Error)
				sum.Dead++
				p.log.Warn("push dead-lettered", "uri", it.URI, "action", it.Action, "outbox_id", it.ID, "reason", s.Error)
				break
			}
			d := r.retryAfter
			if d <= 0 {
				d = p.backoff(it.Attempts)
			}
			s.Next = now.Add(d)
			// Each row at Debug; the round says it once (below): against a
			// gateway that is down, a line a row a try buried the progress.
			p.log.Debug("push failed, will retry", "uri", it.URI, "outbox_id", it.ID, "attempt", it.Attempts+1,
				"retry_in", d.Round(time.Millisecond).String(), "reason", s.Error)
			if retried++; retried == 1 {
				firstReason = s.Error
			}
			if r.unreachable {
				unreachable++
			}
		default: // not attempted: cancelled or a fatal error
			s.Outcome = repository.Released
		}
		settle[i] = s
	}
	if unreachable > 0 && unreachable == len(items) {
		down = firstReason
	}
	if retried > 0 && down == "" {
		p.log.Warn("pushes failed, will retry", "rows", retried, "of", len(items), "first_reason", firstReason)
	}
	// Settle even when ctx is cancelled: what was pushed must be recorded.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	lost, err := p.cfg.Outbox.Settle(sctx, p.owner, settle)
	if err != nil {
		return down, fmt.Errorf("record push results: %w", err)
	}
	if lost > 0 {
		sum.LeaseLost += lost
		p.log.Warn("push results not recorded: their leases ran out during the round, and another pusher may push those rows again (raise --lease)",
			"rows", lost, "lease", p.cfg.Lease.String())
	}
	return down, fatal
}

// backoff returns the wait before attempt n+1: random in [d/2, d].
func (p *Pusher) backoff(attempts int) time.Duration {
	d := p.cfg.BackoffMax
	if attempts < 40 {
		if e := p.cfg.BackoffBase << attempts; e > 0 && e < d {
			d = e
		}
	}
	return d/2 + time.Duration(mrand.Int64N(int64(d/2)+1))
}

func (p *Pusher) details(it *repository.PushItem) (xmlschema.PushDetails, error) {
	num, err := p.cfg.Keyring.Decrypt(it.AadhaarEnc, it.URI)
	if err != nil {
		return xmlschema.PushDetails{}, fmt.Errorf("outbox row #%d (%s): the Aadhaar key does not decrypt it; is keys/aadhaar.key the one ingest used? %w", it.ID, it.URI, err)
	}
	return xmlschema.PushDetails{Aadhaar: num, URI: it.URI, DocType: it.DocType, DocName: it.DocName, DocID: it.DocID,
		IssuedOn: it.IssuedOn, ValidFrom: it.ValidFrom, ValidTo: it.ValidTo,
		Timestamp: xmlschema.PushTimestamp(it.CreatedAt.In(xmlschema.IST)), Action: it.Action}, nil
}

// ist is India Standard Time, the zone of the push timestamps.

// txn names a push so that a locker can recognise a repeat of it.
func txn(it *repository.PushItem) string { return "outbox-" + strconv.FormatInt(it.ID, 10) }

// pushOne sends one PushUriRequest. Its error is fatal to the run.
func (p *Pusher) pushOne(ctx context.Context, it *repository.PushItem) (result, error) {
	d, err := p.details(it)
	if err != nil {
		return result{}, err
	}
	var body bytes.Buffer
	body.Grow(1024)
	xmlschema.AppendPushRequest(&body, p.cfg.OrgID, time.Now().In(xmlschema.IST).Format(time.RFC3339), txn(it), string(p.cfg.Key), &d)
	resp, reply, err := p.post(ctx, p.cfg.Endpoint, "application/xml", body.Bytes(), nil)
	if err != nil {
		if ctx.Err() != nil {
			return result{}, nil // cancelled: released, not failed
		}
		return result{kind: repository.Retry, reason: err.Error(), unreachable: errors.Is(err, errUnreachable)}, nil
	}
	if r, done, err := classifyHTTP(it.Action, resp, reply); done || err != nil {
		return r, err
	}
	if j, ok := parseJSONReply(reply); ok {
		return classifyJSON(it.Action, j), nil
	}
	msg, err := xmlschema.ParseResponse(reply)
	if err != nil || msg.Kind != "PushUriResponse" {
		return result{kind: repository.Retry, reason: fmt.Sprintf("HTTP %d with a reply that is not a PushUriResponse", resp.StatusCode)}, nil
	}
	return classify(it.Action, msg.Status, msg.Message), nil
}

// pushBulk sends rows with the bulk CSV variant and reads one result per row.
func (p *Pusher) pushBulk(ctx context.Context, items []repository.PushItem, out []result) error {
	ds := make([]xmlschema.PushDetails, len(items))
	for i := range items {
		d, err := p.details(&items[i])
		if err != nil {
			return err
		}
		ds[i] = d
	}
	var body bytes.Buffer
	if err := xmlschema.WritePushCSV(&body, ds); err != nil {
		return err
	}
	txns := make([]string, len(items))
	for i := range items {
		txns[i] = txn(&items[i])
	}
	hdr := map[string]string{
		xmlschema.OrgIDHeader: p.cfg.OrgID,
		xmlschema.TSHeader:    time.Now().In(xmlschema.IST).Format(time.RFC3339),
		xmlschema.TxnHeader:   strings.Join(txns, ","),
	}
	resp, reply, err := p.post(ctx, p.cfg.BulkEndpoint, "text/csv", body.Bytes(), hdr)
	fill := func(r result) {
		for i := range out {
			out[i] = r
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			fill(result{kind: repository.Retry, reason: err.Error(), unreachable: errors.Is(err, errUnreachable)})
		}
		return nil
	}
	if j, ok := parseJSONReply(reply); ok && resp.StatusCode == http.StatusBadRequest {
		// One refusal for the whole request, judged for each row's action.
		for i := range out {
			out[i] = classifyJSON(items[i].Action, j)
		}
		return nil
	}
	if r, done, err := classifyHTTP("", resp, reply); done || err != nil {
		fill(r)
		return err
	}
	rs, err := xmlschema.ReadPushResults(bytes.NewReader(reply))
	if err != nil || len(rs) != len(items) {
		fill(result{kind: repository.Retry, reason: fmt.Sprintf("bulk reply with %d results for %d rows (%v)", len(rs), len(items), err)})
		return nil
	}
	for i, r := range rs {
		if r.URI != items[i].URI {
			out[i] = result{kind: repository.Retry, reason: "bulk reply out of order"}
			continue
		}
		out[i] = classify(items[i].Action, r.Status, r.Message)
	}
	return nil
}

// maxBulk bounds the rows of one bulk push: their txns travel in one
// header.
const maxBulk = 500

// maxReply bounds what we read of a gateway's reply.
const maxReply = 4 << 20

func (p *Pusher) post(ctx context.Context, endpoint, ctype string, body []byte, hdr map[string]string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody(p.cfg.Key, body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded || replyTimeout(err) {
			return nil, nil, fmt.Errorf("no reply from the gateway within %s", p.cfg.Timeout)
		}
		if errors.Is(err, httpserve.ErrRedirect) {
			return nil, nil, fmt.Errorf("gateway: %s", describe(err))
		}
		return nil, nil, fmt.Errorf("%w: %s", errUnreachable, describe(err))
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the gateway's reply: %s", describe(err))
	}
	return resp, reply, nil
}

// errUnreachable is a push that reached no gateway (no connection, no
// name, no TLS): the gateway's trouble, not the row's.
var errUnreachable = errors.New("gateway unreachable")

// replyTimeout reports whether err is the transport's own timeout for the
// reply (ResponseHeaderTimeout, set to Timeout, which races the request's
// deadline), not a dial's.
func replyTimeout(err error) bool {
	var ne net.Error
	var op *net.OpError
	return errors.As(err, &ne) && ne.Timeout() && !(errors.As(err, &op) && op.Op == "dial")
}

// describe shortens a transport error to its cause, without the URL.
func describe(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// classifyHTTP handles every reply that is not a 200: done reports that r
// is the outcome; err is fatal to the run. An HTTP 400 with a JSON error
// (the authorized-partner API's form) is a refusal judged like a
// PushUriResponse's for action (empty for a bulk request).
func classifyHTTP(action string, resp *http.Response, reply []byte) (r result, done bool, err error) {
	code := resp.StatusCode
	if code == http.StatusOK {
		return result{}, false, nil
	}
	j, isJSON := parseJSONReply(reply)
	if isJSON && code == http.StatusBadRequest && action != "" {
		return classifyJSON(action, j), true, nil
	}
	text := strings.TrimSpace(string(reply))
	if m, err := xmlschema.ParseResponse(reply); err == nil && m.Message != "" {
		text = m.Message
	} else if isJSON && j.text() != "" {
		text = j.text()
	}
	// The gateway's text may echo what it was sent; it reaches logs,
	// errors and the dead letters.
	text = aadhaar.Redact(text)
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	reason := fmt.Sprintf("HTTP %d %s", code, text)
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return result{}, true, fmt.Errorf("%w: %s", ErrUnauthorized, reason)
	case code >= 500 || code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		return result{kind: repository.Retry, reason: reason, retryAfter: retryAfter(resp.Header.Get("Retry-After"))}, true, nil
	}
	return result{kind: repository.Dead, reason: reason}, true, nil
}

// maxRetryAfter caps a gateway's Retry-After.
const maxRetryAfter = time.Hour

// retryAfter parses Retry-After: delay-seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseUint(v, 10, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		d = maxRetryAfter
		if err == nil && n < uint64(maxRetryAfter/time.Second) {
			d = time.Duration(n) * time.Second
		}
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	if d < 0 {
		d = 0
	}
	return min(d, maxRetryAfter)
}

// classify maps a PushUriResponse to an outcome. The gateway's message is
// redacted: it may echo the Aadhaar number it was sent.
func classify(action, status, message string) result {
	message = aadhaar.Redact(message)
	switch status {
	case "1":
		return result{kind: repository.Pushed}
	case "9":
		return result{kind: repository.Retry, reason: "locker error: " + message}
	}
	switch {
	case strings.EqualFold(strings.TrimSpace(message), xmlschema.MsgExistsHere) && action == repository.ActionAdd:
		// An A sent again (its reply was lost): digilocker-spec.md §5 has
		// this text as success for an A only. For a U or D it says the
		// change was not applied, a dead letter to look at.
		return result{kind: repository.Pushed, already: true}
	case message == "":
		message = "refused without a message"
	}
	return result{kind: repository.Dead, reason: "locker refused: " + message}
}
