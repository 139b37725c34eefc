package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/prometheus/client_golang/prometheus"
)

// This file is what the API Setu certificate API (repository/apisetu)
// takes from the repository API: the same search by profile keys, pull
// policy, document cache, PDF rendering and batched audit log as Pull URI,
// so the two ways to a document cannot drift apart.

// Certificate is a document found for a certificate request.
type Certificate struct {
	Doc repository.Document
	obj *object
}

// Phone is the holder's mobile number as the signed document's
// Person/@phone carries it ("" when it has none).
func (c *Certificate) Phone() string { return c.obj.phone }

// Profile returns the pull profile the server answers doctype with; ok is
// false when doctype is none of the configured DocTypes. doctype is
// matched ignoring case, and the profile's DocType is its own spelling.
func (s *Server) Profile(doctype string) (xmlschema.PullProfile, bool) {
	if p, ok := s.profiles[doctype]; ok {
		return p, true
	}
	for d, p := range s.profiles {
		if strings.EqualFold(d, doctype) {
			return p, true
		}
	}
	return xmlschema.PullProfile{}, false
}

// FindCertificate finds the current document of doctype whose search keys
// are params (by the profile's names) and applies the pull policy to the
// holder fields given (FullName, DOB, UID: 12 digits or their MD5), as
// Pull URI does. Unknown,
// mismatched, revoked, suspended and held documents are all
// repository.ErrNotFound.
func (s *Server) FindCertificate(ctx context.Context, doctype string, params, holder map[string]string) (*Certificate, error) {
	req := &xmlschema.Request{Details: make([]xmlschema.Field, 0, len(params)+len(holder)+1)}
	req.Details = append(req.Details, xmlschema.Field{Name: "DocType", Value: doctype})
	for k, v := range params {
		req.Details = append(req.Details, xmlschema.Field{Name: k, Value: v})
	}
	for k, v := range holder {
		if k == xmlschema.HolderFullName || k == xmlschema.HolderDOB || k == xmlschema.HolderUID {
			req.Details = append(req.Details, xmlschema.Field{Name: k, Value: v})
		}
	}
	f, err := s.lookup(ctx, req)
	var pending errPending
	if errors.As(err, &pending) {
		return nil, repository.ErrNotFound // held: not to be told to a requester
	}
	if err != nil {
		return nil, err
	}
	return &Certificate{Doc: f.doc, obj: f.obj}, nil
}

// ErrNoPDF is returned by CertificatePDF when the server renders no PDFs.
var ErrNoPDF = errors.New("PDF documents are not available from this repository")

// HasPDF reports whether the server renders signed PDFs.
func (s *Server) HasPDF() bool { return s.cfg.PDF != nil }

// CertificateXML returns c's signed Certificate XML. The bytes returned
// are shared: the caller must not change them.
func (s *Server) CertificateXML(c *Certificate) ([]byte, error) {
	return s.keptDecoded(plainXML, c.Doc.ObjectSHA256, c.obj.raw)
}

// CertificatePDF returns c's signed PDF, rendered once per version. The
// bytes returned are shared: the caller must not change them.
func (s *Server) CertificatePDF(c *Certificate) ([]byte, error) {
	if s.cfg.PDF == nil {
		return nil, ErrNoPDF
	}
	return s.keptDecoded(plainPDF, c.Doc.ObjectSHA256, func() ([]byte, error) {
		o, err := s.renderPDF(&found{doc: c.Doc, obj: c.obj})
		if err != nil {
			return nil, err
		}
		return o.raw()
	})
}

// CertificateJSON returns c as JSON: the mapping of `get --format json`.
// The bytes returned are shared: the caller must not change them.
func (s *Server) CertificateJSON(c *Certificate) ([]byte, error) {
	return s.keptDecoded(plainJSON, c.Doc.ObjectSHA256, func() ([]byte, error) {
		raw, err := c.obj.raw()
		if err != nil {
			return nil, err
		}
		return xmlschema.MarshalJSONDocument(raw)
	})
}

// keptDecoded returns the form kind of the document whose hash is sha
// from the object cache, or makes it and keeps it: a requester's
// certificate is not decoded from base64 (or converted) for every request.
// The cache is content-addressed, so a kept form is never stale.
func (s *Server) keptDecoded(kind objectKind, sha string, build func() ([]byte, error)) ([]byte, error) {
	if o, ok := s.objects.get(kind, sha); ok {
		return o.plain, nil
	}
	b, err := build()
	if err != nil {
		return nil, err
	}
	s.objects.put(kind, sha, &object{plain: b})
	return b, nil
}

// QueueAudit queues e for the batched audit log, as a pull's entry is. It
// reports false, having queued nothing, when ctx ended or the server is
// closing: the caller must not serve the document then.
func (s *Server) QueueAudit(ctx context.Context, e repository.AuditEntry) bool {
	return s.audit.add(ctx, e)
}

// AppendAudit writes entries to the audit log at once, in one
// transaction of the catalog the queued entries go to: for the entries a
// reply must wait for.
func (s *Server) AppendAudit(ctx context.Context, entries []repository.AuditEntry) error {
	return s.cfg.Catalog.AppendAudit(ctx, entries)
}

// Registry is the registry the server's metrics are in.
func (s *Server) Registry() *prometheus.Registry { return s.cfg.Registry }

// Handle adds a route to the API, behind its access log, metrics and
// per-address rate limit.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }
