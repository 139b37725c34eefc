// Package apisetu is the publisher side of API Setu's certificate APIs
// (the DESIGN "API Setu certificate API" CONTRACT): a registered requester
// (a bank, an employer, a university) posts {txnId, format,
// certificateParameters, consentArtifact} to /apisetu/{doctype}/certificate
// and gets the signed Certificate (XML, PDF or JSON) of the citizen who
// consented.
//
// Documents are found as Pull URI finds them (repository/api: the
// profile's search keys, its pull policy, the document cache); not found,
// mismatched, revoked, suspended and held are one 404. Every use of a
// consent, granted or refused, is an audit entry that says why; the caller
// only ever gets API Setu's error pairs.
package apisetu

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/prometheus/client_golang/prometheus"
)

// Route is the certificate API's route on serve's mux.
const Route = "POST /apisetu/{doctype}/certificate"

// Headers that authenticate a client.
const (
	ClientIDHeader = "X-APISETU-CLIENTID"
	APIKeyHeader   = "X-APISETU-APIKEY"
)

// MaxBody is the largest request body accepted (413 beyond).
const MaxBody = 1 << 20

// AuditAPISetu is the audit action of a certificate API request.
const AuditAPISetu = repository.AuditAPISetu

// DefaultCacheTTL is how long the consent managers' keys are kept between
// catalog reads.
const DefaultCacheTTL = 5 * time.Second

// Config configures a Server.
type Config struct {
	IssuerID string
	// Docs finds and renders documents, and queues audit entries: the
	// repository API server of the same serve.
	Docs *api.Server
	// Clients keeps the requesters and counts consent uses. One that
	// records uses with their audit entries (repository.AuditedUses)
	// writes the granted ones' entries to its own audit log, so it must
	// be the catalog Docs audits to (serve gives both the home's).
	Clients Clients
	Keyring *aadhaar.Keyring
	// RatePerMin is the requests per minute of a client registered
	// without a rate of its own (0: unlimited).
	RatePerMin int
	// CacheTTL bounds how stale the trusted consent managers may be
	// (default DefaultCacheTTL); clients are read on every request.
	CacheTTL time.Duration
	Logger   *slog.Logger
	// Registry receives the metrics (default: Docs' registry).
	Registry *prometheus.Registry
	Now      func() time.Time
}

// Server serves the certificate API.
type Server struct {
	cfg       Config
	clients   *clientCache
	artifacts *artifactCache
	uses      *consentUses
	limits    *clientLimits
	metrics   *metrics
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Docs == nil || cfg.Clients == nil || cfg.Keyring == nil || cfg.IssuerID == "" {
		return nil, errors.New("apisetu: issuer id, documents, clients and keyring are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.Registry == nil {
		cfg.Registry = cfg.Docs.Registry()
	}
	return &Server{cfg: cfg, clients: newClientCache(cfg.Clients, cfg.CacheTTL, cfg.Now), uses: newConsentUses(cfg.Clients, cfg.Docs), artifacts: newArtifactCache(),
		limits: newClientLimits(cfg.RatePerMin), metrics: newMetrics(cfg.Registry)}, nil
}

// Mount adds the certificate API to the repository API's routes, and
// under /apisetu/ answers in API Setu's form for every other path or
// method (url_not_found, not net/http's text 404 or 405) and for a caller
// over serve's per-address rate (service_unavailable, not text 429).
func (s *Server) Mount() {
	s.cfg.Docs.Handle(Route, s)
	s.cfg.Docs.Handle("/apisetu/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.metrics.count("unknown", OutcomeNotFound)
		writeError(w, errURLNotFound)
	}))
	s.cfg.Docs.SetLimitedReply("/apisetu/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.metrics.count("unknown", OutcomeLimited)
		writeError(w, errRateLimited)
	}))
}

// request is the JSON body of a certificate request.
type request struct {
	TxnID      *string           `json:"txnId"`
	Format     *string           `json:"format"`
	Params     map[string]param  `json:"certificateParameters"`
	Artifact   *consent.Artifact `json:"consentArtifact"`
	artifact   artifactRef       // Artifact with its cache key, when there is one (readArtifact)
	params     map[string]string // search keys by the profile's names
	holder     map[string]string // FullName, DOB, UID
	clientID   string
	requester  Requester
	profile    xmlschema.PullProfile
	receivedAt time.Time
}

// ServeHTTP answers one certificate request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, e := s.admit(w, r)
	if e != nil {
		if req != nil && req.Artifact != nil {
			// A refused use all the same: the holder's audit shows it.
			s.record(r.Context(), req, nil, "", 0, "refused: "+e.code)
		}
		s.metrics.count(req.clientLabel(), outcomeOf(*e))
		writeError(w, *e)
		return
	}
	outcome, body, ctype, e := s.serve(r.Context(), req)
	s.metrics.count(req.clientID, outcome)
	if e != nil {
		writeError(w, *e)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-APISETU-TXNID", *req.TxnID)
	httpserve.WriteWhole(w, http.StatusOK, body)
}

func (r *request) clientLabel() string {
	if r == nil || r.requester.ID == "" {
		return "unknown"
	}
	return r.requester.ID
}

// admit authenticates the client, checks the DocType and reads the body.
// On failure req may be nil (the client is unknown).
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (*request, *apiError) {
	ctx := r.Context()
	id, key := r.Header.Get(ClientIDHeader), r.Header.Get(APIKeyHeader)
	rq, err := s.authenticate(ctx, id, key)
	if err != nil {
		if !errors.Is(err, errUnauthenticated) {
			s.cfg.Logger.Error("apisetu: reading the client failed", "err", err.Error())
			return nil, &errInternal
		}
		s.cfg.Logger.Warn("apisetu: authentication failed", "client", clip(id, 64))
		return nil, &errAuthentication
	}
	req := &request{clientID: rq.ID, requester: rq, receivedAt: s.cfg.Now()}
	if !s.limits.allow(rq) {
		return req, &errRateLimited
	}
	prof, ok := s.cfg.Docs.Profile(r.PathValue("doctype"))
	if !ok {
		return req, &errURLNotFound
	}
	req.profile = prof
	// The body is read and decoded before the DocType check, so that the
	// audit entry of a refusal has its consent's id; the answers keep
	// their order (a DocType not allowed is refused whatever the body).
	body, rerr := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var perr *apiError
	if rerr == nil {
		perr = req.parse(body)
	}
	if len(rq.DocTypes) > 0 && !containsFold(rq.DocTypes, prof.DocType) {
		s.cfg.Logger.Warn("apisetu: DocType not allowed to the client", "client", rq.ID, "doctype", prof.DocType)
		return req, &errAuthorization
	}
	if rerr != nil {
		var mbe *http.MaxBytesError
		if errors.As(rerr, &mbe) {
			return req, &errTooLarge
		}
		return req, &errInvalidParameter
	}
	if perr != nil {
		return req, perr
	}
	if e := req.readArtifact(s.artifacts); e != nil {
		return req, e
	}
	if *req.Format == "pdf" && !s.cfg.Docs.HasPDF() {
		s.cfg.Logger.Warn("apisetu: format pdf asked of a server that renders no PDFs (fonts or signing key)", "client", rq.ID)
		return req, &errInvalidFormat // a format this publisher does not offer
	}
	return req, nil
}

var errUnauthenticated = errors.New("unknown client, revoked client or wrong key")

// authenticate finds the client and checks its key in constant time; an
// unknown id costs the same comparison as a wrong key.
func (s *Server) authenticate(ctx context.Context, id, key string) (Requester, error) {
	if id == "" || key == "" || len(id) > 128 || len(key) > 1024 {
		keyMatches(key, unknownHash)
		return Requester{}, errUnauthenticated
	}
	rq, err := s.clients.requester(ctx, id)
	switch {
	case errors.Is(err, repository.ErrNotFound):
		keyMatches(key, unknownHash)
		return Requester{}, errUnauthenticated
	case err != nil:
		return Requester{}, err
	}
	if !keyMatches(key, rq.KeyHash) || !rq.RevokedAt.IsZero() {
		return Requester{}, errUnauthenticated
	}
	return rq, nil
}

// parse decodes the body and checks the parameters' presence and form.
func (req *request) parse(body []byte) *apiError {
	if err := json.Unmarshal(body, req); err != nil {
		return typeErrorPair(err)
	}
	if req.TxnID == nil || req.Format == nil || req.Params == nil {
		return &errMissingParameter
	}
	if !consent.IsUUID(*req.TxnID) {
		return &errInvalidTxnID
	}
	switch *req.Format {
	case "xml", "pdf", "json":
	default:
		return &errInvalidFormat
	}
	given := map[string]string{}
	for k, p := range req.Params {
		if !p.ok {
			return &errInvalidParameter
		}
		given[strings.ToLower(k)] = strings.TrimSpace(p.s)
	}
	req.params, req.holder = map[string]string{}, map[string]string{}
	for _, k := range req.profile.SearchKeys {
		v := given[strings.ToLower(req.profile.APIName(k))]
		if v == "" {
			v = given[strings.ToLower(k)]
		}
		if v == "" {
			return &errMissingParameter
		}
		req.params[k] = v
	}
	if len(req.profile.SearchKeys) == 0 {
		return &errMissingParameter // a DocType searched by UID alone has no API parameters
	}
	for _, k := range []string{xmlschema.HolderFullName, xmlschema.HolderDOB, xmlschema.HolderUID} {
		v := given[strings.ToLower(k)]
		if v == "" && req.profile.Policy.Requires(k) {
			return &errMissingParameter
		}
		if v != "" {
			req.holder[k] = v
		}
	}
	return nil
}

// typeErrorPair is the answer to a body json.Unmarshal refused: the
// pair of the member whose type was wrong when it has one (a txnId or
// format that is not a string is not in their form; a consentArtifact
// that is not the object is a consent that is invalid), otherwise Bad
// request.
func typeErrorPair(err error) *apiError {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		switch {
		case te.Field == "txnId":
			return &errInvalidTxnID
		case te.Field == "format":
			return &errInvalidFormat
		case te.Field == "consentArtifact" || strings.HasPrefix(te.Field, "consentArtifact."):
			return &errAuthorization
		}
	}
	return &errInvalidParameter
}

// readArtifact reads the consentId of the request's consent artifact, if
// it has one, before its signature is checked: a malformed one is answered
// 400 invalid_consentid, as API Setu does. An artifact that verified
// before gives it from arts.
func (req *request) readArtifact(arts *artifactCache) *apiError {
	if req.Artifact == nil {
		return nil
	}
	r := refOf(req.Artifact)
	r.id, r.hasID = arts.consentID(r)
	req.artifact = r
	if r.hasID && !consent.IsUUID(r.id) {
		return &errInvalidConsentID
	}
	return nil
}

// param is a certificate parameter as text: ok when it was a JSON string,
// a number (its literal) or null (the empty string), the forms API Setu's
// requesters send.
type param struct {
	s  string
	ok bool
}

// UnmarshalJSON reads a string without escapes (the usual parameter, a
// roll number or a name in ASCII) and a number straight from its bytes;
// anything else as encoding/json reads a string or a json.Number. It is
// only ever called by json.Unmarshal, which has checked that b is one
// JSON value: neither fast path checks it again.
func (p *param) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) >= 2 && b[0] == '"' && plainASCII(b[1:len(b)-1]):
		p.s, p.ok = string(b[1:len(b)-1]), true
	case len(b) > 0 && (b[0] == '-' || b[0] >= '0' && b[0] <= '9'):
		p.s, p.ok = string(b), true // Unmarshal checked that it is a number
	default:
		var s string
		p.ok = json.Unmarshal(b, &s) == nil // null leaves s empty
		p.s = s
	}
	return nil
}

// plainASCII reports whether a string's JSON text needs no decoding: no
// escape and nothing beyond ASCII (which encoding/json would check as
// UTF-8).
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
