package locker

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/httpserve"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// Faults make the locker misbehave on purpose, for tests and demos of the
// pusher's retries. They apply to the push endpoints only.
type Faults struct {
	// FailRate is the fraction of pushes answered with HTTP 500. Half of
	// them fail after the push was applied (a lost reply), half before.
	FailRate float64
	// Latency delays every push.
	Latency time.Duration
	// DownFor answers 503 with Retry-After: 1 for this long after start.
	DownFor time.Duration
}

// Config configures a Server.
type Config struct {
	Store  *Store
	Faults Faults
	Logger *slog.Logger
	// Client is used to pull documents from issuers; nil means a client
	// with a 15 s timeout. Its redirects are never followed.
	Client *http.Client
	// PushPath and PushBulkPath are the routes pushes are taken on
	// (default xmlschema.PushPath and PushBulkPath).
	PushPath, PushBulkPath string
	// RootCAs, when set, are the trust anchors of the default Client for
	// issuers' HTTPS repository APIs (a private CA); nil: the system's.
	RootCAs *x509.CertPool
	// JSONReplies answers pushes in the authorized-partner API's JSON form
	// (see pushReply) instead of a PushUriResponse.
	JSONReplies bool
	// PushWindow is how far a Push URI request's signed ts may be from now
	// (default DefaultPushWindow; negative: no window).
	PushWindow time.Duration
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// IdleTimeout ends a citizen's session after this long without a
	// request (default DefaultIdle).
	IdleTimeout time.Duration
	// AccessTTL is how long a granted consent session lets its requester
	// read (default DefaultAccess).
	AccessTTL time.Duration
	// PublicURL is the locker's base URL as citizens reach it, for
	// authorization_url; empty: the request's own host.
	PublicURL string
}

// Server is the reference locker's HTTP API.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	ops     chan applyOp
	started time.Time
	client  *http.Client
	log     *slog.Logger
	once    sync.Once
}

// Body limits.
const (
	maxPushBody = 1 << 20
	maxBulkBody = 16 << 20
)

// NewServer returns a locker API over cfg.Store. Close stops its writer.
func NewServer(cfg Config) *Server {
	s := &Server{cfg: cfg, mux: http.NewServeMux(), ops: make(chan applyOp, 1024), started: time.Now(),
		client: cfg.Client, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.cfg.PushWindow == 0 {
		s.cfg.PushWindow = DefaultPushWindow
	}
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	if s.cfg.IdleTimeout <= 0 {
		s.cfg.IdleTimeout = DefaultIdle
	}
	if s.cfg.AccessTTL <= 0 {
		s.cfg.AccessTTL = DefaultAccess
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 15 * time.Second,
			Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: httpserve.ClientTLSConfig(cfg.RootCAs),
				TLSHandshakeTimeout: 10 * time.Second}}
	}
	s.client = httpserve.WithoutRedirects(s.client)
	go cfg.Store.writer(s.ops)
	single, bulk := cfg.pushPaths()
	s.mux.HandleFunc("POST "+single, s.push)
	s.mux.HandleFunc("POST "+bulk, s.pushBulk)
	s.mux.HandleFunc("GET /citizens/{citizen}/issued", s.issued)
	s.mux.HandleFunc("GET /citizens/{citizen}/issued/{uri}", s.fetch)
	s.routeAPI()
	s.routePages()
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return s
}

// Close stops the writer; call it after the HTTP server has shut down.
func (s *Server) Close() { s.once.Do(func() { close(s.ops) }) }

// Handler returns the API with an access log that names routes, never
// paths (a path names a citizen).
func (s *Server) Handler() http.Handler {
	// A browser's cross-origin POST (a foreign page's form) is refused
	// before any handler; issuers and scripts send no Sec-Fetch-Site or
	// Origin and pass.
	guarded := http.NewCrossOriginProtection().Handler(s.mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := httpserve.Record(w, r)
		guarded.ServeHTTP(rec, r)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		s.log.Info("request", "route", route, "status", rec.Status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000, "remote", httpserve.ClientIP(r))
	})
}

// fault applies the fault switches before a push; it reports whether it
// answered, and whether the push should fail after being applied.
func (s *Server) fault(w http.ResponseWriter) (answered, failAfter bool) {
	f := s.cfg.Faults
	if f.Latency > 0 {
		time.Sleep(f.Latency)
	}
	if f.DownFor > 0 && time.Since(s.started) < f.DownFor {
		w.Header().Set("Retry-After", "1")
		http.Error(w, "locker is down for maintenance", http.StatusServiceUnavailable)
		return true, false
	}
	if f.FailRate > 0 && rand.Float64() < f.FailRate {
		if rand.IntN(2) == 0 {
			http.Error(w, "injected failure", http.StatusInternalServerError)
			return true, false
		}
		return false, true
	}
	return false, false
}

// authenticate reads the body (bounded) and checks the HMAC with the key of
// the issuer orgID names. It answers the request itself when it fails.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, func(orgID string) (*Issuer, bool)) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "could not read the request", http.StatusBadRequest)
		}
		return nil, nil
	}
	return body, func(orgID string) (*Issuer, bool) {
		is, err := s.cfg.Store.Issuer(r.Context(), orgID)
		if err != nil || !xmlschema.VerifyBody([]byte(is.APIKey), body, r.Header.Get(xmlschema.HMACHeader)) {
			if err != nil && !errors.Is(err, ErrNotFound) {
				s.log.Error("issuer lookup", "err", err)
			}
			http.Error(w, "authentication failed", http.StatusUnauthorized)
			return nil, false
		}
		return is, true
	}
}

func (s *Server) submit(ctx context.Context, issuer string, txns []string, pushes []xmlschema.PushDetails) ([]xmlschema.PushResult, error) {
	op := applyOp{issuer: issuer, txns: txns, pushes: pushes, done: make(chan applyResult, 1)}
	select {
	case s.ops <- op:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	res := <-op.done
	return res.results, res.err
}

func (s *Server) push(w http.ResponseWriter, r *http.Request) {
	answered, failAfter := s.fault(w)
	if answered {
		return
	}
	body, auth := s.authenticate(w, r, maxPushBody)
	if body == nil {
		return
	}
	req, err := xmlschema.ParsePushRequest(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	is, ok := auth(req.OrgID)
	if !ok {
		return
	}
	if req.KeyHash != "" && !xmlschema.VerifyKeyHash(is.APIKey, req.TS, req.KeyHash) {
		http.Error(w, "authentication failed", http.StatusUnauthorized)
		return
	}
	if err := checkPushTS(req.TS, s.cfg.Now(), s.cfg.PushWindow); err != nil {
		s.log.Warn("push refused", "issuer", is.ID, "reason", err.Error())
		http.Error(w, "authentication failed: "+err.Error(), http.StatusUnauthorized)
		return
	}
	d := xmlschema.PushDetailsFrom(req)
	if msg := check(is.ID, &d); msg != "" {
		s.pushReply(w, "0", req.TS, req.Txn, msg)
		return
	}
	rs, err := s.submit(r.Context(), is.ID, []string{req.Txn}, []xmlschema.PushDetails{d})
	if err != nil {
		s.log.Error("push", "err", err)
		http.Error(w, "locker error", http.StatusInternalServerError)
		return
	}
	if failAfter {
		http.Error(w, "injected failure after applying", http.StatusInternalServerError)
		return
	}
	s.pushReply(w, rs[0].Status, req.TS, req.Txn, rs[0].Message)
}

func (s *Server) pushBulk(w http.ResponseWriter, r *http.Request) {
	answered, failAfter := s.fault(w)
	if answered {
		return
	}
	body, auth := s.authenticate(w, r, maxBulkBody)
	if body == nil {
		return
	}
	is, ok := auth(r.Header.Get(xmlschema.OrgIDHeader))
	if !ok {
		return
	}
	pushes, err := xmlschema.ReadPushCSV(bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	// The header's txns are not signed: each row is applied under the
	// hash of its signed content (bulkRowID), so a replay under new txns
	// is a repeat.
	results := make([]xmlschema.PushResult, len(pushes))
	var valid []xmlschema.PushDetails
	var validTxns []string
	var at []int
	for i := range pushes {
		if msg := check(is.ID, &pushes[i]); msg != "" {
			results[i] = xmlschema.PushResult{URI: pushes[i].URI, Action: pushes[i].Action, Status: "0", Message: msg}
			continue
		}
		valid = append(valid, pushes[i])
		validTxns = append(validTxns, bulkRowID(s.cfg.Store.CitizenHash(pushes[i].Aadhaar), &pushes[i]))
		at = append(at, i)
	}
	if len(valid) > 0 {
		rs, err := s.submit(r.Context(), is.ID, validTxns, valid)
		if err != nil {
			s.log.Error("bulk push", "err", err)
			http.Error(w, "locker error", http.StatusInternalServerError)
			return
		}
		for j, i := range at {
			results[i] = rs[j]
		}
	}
	if failAfter {
		http.Error(w, "injected failure after applying", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	xmlschema.WritePushResults(w, results)
}

func writeXML(w http.ResponseWriter, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/xml; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	httpserve.WriteWhole(w, http.StatusOK, b)
}

// wantsHTML reports whether a browser asked.
func wantsHTML(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "html"
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// signedIn reports whether r carries citizen's signed link; when not, it
// has answered 403.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request, citizen string) bool {
	if s.cfg.Store.validLink(r, citizen, s.cfg.Now()) {
		return true
	}
	w.Header().Set("Cache-Control", "no-store")
	s.linkError(w, r, http.StatusForbidden, "this page opens with a signed link: `issuerkit locker citizen --link` prints one",
		"This link has expired or is not valid", "Ask for a new link to your locker.")
	return false
}

// linkError answers a signed-link request that failed: JSON with the
// detail for a script, a page in words for a browser (the detail may name
// a command or an issuer's reply, which a citizen can do nothing with).
func (s *Server) linkError(w http.ResponseWriter, r *http.Request, code int, detail, title, message string) {
	if !wantsHTML(r) {
		// detail may carry an issuer's message: no Aadhaar number in it.
		writeJSON(w, code, map[string]string{"error": aadhaar.Redact(detail)})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	if err := linkMessagePage.Execute(w, struct{ Title, Message string }{title, message}); err != nil {
		s.log.Error("message page", "err", err)
	}
}

func (s *Server) issued(w http.ResponseWriter, r *http.Request) {
	citizen := r.PathValue("citizen")
	if !s.signedIn(w, r, citizen) {
		return
	}
	docs, err := s.cfg.Store.Issued(r.Context(), citizen)
	if err != nil {
		s.log.Error("issued", "err", err)
		http.Error(w, "locker error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if wantsHTML(r) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := issuedPage.Execute(w, struct {
			Citizen string
			Link    template.URL // the signed link's query, for the View links
			Docs    []Document
		}{citizen, template.URL(s.cfg.Store.CitizenLink(citizen, linkExp(r))), docs}); err != nil {
			s.log.Error("issued page", "err", err)
		}
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"citizen": citizen, "issued": docs})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// fetch pulls a citizen's document from its issuer, verifies the signature
// and returns the signed XML.
func (s *Server) fetch(w http.ResponseWriter, r *http.Request) {
	citizen, uri := r.PathValue("citizen"), r.PathValue("uri")
	if !s.signedIn(w, r, citizen) {
		return
	}
	d, err := s.cfg.Store.Document(r.Context(), citizen, uri)
	if errors.Is(err, ErrNotFound) || (err == nil && d.State != "active") {
		s.linkError(w, r, http.StatusNotFound, "no such document in this locker",
			"Document not in your locker", "This document is not in your locker any more: its issuer may have withdrawn it.")
		return
	}
	if err != nil {
		s.log.Error("fetch", "err", err)
		http.Error(w, "locker error", http.StatusInternalServerError)
		return
	}
	is, err := s.cfg.Store.Issuer(r.Context(), d.Issuer)
	if err != nil {
		s.linkError(w, r, http.StatusBadGateway, fmt.Sprintf("issuer %s is not registered", d.Issuer),
			"Document not available", "The locker cannot reach this document's issuer. Try again later.")
		return
	}
	doc, v, err := Pull(r.Context(), s.client, is, uri, citizen) // the citizen hash: this route has no locker account
	if errors.Is(err, ErrPending) {
		// The issuer holds it until its release: not a failure, later.
		w.Header().Set("Retry-After", "300")
		s.linkError(w, r, http.StatusServiceUnavailable, err.Error(),
			"Not released yet", "The issuer has not released this document yet. Try again later.")
		return
	}
	if err != nil {
		s.log.Warn("fetch from issuer failed", "issuer", is.ID, "err", err)
		s.linkError(w, r, http.StatusBadGateway, err.Error(),
			"Document not available", "The issuer did not return this document just now. Try again later.")
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Signature-Verified", v)
	w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
	httpserve.WriteWhole(w, http.StatusOK, doc)
}
