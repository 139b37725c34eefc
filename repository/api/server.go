// Package api is the issuer's repository API that lockers call (the DESIGN
// Repository API CONTRACT): Pull URI and Pull Doc over HMAC-authenticated
// XML (digilocker-spec.md §2-§4), a verification page that opens with the
// document's token, health, and Prometheus metrics on a handler of their own.
//
// A request that finds no document and one whose name or date of birth does
// not match get the same answer, so the API is no oracle for who sat which
// exam. Access logs carry the route pattern, never the path or any personal
// data.
package api

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/httpserve"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MaxBody is the largest request body accepted (413 beyond).
const MaxBody = 1 << 20

// Config configures a Server.
type Config struct {
	IssuerID   string
	IssuerName string
	APIKey     []byte // authenticates lockers' requests (x-digilocker-hmac, keyhash)
	Catalog    repository.Catalog
	Store      repository.Store
	Keyring    *aadhaar.Keyring
	// ReplayWindow, when positive, rejects requests whose ts is further
	// than this from now, and a txn seen before within the window.
	ReplayWindow time.Duration
	// RateLimit, when positive, is the requests per second one client
	// address may make (burst twice that), on the locker routes before
	// authentication and on the public ones (/healthz), in separate buckets.
	RateLimit float64
	// OrgRateLimit, when positive, is the requests per second one
	// authenticated locker (orgId) may make on Pull URI and Pull Doc.
	OrgRateLimit float64
	// VerifyRateLimit is the requests per second one client address may
	// make to /verify, in a bucket of its own (burst five times that);
	// VerifyTotalRate caps all clients together. 0 means the defaults
	// (DefaultVerifyRate, DefaultVerifyTotal); negative, no limit.
	VerifyRateLimit, VerifyTotalRate float64
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client; from any other peer the header is ignored.
	TrustedProxies []netip.Prefix
	// VerifyKey makes and checks the /verify?k= tokens (VerifyToken); with
	// none, every /verify answers as for an unknown document.
	VerifyKey []byte
	// CacheBytes bounds the memory of documents kept ready to serve
	// (base64 and holder computed once per version); 0 keeps none.
	CacheBytes int
	Logger     *slog.Logger
	// PDF renders documents for format="pdf", "both" and requests without
	// a format; nil answers format="pdf" with Status 0 and a message, the
	// others with the XML alone.
	PDF *docpdf.Renderer
	// Registry receives the metrics; default a new registry.
	Registry *prometheus.Registry
	Now      func() time.Time
}

// Server serves the repository API.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	metrics *metrics
	replay  *replayCache
	limits  *limits
	objects *objectCache
	audit   *auditWriter
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if len(cfg.APIKey) == 0 {
		return nil, errors.New("api: no API key")
	}
	if cfg.Catalog == nil || cfg.Store == nil || cfg.Keyring == nil {
		return nil, errors.New("api: catalog, store and keyring are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: newMetrics(cfg.Registry), objects: newObjectCache(cfg.CacheBytes)}
	s.audit = newAuditWriter(cfg.Catalog, cfg.Logger)
	if cfg.ReplayWindow > 0 {
		s.replay = newReplayCache(cfg.ReplayWindow, 1<<20)
	}
	s.limits = newLimits(cfg)
	s.mux.HandleFunc("POST /digilocker/pulluri", s.pull("PullURI", s.lookup))
	s.mux.HandleFunc("POST /digilocker/pulldoc", s.pull("PullDoc", s.lookupURI))
	s.mux.HandleFunc("GET /verify/{uri...}", s.verify)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return s, nil
}

// MetricsHandler serves the Prometheus metrics. It is not on the API's
// routes: served and pending counts per DocType are the issuer's business,
// so serve puts it on its own, loopback by default, --metrics-addr.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))
	return mux
}

// Close records the audit entries still queued. Call it after the HTTP
// server has shut down.
func (s *Server) Close() { s.audit.close() }

// Handler returns the API with access logging, metrics and rate limiting.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := httpserve.Record(w)
		client := clientAddr(r, s.cfg.TrustedProxies)
		if !s.limits.allow(r, client) {
			rec.Header().Set("Retry-After", "1")
			http.Error(rec, "too many requests", http.StatusTooManyRequests)
		} else {
			s.mux.ServeHTTP(rec, r)
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.observe(route, rec.Status, d)
		// The route pattern, never the path: a /verify path names a document.
		s.cfg.Logger.Info("request", "route", route, "status", rec.Status, "bytes", rec.Bytes,
			"duration_ms", float64(d.Microseconds())/1000, "remote", client)
	})
}

// replayCache remembers txn values for the replay window.
type replayCache struct {
	mu     sync.Mutex
	window time.Duration
	max    int
	seen   map[string]time.Time
}

func newReplayCache(window time.Duration, max int) *replayCache {
	return &replayCache{window: window, max: max, seen: map[string]time.Time{}}
}

// fresh records txn and reports whether it was not seen within the window.
func (c *replayCache) fresh(txn string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t, ok := c.seen[txn]; ok && now.Sub(t) < c.window {
		return false
	}
	if len(c.seen) >= c.max {
		for k, t := range c.seen {
			if now.Sub(t) >= c.window {
				delete(c.seen, k)
			}
		}
		if len(c.seen) >= c.max {
			return false // flooded: refuse rather than forget
		}
	}
	c.seen[txn] = now
	return true
}

func (s *Server) checkReplay(req *xmlschema.Request) error {
	if s.replay == nil {
		return nil
	}
	ts, ok := parseTS(req.TS)
	if !ok {
		return errors.New("ts is not a timestamp")
	}
	now := s.cfg.Now()
	if d := now.Sub(ts); d > s.cfg.ReplayWindow || d < -s.cfg.ReplayWindow {
		return errors.New("ts is outside the replay window")
	}
	if req.Txn == "" || !s.replay.fresh(req.Txn, now) {
		return errors.New("txn was already used")
	}
	return nil
}

func parseTS(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-07:00", "2006-01-02T15:04:05-0700", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
