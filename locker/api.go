package locker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
)

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// routeAPI adds the citizens' and requesters' JSON API.
func (s *Server) routeAPI() {
	s.mux.HandleFunc("POST /api/auth/otp", s.apiOTP)
	s.mux.HandleFunc("POST /api/auth/verify", s.apiVerify)
	s.mux.HandleFunc("POST /api/auth/logout", s.apiLogout)
	s.mux.HandleFunc("GET /api/issuers", s.apiIssuers)
	s.mux.HandleFunc("GET /api/me", s.me(s.apiMe))
	s.mux.HandleFunc("POST /api/me/aadhaar", s.me(s.apiAadhaar))
	s.mux.HandleFunc("POST /api/me/pull", s.me(s.apiPull))
	s.mux.HandleFunc("GET /api/me/issued", s.me(s.apiIssued))
	s.mux.HandleFunc("GET /api/me/issued/{uri}", s.me(s.apiDocument))
	s.mux.HandleFunc("GET /api/me/activity", s.me(s.apiActivity))
	s.mux.HandleFunc("POST /api/me/consents", s.me(s.apiConsent))
	s.mux.HandleFunc("POST /kyc/digilocker/sessions/init", s.requester(s.apiSessionInit))
	s.mux.HandleFunc("GET /kyc/digilocker/sessions/{id}/status", s.requester(s.apiSessionStatus))
	s.mux.HandleFunc("GET /kyc/digilocker/sessions/{id}/documents/{doc_type}", s.requester(s.apiSessionDocument))
	// Anything else under the JSON prefixes is answered in JSON too.
	for _, prefix := range []string{"/api/", "/kyc/"} {
		s.mux.HandleFunc(prefix, func(w http.ResponseWriter, r *http.Request) {
			writeErr(w, newErr(http.StatusNotFound, "not_found", "no such route for %s (docs/http.md lists them)", r.Method))
		})
	}
}

func writeErr(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, e.Code, map[string]string{"error": e.Err, "message": e.Message})
}

// readJSON decodes one JSON object of at most maxJSONBody bytes into v.
// A POST must say application/json: a form a foreign page posts cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) *apiError {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return newErr(http.StatusUnsupportedMediaType, "unsupported_media_type", "send the body as Content-Type: application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJSONBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return newErr(http.StatusRequestEntityTooLarge, "body_too_large", "the body is larger than 1 MiB")
	}
	if err != nil {
		return newErr(http.StatusBadRequest, "bad_request", "could not read the body")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return newErr(http.StatusBadRequest, "malformed_json", "the body is not the JSON object this route takes")
	}
	if dec.More() {
		return newErr(http.StatusBadRequest, "malformed_json", "the body holds more than one JSON value")
	}
	return nil
}

type ctxKey int

const citizenKey ctxKey = 0

func citizenOf(ctx context.Context) *Citizen { c, _ := ctx.Value(citizenKey).(*Citizen); return c }

func withCitizen(ctx context.Context, c *Citizen) context.Context {
	return context.WithValue(ctx, citizenKey, c)
}

// signedInCitizen returns the citizen of r's session cookie, or nil.
func (s *Server) signedInCitizen(r *http.Request) *Citizen {
	ck, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	id, err := s.cfg.Store.Session(r.Context(), ck.Value, s.cfg.Now(), s.cfg.IdleTimeout)
	if err != nil {
		if !errors.Is(err, ErrNoSession) {
			s.log.Error("session", "err", err)
		}
		return nil
	}
	c, err := s.cfg.Store.Citizen(r.Context(), id)
	if err != nil {
		return nil
	}
	return c
}

// me wraps a citizen route: 401 without a live session.
func (s *Server) me(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.signedInCitizen(r)
		if c == nil {
			writeErr(w, newErr(http.StatusUnauthorized, "unauthorized", "sign in first (POST /api/auth/otp, then /api/auth/verify)"))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r.WithContext(context.WithValue(r.Context(), citizenKey, c)))
	}
}

func (s *Server) apiOTP(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Mobile string `json:"mobile"`
	}
	if e := readJSON(w, r, &in); e != nil {
		writeErr(w, e)
		return
	}
	if e := s.sendOTP(r.Context(), in.Mobile); e != nil {
		writeErr(w, e)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "sent", "message": "an OTP valid for 10 minutes was sent (issuerkit locker otp reads the sandbox outbox)"})
}

func (s *Server) sendOTP(ctx context.Context, mobile string) *apiError {
	err := s.cfg.Store.SendOTP(ctx, mobile, s.cfg.Now())
	switch {
	case errors.Is(err, ErrTooManyOTPs):
		return newErr(http.StatusTooManyRequests, "too_many_otps", "at most 5 OTPs an hour for one mobile: try later")
	case err != nil && !ValidMobile(NormalizeMobile(mobile)):
		return newErr(http.StatusBadRequest, "invalid_mobile", "mobile: enter the 10-digit mobile number (starting with 6, 7, 8 or 9)")
	case err != nil:
		return s.internal("otp", err)
	}
	return nil
}

// signIn checks the OTP and PIN and sets the session cookie.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, mobile, otp, pin string) (string, *apiError) {
	id, token, err := s.cfg.Store.SignIn(r.Context(), strings.TrimSpace(mobile), strings.TrimSpace(otp), pin, s.cfg.Now())
	switch {
	case errors.Is(err, ErrBadOTP):
		return "", newErr(http.StatusUnauthorized, "invalid_otp", "the OTP is wrong, used or expired")
	case errors.Is(err, ErrBadPIN):
		return "", newErr(http.StatusUnauthorized, "invalid_pin", "the security PIN is wrong")
	case errors.Is(err, ErrNeedPIN):
		return "", newErr(http.StatusBadRequest, "invalid_pin", "the security PIN is 6 digits")
	case err != nil:
		return "", s.internal("sign-in", err)
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure(r),
		SameSite: http.SameSiteLaxMode})
	return id, nil
}

func (s *Server) secure(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https:")
}

func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request) {
	var in struct{ Mobile, OTP, PIN string }
	if e := readJSON(w, r, &in); e != nil {
		writeErr(w, e)
		return
	}
	id, e := s.signIn(w, r, in.Mobile, in.OTP, in.PIN)
	if e != nil {
		writeErr(w, e)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"digilocker_id": id})
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		if err := s.cfg.Store.SignOut(r.Context(), ck.Value); err != nil {
			s.log.Error("sign-out", "err", err)
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) {
	s.signOut(w, r)
	writeJSON(w, http.StatusOK, map[string]string{"status": "signed_out"})
}

func (s *Server) apiIssuers(w http.ResponseWriter, r *http.Request) {
	d, err := s.cfg.Store.Directory(r.Context())
	if err != nil {
		writeErr(w, s.internal("issuers", err))
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, citizenOf(r.Context()))
}

func (s *Server) apiAadhaar(w http.ResponseWriter, r *http.Request) {
	var in struct{ Aadhaar, Name, DOB string }
	if e := readJSON(w, r, &in); e != nil {
		writeErr(w, e)
		return
	}
	c := citizenOf(r.Context())
	if err := s.cfg.Store.LinkAadhaar(r.Context(), c.ID, strings.TrimSpace(in.Aadhaar), in.Name, strings.TrimSpace(in.DOB), s.cfg.Now()); err != nil {
		writeErr(w, newErr(http.StatusBadRequest, "invalid_parameter", "%s", err.Error()))
		return
	}
	c, _ = s.cfg.Store.Citizen(r.Context(), c.ID)
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) apiPull(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Issuer     string            `json:"issuer"`
		DocType    string            `json:"doctype"`
		Parameters map[string]string `json:"parameters"`
	}
	if e := readJSON(w, r, &in); e != nil {
		writeErr(w, e)
		return
	}
	res, e := s.pull(r.Context(), citizenOf(r.Context()), in.Issuer, in.DocType, in.Parameters)
	if e != nil {
		writeErr(w, e)
		return
	}
	code := http.StatusOK
	if res.Status == "pending" {
		code = http.StatusAccepted
	}
	writeJSON(w, code, res)
}

func (s *Server) apiIssued(w http.ResponseWriter, r *http.Request) {
	docs, err := s.cfg.Store.IssuedTo(r.Context(), citizenOf(r.Context()))
	if err != nil {
		writeErr(w, s.internal("issued", err))
		return
	}
	writeJSON(w, http.StatusOK, docs)
}

func (s *Server) apiDocument(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "xml"
	}
	if format != "xml" && format != "json" && format != "pdf" {
		writeErr(w, newErr(http.StatusBadRequest, "invalid_format", "format: xml, json or pdf"))
		return
	}
	f, e := s.fetchHeld(r.Context(), citizenOf(r.Context()), r.PathValue("uri"), format)
	if e != nil {
		writeErr(w, e)
		return
	}
	w.Header().Set("X-Signature-Verified", f.Verified)
	switch format {
	case "pdf":
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(f.PDF)
	case "json":
		b, err := certificateJSON(f.Signed)
		if err != nil {
			writeErr(w, s.internal("json", err))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	default:
		writeXML(w, f.Signed)
	}
}

func (s *Server) apiActivity(w http.ResponseWriter, r *http.Request) {
	a, err := s.cfg.Store.ActivityOf(r.Context(), citizenOf(r.Context()).ID)
	if err != nil {
		writeErr(w, s.internal("activity", err))
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) decide(ctx context.Context, c *Citizen, session string, grant bool) (*ConsentSession, *apiError) {
	cs, err := s.cfg.Store.Decide(ctx, session, c.ID, grant, s.cfg.AccessTTL, s.cfg.Now())
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, newErr(http.StatusNotFound, "not_found", "no such consent session")
	case errors.Is(err, ErrDecided):
		return nil, newErr(http.StatusConflict, "not_pending", "this consent session was decided already or has expired")
	case err != nil:
		return nil, s.internal("consent", err)
	}
	return cs, nil
}

func (s *Server) apiConsent(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SessionID string `json:"session_id"`
		Grant     *bool  `json:"grant"`
	}
	if e := readJSON(w, r, &in); e != nil {
		writeErr(w, e)
		return
	}
	if in.Grant == nil || in.SessionID == "" {
		writeErr(w, newErr(http.StatusBadRequest, "missing_parameter", "session_id and grant (true or false) are required"))
		return
	}
	cs, e := s.decide(r.Context(), citizenOf(r.Context()), in.SessionID, *in.Grant)
	if e != nil {
		writeErr(w, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"session_id": cs.ID, "status": cs.Status, "redirect_url": redirectWith(cs)})
}
