package api

import (
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// Verification is what the /verify page tells about a document to whoever
// holds its link with the token (VerifyLink): no personal data beyond the
// name's initials.
type Verification struct {
	URI        string `json:"uri"`
	Issuer     string `json:"issuer"`
	IssuerID   string `json:"issuer_id"`
	DocType    string `json:"doctype"`
	DocName    string `json:"doc_name"`
	Status     string `json:"status"`
	StatusText string `json:"status_text"`
	Valid      bool   `json:"valid"`
	IssueDate  string `json:"issue_date"`
	Version    int    `json:"version"`
	Name       string `json:"name_masked"`
	// History lists every version: when it was made and with which status.
	History []VersionInfo `json:"history"`
}

// VersionInfo is one version on the /verify page.
type VersionInfo struct {
	Version    int    `json:"version"`
	Status     string `json:"status"`
	StatusText string `json:"status_text"`
	Date       string `json:"date"` // YYYY-MM-DD, UTC
}

var statusText = map[xmlschema.Status]string{
	xmlschema.StatusActive: "Active", xmlschema.StatusExpired: "Expired",
	xmlschema.StatusRevoked: "Revoked", xmlschema.StatusSuspended: "Suspended",
}

// MaskName keeps the initials: "Aarav Sharma" → "A. S.". It shows neither
// how long a word is nor how many letters the name has.
func MaskName(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		words[i] = string(r) + "."
	}
	return strings.Join(words, " ")
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	u, err := xmlschema.ParseURI(r.PathValue("uri"))
	var doc repository.Document
	// Without the document's token the page is the unknown document's,
	// before the catalog is asked: a DocID alone (a roll number and a
	// year) tells nothing, not even by timing.
	if err == nil && u.IssuerID == s.cfg.IssuerID && validToken(s.cfg.VerifyKey, u.String(), r.URL.Query().Get("k")) {
		doc, err = s.cfg.Catalog.Current(r.Context(), u.String())
	} else {
		err = repository.ErrNotFound
	}
	if err == nil && doc.Held(time.Now()) {
		err = repository.ErrNotFound // not public yet: as if unknown
	}
	if errors.Is(err, repository.ErrNotFound) {
		s.verifyReply(w, wantJSON, http.StatusNotFound, nil)
		return
	}
	if err != nil {
		s.cfg.Logger.Error("verify failed", "err", err.Error())
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	v := &Verification{URI: doc.URI, Issuer: s.cfg.IssuerName, IssuerID: s.cfg.IssuerID, DocType: doc.DocType,
		Status: string(doc.Status), StatusText: statusText[doc.Status], Valid: doc.Status == xmlschema.StatusActive,
		IssueDate: doc.IssueDate, Version: doc.Version, Name: MaskName(doc.HolderName)}
	hist, err := s.cfg.Catalog.History(r.Context(), doc.URI)
	if err != nil {
		s.cfg.Logger.Error("verify: history", "err", err.Error())
	}
	for _, h := range hist {
		v.History = append(v.History, VersionInfo{Version: h.Version, Status: string(h.Status), StatusText: statusText[h.Status],
			Date: h.CreatedAt.UTC().Format("2006-01-02")})
	}
	// The page is what a QR code on a printed marksheet opens: the
	// document comes through the same cache as the lockers' pulls.
	obj, err := s.document(r.Context(), doc)
	if err != nil {
		s.cfg.Logger.Error("verify: document unreadable", "err", err.Error())
		v.Valid, v.StatusText = false, "Unavailable"
	} else {
		v.DocName = obj.name
	}
	s.verifyReply(w, wantJSON, http.StatusOK, v)
}

func (s *Server) verifyReply(w http.ResponseWriter, wantJSON bool, code int, v *Verification) {
	w.Header().Set("Cache-Control", "no-store")
	if wantJSON {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if v == nil {
			json.NewEncoder(w).Encode(map[string]string{"error": "no such document"})
			return
		}
		json.NewEncoder(w).Encode(v)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(code)
	verifyPage.Execute(w, struct {
		V      *Verification
		Issuer string
	}{v, s.cfg.IssuerName})
}

var verifyPage = template.Must(template.New("verify").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .V}}{{.V.DocName}} — verification{{else}}Document not found{{end}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;color:#222}
.card{border:1px solid #ddd;border-radius:8px;padding:1.5rem}.ok{color:#106b21}.bad{color:#a4161a}
dt{font-weight:600;margin-top:.6rem}dd{margin:0}</style></head><body>
{{if .V}}<div class="card"><h1 class="{{if .V.Valid}}ok{{else}}bad{{end}}">{{if .V.Valid}}✔ Genuine and active{{else}}✘ {{.V.StatusText}}{{end}}</h1>
<dl><dt>Issued by</dt><dd>{{.V.Issuer}} ({{.V.IssuerID}})</dd>
<dt>Document</dt><dd>{{.V.DocName}} ({{.V.DocType}})</dd>
<dt>Issued to</dt><dd>{{.V.Name}}</dd>
<dt>Issue date</dt><dd>{{.V.IssueDate}}</dd>
<dt>Status</dt><dd>{{.V.StatusText}}, version {{.V.Version}}</dd>
<dt>Document URI</dt><dd><code>{{.V.URI}}</code></dd>
<dt>History</dt><dd>{{range .V.History}}version {{.Version}}: {{.StatusText}} from {{.Date}}<br>{{end}}</dd></dl></div>
{{else}}<div class="card"><h1 class="bad">Document not found</h1><p>{{.Issuer}} has no document with this address.</p></div>{{end}}
</body></html>
`))
