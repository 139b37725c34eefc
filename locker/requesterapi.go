package locker

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

const requesterKey ctxKey = 1

// requester wraps a requester route: x-api-key and Authorization (the
// requester's id) must name a registered requester, else 401.
func (s *Server) requester(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := strings.TrimSpace(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		rq, err := s.cfg.Store.AuthRequester(r.Context(), id, r.Header.Get("x-api-key"))
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				s.log.Error("requester auth", "err", err)
			}
			writeErr(w, newErr(http.StatusUnauthorized, "unauthorized", "unknown requester or wrong x-api-key"))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r.WithContext(context.WithValue(r.Context(), requesterKey, rq)))
	}
}

func requesterOf(ctx context.Context) *Requester {
	r, _ := ctx.Value(requesterKey).(*Requester)
	return r
}

// baseURL is where citizens reach this locker.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimSuffix(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) apiSessionInit(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Flow        string   `json:"flow"`
		DocTypes    []string `json:"doc_types"`
		RedirectURL string   `json:"redirect_url"`
		Purpose     string   `json:"purpose"`
	}
	if e := readJSON(w, r, &in); e != nil {
		writeErr(w, e)
		return
	}
	if in.Flow != "signin" && in.Flow != "signup" {
		writeErr(w, newErr(http.StatusBadRequest, "invalid_parameter", "flow: signin or signup"))
		return
	}
	cs, err := s.cfg.Store.OpenSession(r.Context(), requesterOf(r.Context()), in.DocTypes, in.Purpose, in.RedirectURL, s.cfg.Now())
	if err != nil {
		writeErr(w, newErr(http.StatusBadRequest, "invalid_parameter", "%s", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"session_id": cs.ID, "authorization_url": s.baseURL(r) + "/consent/" + cs.ID})
}

// ownSession returns the session named in the path if the calling
// requester opened it: 404 for an unknown id, 403 for another's.
func (s *Server) ownSession(r *http.Request) (*ConsentSession, *apiError) {
	cs, err := s.cfg.Store.ConsentSession(r.Context(), r.PathValue("id"), s.cfg.Now())
	if errors.Is(err, ErrNotFound) {
		return nil, newErr(http.StatusNotFound, "not_found", "no such session")
	}
	if err != nil {
		return nil, s.internal("session", err)
	}
	if cs.Requester.ID != requesterOf(r.Context()).ID {
		return nil, newErr(http.StatusForbidden, "forbidden", "this session belongs to another requester")
	}
	return cs, nil
}

func (s *Server) apiSessionStatus(w http.ResponseWriter, r *http.Request) {
	cs, e := s.ownSession(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"session_id": cs.ID, "status": cs.Status, "doc_types": cs.DocTypes})
}

func (s *Server) apiSessionDocument(w http.ResponseWriter, r *http.Request) {
	cs, e := s.ownSession(r)
	if e != nil {
		writeErr(w, e)
		return
	}
	dt := strings.ToUpper(r.PathValue("doc_type"))
	switch {
	case cs.Status == StatusPending:
		e = newErr(http.StatusConflict, "consent_pending", "the citizen has not decided yet")
	case cs.Status == StatusFailed:
		e = newErr(http.StatusForbidden, "consent_denied", "the citizen denied consent")
	case cs.Status == StatusExpired:
		e = newErr(http.StatusForbidden, "session_expired", "this session has expired")
	case !slices.Contains(cs.DocTypes, dt):
		e = newErr(http.StatusForbidden, "doc_type_not_granted", "the consent does not cover %s", clipTS(dt))
	}
	if e != nil {
		writeErr(w, e)
		return
	}
	doc, e := s.share(r.Context(), cs, dt)
	if e != nil {
		writeErr(w, e)
		return
	}
	writeJSON(w, http.StatusOK, doc)
}

// redirectWith is where the citizen goes after deciding: the requester's
// redirect URL with the session id and its status.
func redirectWith(cs *ConsentSession) string {
	u, err := url.Parse(cs.RedirectURL)
	if err != nil {
		return cs.RedirectURL
	}
	q := u.Query()
	q.Set("session_id", cs.ID)
	q.Set("status", cs.Status)
	u.RawQuery = q.Encode()
	return u.String()
}
