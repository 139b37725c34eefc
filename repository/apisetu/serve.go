package apisetu

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// Outcomes of a request, the label of the requests metric.
const (
	OutcomeGranted    = "granted"
	OutcomeRefused    = "refused"   // the consent broke a rule (401)
	OutcomeNotFound   = "not_found" // 404 record_not_found
	OutcomeBadRequest = "bad_request"
	OutcomeDenied     = "unauthenticated" // 401 invalid_authentication, or the DocType not allowed
	OutcomeLimited    = "rate_limited"
	OutcomeError      = "error"
)

func outcomeOf(e apiError) string {
	switch {
	case e == errRateLimited:
		return OutcomeLimited
	case e.status == 401:
		return OutcomeDenied
	case e.status >= 500:
		return OutcomeError
	case e == errURLNotFound:
		return OutcomeNotFound
	}
	return OutcomeBadRequest
}

// serve checks the consent, finds the document and renders it. The rules
// that need no document come first, so a refused consent reads nothing;
// then the lookup, whose misses all take the same path; then the holder,
// the rendering and the count of uses, committed with the granted
// request's audit entry.
func (s *Server) serve(ctx context.Context, req *request) (outcome string, body []byte, ctype string, e *apiError) {
	var g *grant
	if !req.requester.NoConsent {
		var rule *consent.RuleError
		var err error
		if req.Artifact == nil {
			rule = refuse(RuleMissing, "the request has no consentArtifact")
		} else if g, rule, err = s.checkArtifact(ctx, req.clientID, req.profile, req.artifact, req.receivedAt); err != nil {
			return s.fail(ctx, req, g, "", err)
		}
		if rule != nil {
			return s.refused(ctx, req, g, "", rule)
		}
	}
	cert, err := s.cfg.Docs.FindCertificate(ctx, req.profile.DocType, req.params, req.holder)
	if errors.Is(err, repository.ErrNotFound) {
		s.record(ctx, req, g, "", 0, "not found")
		return OutcomeNotFound, nil, "", &errRecordNotFound
	}
	if err != nil {
		return s.fail(ctx, req, g, "", err)
	}
	if g != nil {
		if rule := s.checkHolder(g, cert); rule != nil {
			return s.refused(ctx, req, g, cert.Doc.URI, rule)
		}
	}
	// Rendered before the use is counted, so that a use counted is a
	// document served.
	body, ctype, err = s.render(cert, *req.Format)
	if err != nil {
		return s.fail(ctx, req, g, cert.Doc.URI, err)
	}
	granted := s.entry(req, g, cert.Doc.URI, cert.Doc.Version, "granted, format "+*req.Format)
	if g == nil {
		// No document leaves without its audit entry queued.
		if !s.cfg.Docs.QueueAudit(ctx, granted) {
			return OutcomeError, nil, "", &errInternal
		}
		return OutcomeGranted, body, ctype, nil
	}
	// The use and its audit entry are committed before the document leaves.
	f := g.c.Permission.Frequency
	ok, uses, err := s.uses.record(ctx, repository.ConsentUse{ConsentID: g.c.ConsentID, Since: g.since, At: req.receivedAt, Limit: f.Repeats}, granted)
	if err != nil {
		return s.fail(ctx, req, g, cert.Doc.URI, err)
	}
	if !ok {
		return s.refused(ctx, req, g, cert.Doc.URI, refuse(RuleRepeats,
			fmt.Sprintf("%d of %d uses per %d %s already made", uses, f.Repeats, f.Value, strings.ToUpper(f.Unit))))
	}
	return OutcomeGranted, body, ctype, nil
}

func (s *Server) render(cert *api.Certificate, format string) ([]byte, string, error) {
	switch format {
	case "pdf":
		b, err := s.cfg.Docs.CertificatePDF(cert)
		return b, "application/pdf", err
	case "json":
		b, err := s.cfg.Docs.CertificateJSON(cert)
		return b, "application/json", err
	}
	b, err := s.cfg.Docs.CertificateXML(cert)
	return b, "application/xml", err
}

func (s *Server) refused(ctx context.Context, req *request, g *grant, uri string, rule *consent.RuleError) (string, []byte, string, *apiError) {
	s.record(ctx, req, g, uri, 0, "refused: consent rule "+string(rule.Rule)+": "+rule.Detail)
	s.cfg.Logger.Warn("apisetu: consent refused", "client", req.clientID, "rule", string(rule.Rule))
	return OutcomeRefused, nil, "", &errAuthorization
}

func (s *Server) fail(ctx context.Context, req *request, g *grant, uri string, err error) (string, []byte, string, *apiError) {
	s.cfg.Logger.Error("apisetu: request failed", "client", req.clientID, "err", err.Error())
	s.record(ctx, req, g, uri, 0, "failed: internal error")
	return OutcomeError, nil, "", &errInternal
}

// txnOf is the request's txnId, or "-" when it sent none.
func txnOf(req *request) string {
	if req.TxnID == nil {
		return "-"
	}
	return *req.TxnID
}

// record queues the request's audit entry (see entry).
func (s *Server) record(ctx context.Context, req *request, g *grant, uri string, version int, what string) bool {
	return s.cfg.Docs.QueueAudit(ctx, s.entry(req, g, uri, version, what))
}

// entry is the request's audit entry: the client, the consent id and
// purpose, the URI and what happened. It never holds the user's Aadhaar
// number or mobile, nor the signature.
func (s *Server) entry(req *request, g *grant, uri string, version int, what string) repository.AuditEntry {
	id, purpose := "", ""
	switch {
	case g != nil:
		id, purpose = g.c.ConsentID, g.c.Purpose.Description
		if u, err := xmlschema.ParseURI(g.c.Data.ID); uri == "" && err == nil && u.IssuerID == s.cfg.IssuerID {
			uri = u.String() // a refused consent for one document: in its audit
		}
	case req.Artifact != nil && !req.requester.NoConsent:
		// Refused before its signature held: its id and document, unverified,
		// so the holder's audit shows the attempt.
		var data string
		id, data = unverified(req.Artifact.Consent)
		if u, err := xmlschema.ParseURI(data); uri == "" && err == nil && u.IssuerID == s.cfg.IssuerID {
			uri = u.String()
		}
	}
	return repository.AuditEntry{Actor: "apisetu:" + req.clientID,
		Action: AuditAPISetu, URI: uri, Version: version, Reason: what + "; txn " + clip(txnOf(req), 64),
		ConsentID: clip(id, 64), Purpose: clip(purpose, 200)}
}
