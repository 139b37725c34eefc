package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// readRequest reads, authenticates and parses a request. On failure it has
// written the reply and returns nil. The HMAC is checked over the raw
// bytes before anything in them is parsed: an unauthenticated request
// costs one bounded read and nothing more, and its 401 echoes nothing of
// it. forget, when not nil, undoes the request's replay record, for an
// answer that did not serve it (a 5xx): the locker's retry, byte for byte
// the same, is then served.
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request, kind string) (req *xmlschema.Request, forget func()) {
	buf := bodyBuffers.get()
	defer bodyBuffers.put(buf)
	if n := r.ContentLength; n > 0 && n <= MaxBody {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead free to read the end
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, MaxBody))
	// Nothing keeps body past this call: the parsed request copies what
	// it holds, so the buffer goes back to the pool.
	body := buf.Bytes()
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.reply(w, http.StatusRequestEntityTooLarge, kind, nil, "0", nil)
			return nil, nil
		}
		s.reply(w, http.StatusBadRequest, kind, nil, "0", nil)
		return nil, nil
	}
	if !s.bodies.Verify(body, r.Header.Get(xmlschema.HMACHeader)) {
		s.reply(w, http.StatusUnauthorized, kind, nil, "0", nil)
		return nil, nil
	}
	req, err = xmlschema.ParseRequest(body)
	if err != nil {
		s.reply(w, http.StatusBadRequest, kind, nil, "0", nil)
		return nil, nil
	}
	// keyhash (keyHash): present and empty, as in the v1.13 template, or
	// absent is fine; a non-empty wrong one is refused.
	if req.KeyHash != "" && !xmlschema.VerifyKeyHash(string(s.cfg.APIKey), req.TS, req.KeyHash) {
		s.reply(w, http.StatusUnauthorized, kind, echoOnly(req), "0", nil)
		return nil, nil
	}
	if s.cfg.OrgID != "" && req.OrgID != s.cfg.OrgID {
		s.cfg.Logger.Warn("request refused", "reason", "orgId is not the configured one")
		s.reply(w, http.StatusUnauthorized, kind, echoOnly(req), "0", nil)
		return nil, nil
	}
	// The rate limit comes before the replay check: a request refused
	// with 429 is not recorded, so the locker's retry is served.
	if !s.limits.allowOrg(req.OrgID) {
		w.Header().Set("Retry-After", "1")
		s.reply(w, http.StatusTooManyRequests, kind, echoOnly(req), "0", nil)
		return nil, nil
	}
	forget, err = s.checkReplay(r.Context(), req, body)
	if err != nil {
		s.cfg.Logger.Warn("request refused", "reason", err.Error())
		code := http.StatusUnauthorized
		if errors.Is(err, errReplayUnchecked) || errors.Is(err, errReplayFull) {
			// The shared replay log is unreachable, or the cache is at
			// its bound: a server fault, to be retried, not an
			// authentication failure.
			code = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", "1")
		}
		s.reply(w, code, kind, echoOnly(req), "0", nil)
		return nil, nil
	}
	return req, forget
}

// echoOnly keeps only ts and txn of a request that failed authentication.
func echoOnly(req *xmlschema.Request) *xmlschema.Request {
	if req == nil {
		return nil
	}
	return &xmlschema.Request{Kind: req.Kind, TS: req.TS, Txn: req.Txn}
}

// found is a document that matched a request.
type found struct {
	doc repository.Document
	obj *object
	pdf *object // when the request asked for format pdf or both
	// message, when set, goes into the reply's ResponseMessage.
	message string
}

// errPending is a request's document that matched but is held until its
// release (Status 9: "record known but document not yet issued").
type errPending struct {
	doctype string
	at      time.Time
}

func (e errPending) Error() string { return "held until " + e.at.UTC().Format(time.RFC3339) }

// pendingMessage tells a locker (and, through it, the holder) when to ask again.
func pendingMessage(at time.Time) string {
	return "The document is not issued yet: it is released on " +
		at.In(xmlschema.IST).Format("02-01-2006 at 15:04 IST") + "; ask again then"
}

// pull handles Pull URI and Pull Doc, which differ only in how they find
// the document.
func (s *Server) pull(kind string, lookup func(context.Context, *xmlschema.Request) (*found, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req, forget := s.readRequest(w, r, kind)
		if req == nil {
			return
		}
		if req.Format == "pdf" && s.cfg.PDF == nil {
			s.reply(w, http.StatusOK, kind, req, "0",
				&found{message: "PDF documents are not available from this repository; ask for format xml"})
			return
		}
		// A request without a format gets both, as the spec's versions
		// disagree: the PDF (DocContent) the older ones send it, and
		// DataContent, mandatory since v1.12. Without a PDF renderer,
		// "both" and no format are answered with the XML alone.
		wantPDF := s.cfg.PDF != nil && (req.Format == "pdf" || req.Format == "both" || req.Format == "")
		f, err := lookup(r.Context(), req)
		if err == nil && wantPDF {
			f.pdf, err = s.renderPDF(f)
		}
		if code := s.answer(r.Context(), w, kind, req, f, err); code >= 500 && forget != nil {
			forget()
		}
	}
}

func clipTxn(t string) string {
	if len(t) > 64 {
		return t[:64]
	}
	return t
}

// answer replies to a request with its document or its failure, and
// returns the HTTP status it sent.
func (s *Server) answer(ctx context.Context, w http.ResponseWriter, kind string, req *xmlschema.Request, f *found, err error) int {
	if err != nil {
		return s.answerFailure(w, kind, req, err)
	}
	// No document leaves without its audit entry queued.
	org := req.OrgID
	if len(org) > 64 {
		org = org[:64]
	}
	if !s.audit.add(ctx, repository.AuditEntry{Actor: "api:" + org, Action: repository.AuditPull, URI: f.doc.URI,
		Version: f.doc.Version, Reason: kind + " txn " + clipTxn(req.Txn)}) {
		s.reply(w, http.StatusServiceUnavailable, kind, req, "0", nil)
		return http.StatusServiceUnavailable
	}
	s.metrics.served.WithLabelValues(f.doc.DocType).Inc()
	s.reply(w, http.StatusOK, kind, req, "1", f)
	return http.StatusOK
}

// answerFailure replies to a request whose document was not served, and
// returns the HTTP status it sent.
func (s *Server) answerFailure(w http.ResponseWriter, kind string, req *xmlschema.Request, err error) int {
	var pending errPending
	switch {
	case errors.As(err, &pending):
		s.metrics.pending.WithLabelValues(pending.doctype).Inc()
		// Status 9 is Pull URI's: Pull Doc's Status is 1 or 0 (API Setu's
		// issuer description), so its pending answer is 0 with the same
		// message.
		status := "9"
		if kind == "PullDoc" {
			status = "0"
		}
		s.reply(w, http.StatusOK, kind, req, status, &found{message: pendingMessage(pending.at)})
	case errors.Is(err, repository.ErrNotFound):
		// HTTP 200: DigiLocker reads the Status, as real issuers answer.
		s.reply(w, http.StatusOK, kind, req, "0", nil)
	default:
		s.cfg.Logger.Error("pull failed", "kind", kind, "err", err.Error())
		s.reply(w, http.StatusInternalServerError, kind, req, "0", nil)
		return http.StatusInternalServerError
	}
	return http.StatusOK
}

// lookup finds the document of a Pull URI request: by the profile's search
// parameters, or by UID when the request carries none of them; then applies
// the DocType's pull policy. A miss and a mismatch are the same
// ErrNotFound.
func (s *Server) lookup(ctx context.Context, req *xmlschema.Request) (*found, error) {
	doctype := field(req, "DocType")
	if xmlschema.ValidateDocType(doctype) != nil {
		return nil, repository.ErrNotFound
	}
	prof := s.pullProfile(doctype)
	key, ok := searchKey(req, prof)
	if !ok {
		return nil, repository.ErrNotFound
	}
	uidHash := s.uidHash(field(req, xmlschema.HolderUID))
	var doc repository.Document
	var err error
	switch {
	case key != "":
		doc, err = s.cfg.Catalog.FindBySearchKey(ctx, doctype, key)
	case uidHash != "":
		doc, err = s.cfg.Catalog.FindByUID(ctx, doctype, uidHash)
	default:
		return nil, repository.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.matchAndRead(ctx, req, doc, uidHash, prof.Policy, true)
}

// lookupURI finds the document of a Pull Doc request by its URI; name, DOB
// and UID are matched when the request carries them.
func (s *Server) lookupURI(ctx context.Context, req *xmlschema.Request) (*found, error) {
	u, err := xmlschema.ParseURI(field(req, "URI"))
	if err != nil || u.IssuerID != s.cfg.IssuerID {
		return nil, repository.ErrNotFound
	}
	doc, err := s.cfg.Catalog.Current(ctx, u.String())
	if err != nil {
		return nil, err
	}
	pol := s.pullProfile(doc.DocType).Policy
	return s.matchAndRead(ctx, req, doc, s.uidHash(field(req, xmlschema.HolderUID)), pol, false)
}

// matchAndRead applies the pull policy to doc: in a Pull URI request
// (required) the policy's required holder fields must be present; every
// present field the policy matches must match. Only a request that matched
// at least one holder field learns that a record is held (Status 9): one
// that found it by search keys or URI alone gets the not-found answer.
func (s *Server) matchAndRead(ctx context.Context, req *xmlschema.Request, doc repository.Document, uidHash string, pol xmlschema.PullPolicy, required bool) (*found, error) {
	if doc.Status != xmlschema.StatusActive {
		return nil, repository.ErrNotFound
	}
	matched := 0
	for _, name := range []string{xmlschema.HolderFullName, xmlschema.HolderDOB, xmlschema.HolderUID} {
		v := field(req, name)
		if v == "" {
			if required && pol.Requires(name) {
				s.missingHolderField(doc.DocType, name)
				return nil, repository.ErrNotFound
			}
			continue
		}
		if !pol.Matches(name) {
			continue
		}
		switch name {
		case xmlschema.HolderFullName:
			if !namesMatch(v, doc.HolderName, pol.Initials) {
				return nil, repository.ErrNotFound
			}
			matched++
		case xmlschema.HolderDOB:
			if !DatesMatch(v, doc.HolderDOB) {
				return nil, repository.ErrNotFound
			}
			matched++
		case xmlschema.HolderUID:
			if doc.UIDHash == "" {
				continue // a record without an Aadhaar: nothing to compare
			}
			if uidHash != doc.UIDHash {
				return nil, repository.ErrNotFound
			}
			matched++
		}
	}
	if doc.Held(time.Now()) {
		if matched == 0 {
			return nil, repository.ErrNotFound
		}
		return nil, errPending{doctype: doc.DocType, at: doc.ReleaseAt}
	}
	obj, err := s.document(ctx, doc)
	if err != nil {
		return nil, err
	}
	return &found{doc: doc, obj: obj}, nil
}

// missingHolderField counts a Pull URI that found a record but lacked a
// field its pull policy requires, and says so in the log once per DocType
// and field: DigiLocker sends FullName and DOB only when the issuer opts
// for them in its API configuration, and without them every pull of that
// DocType answers not found, which nothing else would explain.
func (s *Server) missingHolderField(doctype, name string) {
	s.metrics.missing.WithLabelValues(doctype, name).Inc()
	if _, told := s.toldMissing.LoadOrStore(doctype+"\x00"+name, true); !told {
		s.cfg.Logger.Warn("Pull URI requests lack a holder field the DocType's pull policy requires; they are answered as not found. "+
			"Have DigiLocker send it (the issuer's API configuration), or change the profile's pull policy",
			"doctype", doctype, "field", name)
	}
}

// document returns doc's current version, from the object cache or read
// from the store and checked against the catalog's hash.
func (s *Server) document(ctx context.Context, doc repository.Document) (*object, error) {
	if obj, ok := s.objects.get(signedXML, doc.ObjectSHA256); ok {
		return obj, nil
	}
	data, err := repository.GetVerified(ctx, s.cfg.Store, doc)
	if err != nil {
		return nil, err
	}
	obj := newDocument(data)
	s.objects.put(signedXML, doc.ObjectSHA256, obj)
	return obj, nil
}

var (
	md5Hex     = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)
	aadhaarRaw = regexp.MustCompile(`^[0-9]{12}$`)
)

// uidHash turns a request's UID — the MD5 hex of the Aadhaar (v1.13) or the
// raw number (older versions) — into the catalog's lookup hash.
func (s *Server) uidHash(uid string) string {
	switch {
	case md5Hex.MatchString(uid):
		return s.cfg.Keyring.LookupHashFromMD5(uid)
	case aadhaarRaw.MatchString(uid):
		return s.cfg.Keyring.LookupHash(uid)
	}
	return ""
}

// NamesMatch is the default name policy: equal after normalizing case,
// spacing and dots ("MEERA  NAIR." matches "Meera Nair").
func NamesMatch(given, record string) bool { return namesMatch(given, record, false) }

// NamesMatchInitials is NamesMatch where, in addition, a one-letter word
// matches a word it is the initial of, in either direction ("A. K. Sharma"
// matches "Anil Kumar Sharma"): a profile's pull policy "initials: true".
func NamesMatchInitials(given, record string) bool { return namesMatch(given, record, true) }

// namesMatch compares the words of given and record (split at spaces and
// dots) in order, ignoring case, without allocating: it runs on every pull.
func namesMatch(given, record string, initials bool) bool {
	for n := 0; ; n++ {
		var x, y string
		x, given = nextWord(given)
		y, record = nextWord(record)
		if x == "" || y == "" {
			return x == y && n > 0
		}
		if !upperEqual(x, y) && !(initials && (initialOf(x, y) || initialOf(y, x))) {
			return false
		}
	}
}

func isNameSep(r rune) bool { return r == '.' || unicode.IsSpace(r) }

// nextWord returns the first word of s and what follows it.
func nextWord(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, isNameSep)
	if i := strings.IndexFunc(s, isNameSep); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

// upperEqual reports whether x and y are equal once upper-cased rune by
// rune (what strings.ToUpper would make of them).
func upperEqual(x, y string) bool {
	for x != "" && y != "" {
		r1, n1 := utf8.DecodeRuneInString(x)
		r2, n2 := utf8.DecodeRuneInString(y)
		if r1 != r2 && unicode.ToUpper(r1) != unicode.ToUpper(r2) {
			return false
		}
		x, y = x[n1:], y[n2:]
	}
	return x == "" && y == ""
}

// initialOf reports whether x is one letter, the initial of y.
func initialOf(x, y string) bool {
	r1, n := utf8.DecodeRuneInString(x)
	r2, _ := utf8.DecodeRuneInString(y)
	return n == len(x) && unicode.ToUpper(r1) == unicode.ToUpper(r2)
}

// DatesMatch compares a request's date of birth (DD-MM-YYYY, DD/MM/YYYY or
// YYYY-MM-DD) with the record's DD-MM-YYYY.
func DatesMatch(given, record string) bool {
	g, ok1 := parseDate(given)
	r, ok2 := parseDate(record)
	return ok1 && ok2 && g.Equal(r)
}

func parseDate(s string) (time.Time, bool) {
	for _, l := range []string{"02-01-2006", "02/01/2006", "2006-01-02"} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// reply writes a PullURIResponse or PullDocResponse. f, when it has data,
// adds the person, the URI and the document; the rest of the body has the
// same shape whatever the outcome.
func (s *Server) reply(w http.ResponseWriter, code int, kind string, req *xmlschema.Request, status string, f *found) {
	b := replyBuffers.get()
	defer replyBuffers.put(b)
	ts, txn := "", ""
	if req != nil {
		ts, txn = req.TS, req.Txn
	}
	b.WriteString(xml.Header)
	b.WriteString(`<`)
	b.WriteString(kind)
	b.WriteString(`Response xmlns:ns2="http://tempuri.org/"><ResponseStatus Status="`)
	b.WriteString(status)
	b.WriteString(`" ts="`)
	escape(b, ts)
	b.WriteString(`" txn="`)
	escape(b, txn)
	b.WriteString(`">`)
	b.WriteString(status)
	b.WriteString(`</ResponseStatus>`)
	if req != nil && req.Kind != "" {
		b.WriteString("<DocDetails>")
		if kind == "PullURI" {
			prof := s.pullProfile(field(req, "DocType"))
			for _, fd := range req.Details {
				if echoed(fd.Name, prof) {
					elem(b, fd.Name, strings.TrimSpace(fd.Value))
				}
			}
		}
		if f != nil && f.obj != nil {
			if kind == "PullURI" {
				b.Write(f.obj.issued)
				elem(b, "URI", f.doc.URI)
			}
			if f.pdf != nil {
				elemText(b, "DocContent", f.pdf.b64)
			}
			if req.Format != "pdf" {
				elemText(b, "DataContent", dataContent(f.obj, req.Format))
			}
		}
		b.WriteString("</DocDetails>")
	}
	if f != nil && f.message != "" {
		elem(b, "ResponseMessage", f.message)
	}
	b.WriteString("</")
	b.WriteString(kind)
	b.WriteString("Response>")
	h := w.Header()
	h["Content-Type"], h["Cache-Control"] = xmlContentType, noStore
	h["Content-Length"] = []string{strconv.Itoa(b.Len())} // the canonical key as it is: no Set's canonicalizing
	httpserve.WriteWhole(w, code, b.Bytes())
}

// The header values every reply has, shared rather than allocated for each
// (a header's value is never changed in place, only replaced).
var (
	xmlContentType = []string{"application/xml; charset=utf-8"}
	noStore        = []string{"no-store"}
)

// bufferPool recycles buffers up to a capacity: allocating (and zeroing)
// a request's body and a reply, which carries the whole document, for
// every request is a good part of the garbage a busy server makes.
type bufferPool struct {
	p      sync.Pool
	maxCap int // a larger buffer is not worth keeping
}

// get returns an empty buffer.
func (bp *bufferPool) get() *bytes.Buffer {
	if b, ok := bp.p.Get().(*bytes.Buffer); ok {
		b.Reset()
		return b
	}
	return new(bytes.Buffer)
}

func (bp *bufferPool) put(b *bytes.Buffer) {
	if b.Cap() <= bp.maxCap {
		bp.p.Put(b)
	}
}

var (
	bodyBuffers  = bufferPool{maxCap: 64 << 10} // a request with a photo is not the usual one
	replyBuffers = bufferPool{maxCap: 1 << 20}  // nor is a PDF reply
)

// dataContent is the base64 DataContent of obj in the requested format:
// the signed XML, or its JSON view (xmlschema.ToJSON), which is what
// requesters would otherwise convert the XML into themselves.
func dataContent(obj *object, format string) []byte {
	if format != "json" {
		return obj.b64
	}
	raw, err := obj.raw()
	if err != nil {
		return obj.b64
	}
	j, err := xmlschema.MarshalJSONDocument(raw)
	if err != nil {
		return obj.b64
	}
	return base64.StdEncoding.AppendEncode(nil, j)
}

// elemText writes text that needs no escaping (base64).
func elemText(b *bytes.Buffer, name string, text []byte) {
	openTag(b, name)
	b.Write(text)
	closeTag(b, name)
}

func elem(b *bytes.Buffer, name, value string) {
	openTag(b, name)
	escape(b, value)
	closeTag(b, name)
}

// openTag and closeTag write <name> and </name> piece by piece: joining the
// strings first allocated on every element of every reply.
func openTag(b *bytes.Buffer, name string) {
	b.WriteByte('<')
	b.WriteString(name)
	b.WriteByte('>')
}

func closeTag(b *bytes.Buffer, name string) {
	b.WriteString("</")
	b.WriteString(name)
	b.WriteByte('>')
}

// escape writes s as XML text, as xml.EscapeText does, without its
// conversion and copying for the usual value that needs no escaping.
func escape(b *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			xml.EscapeText(b, []byte(s))
			return
		}
	}
	b.WriteString(s)
}

// issuedTo renders the signed document's Person (see personTag) as Pull
// URI's IssuedTo/Persons/Person (name, dob, gender, phone), once per cached
// version. A document without one gives nil.
func issuedTo(p *etree.Element) []byte {
	if p == nil {
		return nil
	}
	var b bytes.Buffer
	b.WriteString("<IssuedTo><Persons><Person")
	for _, a := range []string{"name", "dob", "gender", "phone"} {
		v := p.SelectAttrValue(a, "")
		if a == "gender" {
			v = genderWord(v)
		}
		b.WriteString(" " + a + `="`)
		xml.EscapeText(&b, []byte(v))
		b.WriteString(`"`)
	}
	b.WriteString("/></Persons></IssuedTo>")
	return b.Bytes()
}

// personTag parses the signed document's IssuedTo/Person start tag alone,
// not the whole document: the documents are the ones this repository
// signed, so the tag is found by its position. Its end is the first '>'
// outside a quoted attribute value (canonical attribute values keep a
// '>' unescaped: a motherName "A>B" once cut the tag short, and the reply
// lost IssuedTo). A document without one gives nil.
func personTag(data []byte) *etree.Element {
	i := bytes.Index(data, []byte("<IssuedTo><Person "))
	if i < 0 {
		return nil
	}
	tag := data[i+len("<IssuedTo>"):]
	j := tagEnd(tag)
	if j < 0 {
		return nil
	}
	tag = tag[:j+1]
	if !bytes.HasSuffix(tag, []byte("/>")) {
		tag = append(append([]byte{}, tag...), "</Person>"...)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(tag); err != nil || doc.Root() == nil {
		return nil
	}
	return doc.Root()
}

// tagEnd is the index of the '>' that ends the start tag tag begins with,
// skipping quoted attribute values, or -1.
func tagEnd(tag []byte) int {
	var quote byte
	for j, c := range tag {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return j
		}
	}
	return -1
}
