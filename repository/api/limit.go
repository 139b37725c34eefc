package api

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/time/rate"
)

// Default limits of the /verify page: a person scanning a QR code needs a
// request or two; someone walking DocIDs needs thousands.
const (
	DefaultVerifyRate  = 2   // per client address, per second (burst 10)
	DefaultVerifyTotal = 100 // all clients together, per second
	maxBuckets         = 100_000
)

// buckets keeps one token bucket per key (a client address, an org), at
// most max of them: when full, the bucket used least recently is dropped,
// one at a time and in O(1), so address churn never resets everyone.
type buckets struct {
	mu    sync.Mutex
	rps   float64
	burst int
	max   int
	order *list.List // of *bucket, most recently used first
	byKey map[string]*list.Element
}

type bucket struct {
	key string
	lim *rate.Limiter
}

func newBuckets(rps float64, burst, max int) *buckets {
	if burst < 1 {
		burst = max1(int(2 * rps))
	}
	return &buckets{rps: rps, burst: burst, max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

func max1(n int) int { return max(1, n) }

// allow takes a token from key's bucket.
func (b *buckets) allow(key string) bool {
	b.mu.Lock()
	e, ok := b.byKey[key]
	if ok {
		b.order.MoveToFront(e)
	} else {
		if b.order.Len() >= b.max {
			old := b.order.Back()
			b.order.Remove(old)
			delete(b.byKey, old.Value.(*bucket).key)
		}
		e = b.order.PushFront(&bucket{key: key, lim: rate.NewLimiter(rate.Limit(b.rps), b.burst)})
		b.byKey[key] = e
	}
	lim := e.Value.(*bucket).lim
	b.mu.Unlock()
	return lim.Allow()
}

func (b *buckets) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.order.Len()
}

// clientAddr is the address a request comes from: the peer, or, when the
// peer is one of the trusted proxies, the right-most X-Forwarded-For entry
// that is not itself a trusted proxy. An X-Forwarded-For from anyone else
// is ignored: a client cannot choose its own bucket.
func clientAddr(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !inPrefixes(peer.Unmap(), trusted) {
		return host
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return host // a malformed hop: trust nothing left of it
		}
		if !inPrefixes(a.Unmap(), trusted) {
			return a.Unmap().String()
		}
	}
	return host
}

func inPrefixes(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads CIDR prefixes or single addresses
// (serve --trusted-proxy).
func ParseTrustedProxies(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		for _, f := range strings.Split(s, ",") {
			f = strings.TrimSpace(f)
			if f == "" {
				continue
			}
			if !strings.Contains(f, "/") {
				a, err := netip.ParseAddr(f)
				if err != nil {
					return nil, err
				}
				out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
				continue
			}
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, err
			}
			out = append(out, p.Masked())
		}
	}
	return out, nil
}

// limits are the server's rate limits, each in its own buckets so one kind
// of traffic cannot spend another's: public routes per client address,
// locker routes per client address before authentication and per
// authenticated org after it, /verify per client address and in total.
type limits struct {
	public, locker *buckets // RateLimit, per client address; nil: none
	org            *buckets // OrgRateLimit, per orgId; nil: none
	verify         *buckets // VerifyRateLimit, per client address; nil: none
	verifyAll      *rate.Limiter
}

func newLimits(cfg Config) *limits {
	l := &limits{}
	if cfg.RateLimit > 0 {
		l.public = newBuckets(cfg.RateLimit, 0, maxBuckets)
		l.locker = newBuckets(cfg.RateLimit, 0, maxBuckets)
	}
	if cfg.OrgRateLimit > 0 {
		l.org = newBuckets(cfg.OrgRateLimit, 0, maxBuckets)
	}
	vr, vt := cfg.VerifyRateLimit, cfg.VerifyTotalRate
	if vr == 0 {
		vr = DefaultVerifyRate
	}
	if vt == 0 {
		vt = DefaultVerifyTotal
	}
	if vr > 0 {
		l.verify = newBuckets(vr, 5*max1(int(vr)), maxBuckets)
	}
	if vt > 0 {
		l.verifyAll = rate.NewLimiter(rate.Limit(vt), max1(int(2*vt)))
	}
	return l
}

// allow applies the limits of the route r goes to, before authentication.
func (l *limits) allow(r *http.Request, client string) bool {
	switch {
	case strings.HasPrefix(r.URL.Path, "/digilocker/"), strings.HasPrefix(r.URL.Path, "/apisetu/"):
		// The certificate API's clients are callers before authentication
		// too; each client has its rate after it (repository/apisetu).
		return l.locker == nil || l.locker.allow(client)
	case strings.HasPrefix(r.URL.Path, "/verify/"):
		if l.verify != nil && !l.verify.allow(client) {
			return false
		}
		if l.verifyAll != nil && !l.verifyAll.Allow() {
			return false
		}
		return true
	}
	return l.public == nil || l.public.allow(client)
}

// allowOrg applies the per-org limit to an authenticated locker request.
func (l *limits) allowOrg(orgID string) bool {
	if l.org == nil {
		return true
	}
	// The orgId is the request's, of any length: a bucket is named by a
	// short form of it, so a long one cannot make the map large.
	if len(orgID) > 64 {
		sum := sha256.Sum256([]byte(orgID))
		orgID = "sha256:" + hex.EncodeToString(sum[:16])
	}
	return l.org.allow(orgID)
}
