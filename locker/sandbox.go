package locker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// The sandbox's work, shared by the JSON API (api.go) and the pages
// (pages.go): pull by search, fetch a held document, a requester's read.

// apiError is an answer for the citizen or requester: an HTTP status, a
// short code and a human message (never a secret, never a stack).
type apiError struct {
	Code    int
	Err     string
	Message string
}

func (e *apiError) Error() string { return e.Message }

func newErr(code int, short, format string, args ...any) *apiError {
	return &apiError{Code: code, Err: short, Message: fmt.Sprintf(format, args...)}
}

// issuerFailure turns an issuer client's error into the citizen's answer.
func issuerFailure(err error) *apiError {
	switch {
	case errors.Is(err, ErrNoRecord):
		return newErr(http.StatusNotFound, "not_found", "the issuer found no document for these details")
	case errors.Is(err, ErrPending):
		return newErr(http.StatusAccepted, "pending", "%s", err.Error())
	}
	return newErr(http.StatusBadGateway, "issuer_error", "%s", err.Error())
}

// PullResult is what a pull by search gives the citizen.
type PullResult struct {
	URI     string `json:"uri,omitempty"`
	Status  string `json:"status"` // issued or pending
	Message string `json:"message,omitempty"`
}

// checkParams validates a pull's parameters against the DocType's
// declaration: exactly those, each given, short and printable.
func checkParams(dt DocType, params map[string]string) ([]xmlschema.Field, *apiError) {
	var out []xmlschema.Field
	for _, name := range dt.Parameters {
		v := strings.TrimSpace(params[name])
		if v == "" {
			return nil, newErr(http.StatusBadRequest, "missing_parameter", "parameters: %s is required", name)
		}
		if len(v) > 100 || strings.IndexFunc(v, unicode.IsControl) >= 0 {
			return nil, newErr(http.StatusBadRequest, "invalid_parameter", "parameters: %s is not a valid value", name)
		}
		out = append(out, xmlschema.Field{Name: name, Value: v})
	}
	if len(params) != len(dt.Parameters) {
		return nil, newErr(http.StatusBadRequest, "invalid_parameter", "parameters: %s takes exactly %s", dt.DocType, strings.Join(dt.Parameters, ", "))
	}
	return out, nil
}

// pull sends the issuer's Pull URI for a citizen's search, as DigiLocker
// does: DigiLockerId, UID as the MD5 of the linked Aadhaar, FullName and
// DOB from the KYC profile, the parameters.
func (s *Server) pull(ctx context.Context, c *Citizen, issuer, doctype string, params map[string]string) (PullResult, *apiError) {
	if !c.Linked {
		return PullResult{}, newErr(http.StatusConflict, "aadhaar_not_linked", "link your Aadhaar first: issuers match the name and date of birth on it")
	}
	dir, dt, _, err := s.cfg.Store.issuerDocType(ctx, issuer, doctype)
	if errors.Is(err, ErrNotFound) {
		return PullResult{}, newErr(http.StatusNotFound, "unknown_doctype", "issuer %q offers no DocType %q", clipTS(issuer), clipTS(doctype))
	}
	if err != nil {
		return PullResult{}, s.internal("pull", err)
	}
	fields, aerr := checkParams(dt, params)
	if aerr != nil {
		return PullResult{}, aerr
	}
	is, err := s.cfg.Store.Issuer(ctx, issuer)
	if err != nil {
		return PullResult{}, s.internal("pull", err)
	}
	num, err := s.cfg.Store.aadhaarOf(c)
	if err != nil {
		return PullResult{}, s.internal("pull", err)
	}
	now := s.cfg.Now()
	res, err := Search(ctx, s.client, is, SearchRequest{DocType: doctype, DigiLockerID: c.ID, UIDMD5: uidMD5(num),
		FullName: c.Name, DOB: c.DOB, Params: fields}, now)
	what := fmt.Sprintf("%s (%s) from %s", dt.Name, doctype, dir.Name)
	if errors.Is(err, ErrPending) {
		s.cfg.Store.Record(ctx, c.ID, now, "pull", what+": pending at the issuer")
		return PullResult{Status: "pending", Message: issuerFailure(err).Message}, nil
	}
	if err != nil {
		s.cfg.Store.Record(ctx, c.ID, now, "pull", what+": not found")
		s.log.Info("pull by search failed", "issuer", issuer, "doctype", doctype, "err", err)
		return PullResult{}, issuerFailure(err)
	}
	h := Held{URI: res.URI, DocType: doctype, DocName: dt.Name, Issuer: issuer, IssuedOn: issueDate(res.Signed), Source: "pull", params: params}
	if err := s.cfg.Store.recordPull(ctx, c.ID, h, now); err != nil {
		return PullResult{}, s.internal("pull", err)
	}
	s.cfg.Store.Record(ctx, c.ID, now, "pull", what+": "+res.URI+" added to Issued Documents")
	return PullResult{URI: res.URI, Status: "issued"}, nil
}

func (s *Server) internal(what string, err error) *apiError {
	s.log.Error(what, "err", err)
	return newErr(http.StatusInternalServerError, "internal_error", "locker error")
}

// Fetched is a held document fetched from its issuer.
type Fetched struct {
	Held     Held
	Signed   []byte // the signed Certificate XML, what its signature covers
	PDF      []byte // for format pdf
	Verified string // the subject of the certificate that verified it
}

// fetch gets a citizen's held document from its issuer now (Pull Doc),
// its signature verified; format pdf also fetches the printable copy.
func (s *Server) fetchHeld(ctx context.Context, c *Citizen, uri, format string) (Fetched, *apiError) {
	h, err := s.cfg.Store.heldDoc(ctx, c, uri)
	if errors.Is(err, ErrNotFound) {
		return Fetched{}, newErr(http.StatusNotFound, "not_found", "no such document in your locker")
	}
	if err != nil {
		return Fetched{}, s.internal("fetch", err)
	}
	is, err := s.cfg.Store.Issuer(ctx, h.Issuer)
	if err != nil {
		return Fetched{}, newErr(http.StatusBadGateway, "issuer_error", "issuer %s is not registered", h.Issuer)
	}
	f := Fetched{Held: h}
	if format == "pdf" {
		f.Signed, f.PDF, f.Verified, err = PullPDF(ctx, s.client, is, uri, c.ID)
	} else {
		f.Signed, f.Verified, err = Pull(ctx, s.client, is, uri, c.ID)
	}
	if err != nil {
		s.log.Warn("fetch from issuer failed", "issuer", is.ID, "err", err)
		return Fetched{}, issuerFailure(err)
	}
	s.cfg.Store.Record(ctx, c.ID, s.cfg.Now(), "view", fmt.Sprintf("%s %s (%s), signature verified", h.DocName, uri, format))
	return f, nil
}

// SharedDocument is a requester's read of a granted document (seed 004).
type SharedDocument struct {
	URI               string          `json:"uri"`
	DocType           string          `json:"doc_type"`
	Issuer            string          `json:"issuer"`
	SignatureVerified bool            `json:"signature_verified"`
	XML               string          `json:"xml"`
	Data              json.RawMessage `json:"data"`
}

// share reads the citizen's document of doctype for a succeeded session:
// through the issuer's API Setu certificate API with a consent artifact
// when the issuer has one and the document was pulled by search, else
// through Pull Doc.
func (s *Server) share(ctx context.Context, cs *ConsentSession, doctype string) (SharedDocument, *apiError) {
	c, err := s.cfg.Store.Citizen(ctx, cs.Citizen)
	if err != nil {
		return SharedDocument{}, s.internal("share", err)
	}
	docs, err := s.cfg.Store.IssuedTo(ctx, c)
	if err != nil {
		return SharedDocument{}, s.internal("share", err)
	}
	var h *Held
	for i := range docs {
		if docs[i].DocType == doctype {
			h = &docs[i]
			break
		}
	}
	if h == nil {
		return SharedDocument{}, newErr(http.StatusForbidden, "not_held", "the citizen holds no %s document", doctype)
	}
	signed, via, aerr := s.readShared(ctx, c, cs, *h)
	if aerr != nil {
		return SharedDocument{}, aerr
	}
	data, err := certificateJSON(signed)
	if err != nil {
		return SharedDocument{}, s.internal("share", err)
	}
	s.cfg.Store.Record(ctx, c.ID, s.cfg.Now(), "document_shared",
		fmt.Sprintf("%s %s read by %s (%s) through %s", h.DocName, h.URI, cs.Requester.Name, cs.Requester.ID, via))
	return SharedDocument{URI: h.URI, DocType: doctype, Issuer: h.Issuer, SignatureVerified: true,
		XML: base64.StdEncoding.EncodeToString(signed), Data: data}, nil
}

func (s *Server) readShared(ctx context.Context, c *Citizen, cs *ConsentSession, h Held) ([]byte, string, *apiError) {
	is, err := s.cfg.Store.Issuer(ctx, h.Issuer)
	if err != nil {
		return nil, "", newErr(http.StatusBadGateway, "issuer_error", "issuer %s is not registered", h.Issuer)
	}
	_, _, setu, err := s.cfg.Store.issuerDocType(ctx, h.Issuer, h.DocType)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, "", s.internal("share", err)
	}
	if setu.URL == "" || h.Source != "pull" {
		signed, _, err := Pull(ctx, s.client, is, h.URI, c.ID)
		if err != nil {
			return nil, "", issuerFailure(err)
		}
		return signed, "Pull Doc", nil
	}
	cm, _, err := s.cfg.Store.ConsentManager()
	if err != nil {
		return nil, "", s.internal("consent manager", err)
	}
	user := consent.User{IDType: consent.IDMobile, Mobile: c.Mobile}
	if c.Linked {
		num, err := s.cfg.Store.aadhaarOf(c)
		if err != nil {
			return nil, "", s.internal("share", err)
		}
		user = consent.User{IDType: consent.IDAadhaar, IDNumber: num}
	}
	signed, err := ReadSetu(ctx, s.client, cm, SetuRead{Setu: setu, Issuer: is, DocType: h.DocType, URI: h.URI, Params: h.params,
		FullName: c.Name, DOB: c.DOB, User: user, Purpose: cs.Purpose, Until: cs.Expires}, s.cfg.Now())
	if err != nil {
		s.log.Warn("API Setu read failed", "issuer", is.ID, "err", err)
		return nil, "", issuerFailure(err)
	}
	return signed, "the API Setu certificate API", nil
}
