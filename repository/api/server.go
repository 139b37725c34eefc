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
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/httpserve"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
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
	Store      store.Store
	Keyring    *aadhaar.Keyring
	// ReplayWindow, when positive, rejects requests whose ts is further
	// than this from now, and a request served before within the window,
	// byte for byte from the same orgId (see replayKey).
	ReplayWindow time.Duration
	// ReplayMax bounds the requests remembered (default DefaultReplayMax).
	ReplayMax int
	// ReplayLog, when set with a ReplayWindow, shares the accepted requests
	// with every server on the same catalog (PostgreSQL); the caller has
	// prepared it (PrepareReplayLog). Each server still keeps its own
	// cache in front of it.
	ReplayLog repository.ReplayLog
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
	// (base64 and holder computed once per version for Pull URI, and the
	// decoded forms the certificate API serves); 0 keeps none.
	CacheBytes int
	Logger     *slog.Logger
	// PDF renders documents for format="pdf", "both" and requests without
	// a format; nil answers format="pdf" with Status 0 and a message, the
	// others with the XML alone.
	PDF *docpdf.Renderer
	// Profiles are the pull profiles of the DocTypes served: search
	// parameter names and pull policy (xmlschema.PullProfile). A DocType
	// without one gets the default policy and its search parameters
	// guessed from the request (see searchKey).
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
	bodies   *xmlschema.BodyVerifier // checks x-digilocker-hmac under cfg.APIKey
	metrics  *metrics
	replay   *replayCache
	limits   *limits
	objects  *objectCache
	audit    *auditWriter
	profiles profiles
	pdfs     singleflight.Group // one rendering and signature per PDF at a time (pdf.go)
	stop     context.CancelFunc // ends the replay log's pruning
	pruned   chan struct{}
	// limited answers a request over the per-address rate under a path
	// prefix in its API's own form (SetLimitedReply); others get text.
	limited []limitedReply
	// toldMissing holds the DocType and field pairs missingHolderField
	// has logged.
	toldMissing sync.Map
}

type limitedReply struct {
	prefix string
	h      http.Handler
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
	s := &Server{cfg: cfg, mux: http.NewServeMux(), bodies: xmlschema.NewBodyVerifier(cfg.APIKey), metrics: newMetrics(cfg.Registry), objects: newObjectCache(cfg.CacheBytes)}
	s.audit = newAuditWriter(cfg.Catalog, cfg.Logger)
	s.profiles = newProfiles(cfg.Profiles)
	if cfg.ReplayWindow > 0 {
		limit := cfg.ReplayMax
		if limit <= 0 {
			limit = DefaultReplayMax
		}
		s.replay = newReplayCache(cfg.ReplayWindow, limit)
	}
	if cfg.ReplayWindow > 0 && cfg.ReplayLog != nil {
		ctx, stop := context.WithCancel(context.Background())
		s.stop, s.pruned = stop, make(chan struct{})
		go s.pruneReplayLog(ctx)
	}
	s.limits = newLimits(cfg)
	s.mux.HandleFunc("POST /digilocker/pulluri", s.pull("PullURI", s.lookup))
	s.mux.HandleFunc("POST /digilocker/pulldoc", s.pull("PullDoc", s.lookupURI))
	s.mux.HandleFunc("GET /verify/{uri...}", s.verify)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	// Over the per-address rate, the repository routes answer in their
	// own XML, as their other refusals before authentication do.
	s.SetLimitedReply("/digilocker/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := "PullURI"
		if strings.HasSuffix(r.URL.Path, "/pulldoc") {
			kind = "PullDoc"
		}
		w.Header().Set("Retry-After", "1")
		s.reply(w, http.StatusTooManyRequests, kind, nil, "0", nil)
	}))
	metrics := promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{})
	s.mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if !s.directLoopback(r) {
			http.NotFound(w, r)
			return
		}
		metrics.ServeHTTP(w, r)
	})
	return s, nil
}

// directLoopback reports whether r came from this host itself, not through
// a proxy: the API's own GET /metrics (the CONTRACT route) answers only
// such a request. Served and pending counts per DocType are the issuer's
// business, and a proxy on this host makes every request loopback, so a
// request from a --trusted-proxy peer, or one that says it was forwarded
// (X-Forwarded-For, Forwarded, X-Real-IP), is refused. A proxy on this
// host that is not named and adds none of these headers passes requests
// on as its own: deployment.md says to name it.
func (s *Server) directLoopback(r *http.Request) bool {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	a := peer.Addr().Unmap()
	return a.IsLoopback() && !inPrefixes(a, s.cfg.TrustedProxies) &&
		r.Header.Get("X-Forwarded-For") == "" && r.Header.Get("Forwarded") == "" && r.Header.Get("X-Real-Ip") == ""
}

// MetricsHandler serves the Prometheus metrics to anyone who reaches it:
// serve puts it on its own, loopback by default, --metrics-addr, for a
// Prometheus on another host. The API's own GET /metrics answers this host
// only (directLoopback).
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))
	return mux
}

// Close records the audit entries still queued. Call it after the HTTP
// server has shut down.
func (s *Server) Close() {
	if s.stop != nil {
		s.stop()
		<-s.pruned
	}
	s.audit.close()
}

// SetLimitedReply makes h the answer to a request over the per-address
// rate whose path starts with prefix (the certificate API answers in API
// Setu's JSON). Call it before serving.
func (s *Server) SetLimitedReply(prefix string, h http.Handler) {
	s.limited = append(s.limited, limitedReply{prefix, h})
}

// tooMany answers a request over the per-address rate.
func (s *Server) tooMany(w http.ResponseWriter, r *http.Request) {
	for _, l := range s.limited {
		if strings.HasPrefix(r.URL.Path, l.prefix) {
			l.h.ServeHTTP(w, r)
			return
		}
	}
	w.Header().Set("Retry-After", "1")
	http.Error(w, "too many requests", http.StatusTooManyRequests)
}

// Handler returns the API with access logging, metrics and rate limiting.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := httpserve.Record(w, r)
		client := clientAddr(r, s.cfg.TrustedProxies)
		if !s.limits.allow(r, client) {
			s.tooMany(rec, r)
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
		// Checked first: the arguments would cost allocations per request
		// even when the line is not written.
		if s.cfg.Logger.Enabled(r.Context(), slog.LevelInfo) {
			s.cfg.Logger.Info("request", "route", route, "status", rec.Status, "bytes", rec.Bytes,
				"duration_ms", float64(d.Microseconds())/1000, "remote", client)
		}
	})
}

// checkReplay refuses a request whose ts is outside the replay window or
// that was accepted before, byte for byte (see replayKey). On success it
// returns a function that forgets the request again (nil without a
// window), for an answer that did not serve it.
func (s *Server) checkReplay(ctx context.Context, req *xmlschema.Request, body []byte) (forget func(), err error) {
	if s.replay == nil {
		return nil, nil
	}
	ts, ok := parseTS(req.TS)
	if !ok {
		return nil, errors.New("ts is not a timestamp")
	}
	now := s.cfg.Now()
	if d := now.Sub(ts); d > s.cfg.ReplayWindow || d < -s.cfg.ReplayWindow {
		return nil, errors.New("ts is outside the replay window")
	}
	k := newReplayKey(req.OrgID, body)
	// The shared log first: a request it could not record is left unseen
	// here too, so the locker's retry is judged afresh.
	if s.cfg.ReplayLog != nil {
		fresh, err := s.cfg.ReplayLog.RecordTxn(ctx, k[:], now, ts.Add(s.cfg.ReplayWindow))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errReplayUnchecked, err) // refused: unchecked is not fresh
		}
		if !fresh {
			return nil, errors.New("the request was already served (at this or another server)")
		}
	}
	forgetShared := func() {
		if s.cfg.ReplayLog == nil {
			return
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := s.cfg.ReplayLog.ForgetTxn(fctx, k[:]); err != nil {
			s.cfg.Logger.Warn("replay log: a request not served stays recorded; its retry is refused until the window passes", "err", err.Error())
		}
	}
	switch s.replay.fresh(k, ts, now) {
	case replaySeen:
		return nil, errors.New("the request was already served")
	case replayFull:
		// Not served: the shared log's record goes too, so the retry is
		// judged afresh.
		forgetShared()
		return nil, errReplayFull
	}
	return func() {
		s.replay.forget(k, ts)
		forgetShared()
	}, nil
}

// errReplayFull is a request refused because the replay cache holds its
// bound: the server's limit, answered 503 to be retried, not 401.
var errReplayFull = errors.New("the replay cache is full: too many requests within the window")

// errReplayUnchecked is a request the shared replay log could not
// record (the catalog is unreachable): answered 503, not 401.
var errReplayUnchecked = errors.New("request not checked for replay: the shared replay log is unavailable")

// parseTS reads a request's ts. A ts without a zone is India Standard Time,
// as DigiLocker's clocks are.

func parseTS(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-07:00", "2006-01-02T15:04:05-0700"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	for _, l := range []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.ParseInLocation(l, s, xmlschema.IST); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
