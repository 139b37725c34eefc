// Package api is the issuer's repository API that lockers call (the DESIGN
// Repository API CONTRACT): Pull URI and Pull Doc over HMAC-authenticated
// XML (digilocker-spec.md §2-§4), a public verification page, health and
// Prometheus metrics.
//
// A request that finds no document and one whose name or date of birth does
// not match get the same answer, so the API is no oracle for who sat which
// exam. Access logs carry the route pattern, never the path or any personal
// data.
package api

import (
	"errors"
	"golang.org/x/sync/singleflight"
	"io"
	"log/slog"
	"net/http"
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
	"golang.org/x/time/rate"
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
	// RateLimit, when positive, is the requests per second one client IP
	// may make (burst twice that).
	RateLimit float64
	// CacheBytes bounds the memory of documents kept ready to serve
	// (base64 and holder computed once per version); 0 keeps none.
	CacheBytes int
	Logger     *slog.Logger
	// PDF renders documents for format="pdf", "both" and requests without
	// a format; nil answers format="pdf" with Status 0 and a message, the
	// others with the XML alone.
	PDF *docpdf.Renderer
	// Profiles are the pull profiles of the DocTypes served: search
	// parameter names and pull policy (xmlschema.PullProfile). A DocType
	// without one gets the default policy and its search parameters
	// guessed from the request (see searchParams).
	Profiles []xmlschema.PullProfile
	// OrgID, when set, is the only orgId whose requests are answered
	// (api.org_id in issuerkit.yaml); others get 401.
	OrgID string
	// Registry receives the metrics; default a new registry.
	Registry *prometheus.Registry
	Now      func() time.Time
}

// Server serves the repository API.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	metrics  *metrics
	replay   *replayCache
	limits   *ipLimiter
	objects  *objectCache
	audit    *auditWriter
	profiles profiles
	pdfs     singleflight.Group // one rendering and signature per PDF at a time (pdf.go)
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
	s.profiles = newProfiles(cfg.Profiles)
	if cfg.ReplayWindow > 0 {
		s.replay = newReplayCache(cfg.ReplayWindow, 1<<20)
	}
	if cfg.RateLimit > 0 {
		s.limits = newIPLimiter(cfg.RateLimit, 100_000)
	}
	s.mux.HandleFunc("POST /digilocker/pulluri", s.pull("PullURI", s.lookup))
	s.mux.HandleFunc("POST /digilocker/pulldoc", s.pull("PullDoc", s.lookupURI))
	s.mux.HandleFunc("GET /verify/{uri...}", s.verify)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	return s, nil
}

// Close records the audit entries still queued. Call it after the HTTP
// server has shut down.
func (s *Server) Close() { s.audit.close() }

// Handler returns the API with access logging, metrics and rate limiting.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := httpserve.Record(w)
		if s.limits != nil && !s.limits.allow(httpserve.ClientIP(r)) {
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
			"duration_ms", float64(d.Microseconds())/1000, "remote", httpserve.ClientIP(r))
	})
}

// ipLimiter keeps one token bucket per client IP, forgetting them all when
// it holds too many (a crude bound on memory under address churn).
type ipLimiter struct {
	mu    sync.Mutex
	rps   float64
	max   int
	limit map[string]*rate.Limiter
}

func newIPLimiter(rps float64, max int) *ipLimiter {
	return &ipLimiter{rps: rps, max: max, limit: map[string]*rate.Limiter{}}
}

func (l *ipLimiter) allow(ip string) bool {
	l.mu.Lock()
	lim, ok := l.limit[ip]
	if !ok {
		if len(l.limit) >= l.max {
			l.limit = map[string]*rate.Limiter{}
		}
		lim = rate.NewLimiter(rate.Limit(l.rps), max(1, int(2*l.rps)))
		l.limit[ip] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
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
