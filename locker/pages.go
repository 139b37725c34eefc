package locker

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// The citizen's pages: the same flows as the JSON API, server-rendered
// (html/template, no script, no CDN). Every form carries a CSRF token that
// must equal the lk_csrf cookie (double submit), and the whole locker sits
// behind net/http's cross-origin protection.

const csrfCookie = "lk_csrf"

func (s *Server) routePages() {
	s.mux.HandleFunc("GET /{$}", s.pageHome)
	s.mux.HandleFunc("GET /signin", s.pageSignIn)
	s.mux.HandleFunc("POST /signin", s.form(s.postSignIn))
	s.mux.HandleFunc("POST /signin/verify", s.form(s.postVerify))
	s.mux.HandleFunc("POST /logout", s.form(s.postLogout))
	s.mux.HandleFunc("GET /aadhaar", s.page(s.pageAadhaar))
	s.mux.HandleFunc("POST /aadhaar", s.form(s.page(s.postAadhaar)))
	s.mux.HandleFunc("GET /issuers", s.page(s.pageIssuers))
	s.mux.HandleFunc("POST /pull", s.form(s.page(s.postPull)))
	s.mux.HandleFunc("GET /issued", s.page(s.pageIssued))
	s.mux.HandleFunc("GET /issued/{uri}", s.page(s.pageDocument))
	s.mux.HandleFunc("GET /activity", s.page(s.pageActivity))
	s.mux.HandleFunc("GET /consent/{id}", s.page(s.pageConsent))
	s.mux.HandleFunc("POST /consent/{id}", s.form(s.page(s.postConsent)))
}

// view is what every page template gets.
type view struct {
	Title   string
	CSRF    string
	Citizen *Citizen
	Error   string
	// Field, when set, is the id of the input (or form) Error is about:
	// the page shows it there, not at the top.
	Field  string
	Notice string
	Data   any
}

// ErrorAt is the error to show at the input or form with this id.
func (v view) ErrorAt(id string) string {
	if v.Field == id {
		return v.Error
	}
	return ""
}

// at places msg at the input or form id, without its "field: "
// prefix, which the input's label says already.
func (v view) at(id string, msg string) view {
	if _, rest, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, id+":") && rest != "" {
		msg = strings.ToUpper(rest[:1]) + rest[1:]
	}
	v.Field, v.Error = id, msg
	return v
}

// fieldOf is the sign-in input an error code is about, or "".
func fieldOf(code string) string { return signInFields[code] }

var signInFields = map[string]string{"invalid_mobile": "mobile", "invalid_otp": "otp", "invalid_pin": "pin"}

// csrfToken returns r's CSRF cookie, setting a new one when it has none.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(csrfCookie); err == nil && len(ck.Value) >= 20 {
		return ck.Value
	}
	b := make([]byte, 24)
	rand.Read(b)
	tok := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteStrictMode})
	return tok
}

// form wraps a form POST: a bounded body whose csrf field equals the
// CSRF cookie, else 403.
func (s *Server) form(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		ck, err := r.Cookie(csrfCookie)
		perr := r.ParseForm()
		var mbe *http.MaxBytesError
		if errors.As(perr, &mbe) {
			http.Error(w, "the form is larger than 64 KiB", http.StatusRequestEntityTooLarge)
			return
		}
		// A token is never short (csrfToken makes them), so an empty
		// cookie (one planted by a sibling site) with an empty field fails.
		if perr != nil || err != nil || len(ck.Value) < 20 ||
			subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(ck.Value)) != 1 {
			http.Error(w, "the form's security token is missing or wrong: reload the page and try again", http.StatusForbidden)
			return
		}
		h(w, r)
	}
}

// page wraps a page that needs a signed-in citizen: without one, the
// sign-in page, coming back here after.
func (s *Server) page(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := s.signedInCitizen(r)
		if c == nil {
			next := r.URL.Path
			if r.Method != http.MethodGet {
				next = "/issued"
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		h(w, r.WithContext(withCitizen(r.Context(), c)))
	}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, v view) {
	v.CSRF = s.csrfToken(w, r)
	if v.Citizen == nil {
		v.Citizen = citizenOf(r.Context())
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'")
	w.WriteHeader(code)
	if err := pages.ExecuteTemplate(w, name, v); err != nil {
		s.log.Error("page", "name", name, "err", err)
	}
}

// safeNext keeps a post-sign-in redirect on this site: a path of this
// site (with its query), or /issued. A browser drops tabs and newlines
// from a Location and reads a backslash as a slash, so "/\t/evil.example"
// or "/\\evil.example" would leave the site; any control character,
// space or backslash is refused, and what is left must parse as a bare
// path that does not start with "//".
func safeNext(next string) string {
	const fallback = "/issued"
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return fallback
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return fallback
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return fallback
	}
	return next
}

func (s *Server) pageHome(w http.ResponseWriter, r *http.Request) {
	if s.signedInCitizen(r) != nil {
		http.Redirect(w, r, "/issued", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

type signInData struct{ Mobile, Next string }

func (s *Server) pageSignIn(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signin", view{Title: "Sign in", Data: signInData{Next: safeNext(r.URL.Query().Get("next"))}})
}

func (s *Server) postSignIn(w http.ResponseWriter, r *http.Request) {
	d := signInData{Mobile: strings.TrimSpace(r.PostFormValue("mobile")), Next: safeNext(r.PostFormValue("next"))}
	if e := s.sendOTP(r.Context(), d.Mobile); e != nil {
		s.render(w, r, e.Code, "signin", view{Title: "Sign in", Data: d}.at(fieldOf(e.Err), e.Message))
		return
	}
	s.render(w, r, http.StatusOK, "otp", view{Title: "Enter the OTP", Notice: "An OTP was sent to " + d.Mobile + ". It is valid for 10 minutes.", Data: d})
}

func (s *Server) postVerify(w http.ResponseWriter, r *http.Request) {
	d := signInData{Mobile: strings.TrimSpace(r.PostFormValue("mobile")), Next: safeNext(r.PostFormValue("next"))}
	if _, e := s.signIn(w, r, d.Mobile, r.PostFormValue("otp"), r.PostFormValue("pin")); e != nil {
		s.render(w, r, e.Code, "otp", view{Title: "Enter the OTP", Data: d}.at(fieldOf(e.Err), e.Message))
		return
	}
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (s *Server) postLogout(w http.ResponseWriter, r *http.Request) {
	s.signOut(w, r)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// aadhaarData is what the Link Aadhaar form shows again after an error:
// the name and date of birth as typed (not the number).
type aadhaarData struct{ Name, DOB string }

func (s *Server) pageAadhaar(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "aadhaar", view{Title: "Link Aadhaar", Data: aadhaarData{}})
}

func (s *Server) postAadhaar(w http.ResponseWriter, r *http.Request) {
	c := citizenOf(r.Context())
	d := aadhaarData{Name: r.PostFormValue("name"), DOB: strings.TrimSpace(r.PostFormValue("dob"))}
	err := s.cfg.Store.LinkAadhaar(r.Context(), c.ID, strings.TrimSpace(r.PostFormValue("aadhaar")), d.Name, d.DOB, s.cfg.Now())
	if err != nil {
		v := view{Title: "Link Aadhaar", Data: d, Error: err.Error()}
		for _, id := range []string{"aadhaar", "name", "dob"} {
			if strings.HasPrefix(v.Error, id+":") {
				v = v.at(id, v.Error)
				break
			}
		}
		s.render(w, r, http.StatusBadRequest, "aadhaar", v)
		return
	}
	http.Redirect(w, r, "/issuers", http.StatusSeeOther)
}

func (s *Server) pageIssuers(w http.ResponseWriter, r *http.Request) {
	d, err := s.cfg.Store.Directory(r.Context())
	if err != nil {
		s.render(w, r, http.StatusInternalServerError, "message", view{Title: "Issuers", Error: s.internal("issuers", err).Message})
		return
	}
	s.render(w, r, http.StatusOK, "issuers", view{Title: "Issuers", Data: d})
}

func (s *Server) postPull(w http.ResponseWriter, r *http.Request) {
	params := map[string]string{}
	for k, v := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "p."); ok && len(v) > 0 {
			params[name] = v[0]
		}
	}
	res, e := s.pull(r.Context(), citizenOf(r.Context()), r.PostFormValue("issuer"), r.PostFormValue("doctype"), params)
	if e != nil {
		d, _ := s.cfg.Store.Directory(r.Context())
		v := view{Title: "Issuers", Error: e.Message, Data: d}
		// Beside the form that was sent, when the page has it.
		issuer, doctype := r.PostFormValue("issuer"), r.PostFormValue("doctype")
		for _, is := range d {
			for _, dt := range is.DocTypes {
				if is.ID == issuer && dt.DocType == doctype {
					v.Field = pullFormID(issuer, doctype)
				}
			}
		}
		s.render(w, r, e.Code, "issuers", v)
		return
	}
	if res.Status == "pending" {
		s.render(w, r, http.StatusAccepted, "message", view{Title: "Not issued yet", Notice: res.Message})
		return
	}
	http.Redirect(w, r, "/issued/"+url.PathEscape(res.URI), http.StatusSeeOther)
}

func (s *Server) pageIssued(w http.ResponseWriter, r *http.Request) {
	docs, err := s.cfg.Store.IssuedTo(r.Context(), citizenOf(r.Context()))
	if err != nil {
		s.render(w, r, http.StatusInternalServerError, "message", view{Title: "Issued Documents", Error: s.internal("issued", err).Message})
		return
	}
	s.render(w, r, http.StatusOK, "issued", view{Title: "Issued Documents", Data: docs})
}

// docView is the document page's content.
type docView struct {
	Held      Held
	Verified  string
	Title     string
	Number    string
	IssueDate string
	Status    string
	Holder    string
	DOB       string
	Subjects  [][]string
	VerifyURL string
}

var statusNames = map[string]string{"A": "Active", "E": "Expired", "R": "Revoked", "S": "Suspended"}

func (s *Server) pageDocument(w http.ResponseWriter, r *http.Request) {
	f, e := s.fetchHeld(r.Context(), citizenOf(r.Context()), r.PathValue("uri"), "xml")
	if e != nil {
		s.render(w, r, e.Code, "message", view{Title: "Document", Error: e.Message})
		return
	}
	v := docView{Held: f.Held, Verified: f.Verified}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(f.Signed); err == nil && doc.Root() != nil {
		root := doc.Root()
		v.Title, v.Number, v.IssueDate = root.SelectAttrValue("name", ""), root.SelectAttrValue("number", ""), root.SelectAttrValue("issueDate", "")
		v.Status = statusNames[root.SelectAttrValue("status", "")]
		if p := root.FindElement("IssuedTo/Person"); p != nil {
			v.Holder, v.DOB = p.SelectAttrValue("name", ""), p.SelectAttrValue("dob", "")
		}
		for _, sub := range root.FindElements(".//Subject") {
			v.Subjects = append(v.Subjects, []string{sub.SelectAttrValue("name", ""), sub.SelectAttrValue("marksTotal", ""),
				sub.SelectAttrValue("marksMax", ""), sub.SelectAttrValue("grade", "")})
		}
	}
	if is, err := s.cfg.Store.Issuer(r.Context(), f.Held.Issuer); err == nil {
		v.VerifyURL = strings.TrimSuffix(strings.TrimSuffix(is.PullURL, "/pulldoc"), "/digilocker") + "/verify/" + f.Held.URI
	}
	s.render(w, r, http.StatusOK, "document", view{Title: v.Title, Data: v})
}

func (s *Server) pageActivity(w http.ResponseWriter, r *http.Request) {
	a, err := s.cfg.Store.ActivityOf(r.Context(), citizenOf(r.Context()).ID)
	if err != nil {
		s.render(w, r, http.StatusInternalServerError, "message", view{Title: "Activity", Error: s.internal("activity", err).Message})
		return
	}
	s.render(w, r, http.StatusOK, "activity", view{Title: "Activity", Data: activityRows(a)})
}

// pullFormID is the id of the Issuers page's form for one DocType.
func pullFormID(issuer, doctype string) string { return "pull-" + issuer + "-" + doctype }

// activityRow is an activity entry as the page shows it: the time in IST
// and the action in words (the JSON API keeps the names and RFC 3339).
type activityRow struct {
	At, When, What, Detail string
}

// activityWords are the page's words for the actions Record is given.
var activityWords = map[string]string{
	"signup":          "Locker created",
	"signin":          "Signed in",
	"signin_failed":   "Sign-in refused",
	"aadhaar_linked":  "Aadhaar linked",
	"pull":            "Searched an issuer",
	"view":            "Opened a document",
	"document_shared": "Document shared",
	"consent_granted": "Consent given",
	"consent_denied":  "Consent refused",
}

func activityRows(a []Activity) []activityRow {
	rows := make([]activityRow, len(a))
	for i, e := range a {
		rows[i] = activityRow{At: e.At, When: e.At, What: e.Action, Detail: e.Detail}
		if t, err := time.Parse(time.RFC3339, e.At); err == nil {
			rows[i].When = t.In(xmlschema.IST).Format("2 Jan 2006, 15:04 IST")
		}
		if w, ok := activityWords[e.Action]; ok {
			rows[i].What = w
		}
	}
	return rows
}

// consentView is the consent screen's content.
type consentView struct {
	Session *ConsentSession
	Names   map[string]string // DocType → the names issuers give it
	Held    map[string]bool   // DocTypes the citizen holds
	Until   string
}

func (s *Server) pageConsent(w http.ResponseWriter, r *http.Request) {
	cs, err := s.cfg.Store.ConsentSession(r.Context(), r.PathValue("id"), s.cfg.Now())
	if errors.Is(err, ErrNotFound) {
		s.render(w, r, http.StatusNotFound, "message", view{Title: "Consent", Error: "No such consent request."})
		return
	}
	if err != nil {
		s.render(w, r, http.StatusInternalServerError, "message", view{Title: "Consent", Error: s.internal("consent", err).Message})
		return
	}
	if cs.Status != StatusPending {
		s.render(w, r, http.StatusConflict, "message", view{Title: "Consent", Error: "This request is " + cs.Status + ": nothing to decide."})
		return
	}
	cv := consentView{Session: cs, Names: map[string]string{}, Held: map[string]bool{}, Until: s.cfg.AccessTTL.String()}
	if dir, err := s.cfg.Store.Directory(r.Context()); err == nil {
		for _, d := range dir {
			for _, dt := range d.DocTypes {
				cv.Names[dt.DocType] = dt.Name
			}
		}
	}
	if docs, err := s.cfg.Store.IssuedTo(r.Context(), citizenOf(r.Context())); err == nil {
		for _, h := range docs {
			cv.Held[h.DocType] = true
		}
	}
	s.render(w, r, http.StatusOK, "consent", view{Title: "Share documents with " + cs.Requester.Name, Data: cv})
}

func (s *Server) postConsent(w http.ResponseWriter, r *http.Request) {
	cs, e := s.decide(r.Context(), citizenOf(r.Context()), r.PathValue("id"), r.PostFormValue("decision") == "grant")
	if e != nil {
		s.render(w, r, e.Code, "message", view{Title: "Consent", Error: e.Message})
		return
	}
	s.render(w, r, http.StatusOK, "decided", view{Title: "Consent " + cs.Status, Data: template.URL(redirectWith(cs))})
}
