package locker_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// The sandbox's fixture: a locker with a fake issuer that answers Pull URI
// by RollNo+Year (Meera's marksheet, a pending roll, nothing else), Pull
// Doc and an API Setu certificate API that checks the consent artifact; a
// clock the test moves; a requester "bank" and another, "other".

const (
	meeraRoll, meeraYear = "7500003", "2025"
	pendingRoll          = "7500099"
	meeraName, meeraDOB  = "Meera Nair", "11-12-2009"
	meeraURI             = issuer + "-SSCER-75000032025"
	mobile               = "9876543210"
	bankKey, otherKey    = "bank-key-0123456789", "other-key-0123456789"
	setuClient           = "locker-client"
)

type sandbox struct {
	*lockerFixture
	mu       sync.Mutex
	clock    time.Time
	logs     *bytes.Buffer
	lastPull *xmlschema.Request
	setuHits []consent.Consent
	setuErr  string
}

func (f *sandbox) now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.clock }

func (f *sandbox) advance(d time.Duration) { f.mu.Lock(); f.clock = f.clock.Add(d); f.mu.Unlock() }

// pulled is the last Pull URI request the issuer got.
func (f *sandbox) pulled() *xmlschema.Request { f.mu.Lock(); defer f.mu.Unlock(); return f.lastPull }

// setuReads are the consents of the certificate API's good reads, and its
// last refusal.
func (f *sandbox) setuReads() ([]consent.Consent, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]consent.Consent(nil), f.setuHits...), f.setuErr
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	f := &sandbox{clock: time.Now(), logs: &bytes.Buffer{}}
	f.lockerFixture = newLocker(t, f.issuerAPI)
	ctx := context.Background()
	if err := f.store.SetIssuerDirectory(ctx, issuer, "Test Board", []locker.DocType{{DocType: "SSCER", Name: "Class X Marksheet",
		Parameters: []string{"RollNo", "Year"}}}, locker.APISetu{}); err != nil {
		t.Fatal(err)
	}
	for id, k := range map[string]string{"bank": bankKey, "other": otherKey} {
		if err := f.store.AddRequester(ctx, id, "Bank "+id, k, "https://"+id+".example/done"); err != nil {
			t.Fatal(err)
		}
	}
	// The fixture's server has no clock: a second one shares its store.
	f.srv.Close()
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(lockedWriter{&mu, f.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := locker.NewServer(locker.Config{Store: f.store, Now: f.now, Logger: log})
	f.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(func() { f.srv.Close(); srv.Close() })
	return f
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func md5hex(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }

// marksheet is Meera's signed Certificate.
func (f *sandbox) marksheet() []byte {
	doc := etree.NewDocument()
	root := doc.CreateElement("Certificate")
	root.CreateAttr("name", "Class X Marksheet")
	root.CreateAttr("type", "SSCER")
	root.CreateAttr("number", "75000032025")
	root.CreateAttr("issueDate", "15-05-2025")
	root.CreateAttr("status", "A")
	p := root.CreateElement("IssuedTo").CreateElement("Person")
	p.CreateAttr("name", meeraName)
	p.CreateAttr("dob", meeraDOB)
	s := root.CreateElement("CertificateData").CreateElement("Performance").CreateElement("Subjects").CreateElement("Subject")
	s.CreateAttr("name", "Mathematics")
	s.CreateAttr("marksTotal", "67")
	if err := f.signer.Sign(doc); err != nil {
		f.t.Fatal(err)
	}
	b, _ := doc.WriteToBytes()
	return b
}

func reply(w http.ResponseWriter, kind, status string, details string) {
	io.WriteString(w, `<`+kind+`><ResponseStatus Status="`+status+`" ts="" txn="">`+status+`</ResponseStatus><DocDetails>`+details+`</DocDetails></`+kind+`>`)
}

// issuerAPI is the fake issuer: Pull URI, Pull Doc, the certificate API.
func (f *sandbox) issuerAPI(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if strings.HasPrefix(r.URL.Path, "/apisetu/") {
		f.certificateAPI(w, r, body)
		return
	}
	req, err := xmlschema.ParseRequest(body)
	if err != nil || !xmlschema.VerifyBody([]byte(key), body, r.Header.Get(xmlschema.HMACHeader)) || !xmlschema.VerifyKeyHash(key, req.TS, req.KeyHash) {
		http.Error(w, "no", http.StatusUnauthorized)
		return
	}
	data := `<DataContent>` + base64.StdEncoding.EncodeToString(f.marksheet()) + `</DataContent>`
	switch r.URL.Path {
	case "/digilocker/pulluri":
		f.mu.Lock()
		f.lastPull = req
		f.mu.Unlock()
		switch {
		case req.Get("RollNo") == pendingRoll:
			reply(w, "PullURIResponse", "9", "")
		case req.Get("RollNo") == meeraRoll && req.Get("Year") == meeraYear && req.Get("FullName") == meeraName &&
			req.Get("DOB") == meeraDOB && req.Get("UID") == md5hex(alice):
			reply(w, "PullURIResponse", "1", `<URI>`+meeraURI+`</URI>`+data)
		default:
			reply(w, "PullURIResponse", "0", "")
		}
	case "/digilocker/pulldoc":
		pdf := `<DocContent>` + base64.StdEncoding.EncodeToString([]byte("%PDF-1.7 marksheet")) + `</DocContent>`
		reply(w, "PullDocResponse", "1", data+pdf)
	default:
		http.NotFound(w, r)
	}
}

// certificateAPI checks what the locker sends as API Setu's certificate
// API does: the client, the artifact's signature and rules, the parameters.
func (f *sandbox) certificateAPI(w http.ResponseWriter, r *http.Request, body []byte) {
	fail := func(code int, e string) {
		f.mu.Lock()
		f.setuErr = e
		f.mu.Unlock()
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(map[string]string{"error": e, "errorDescription": e})
	}
	if r.URL.Path != "/apisetu/sscer/certificate" || r.Header.Get("X-APISETU-CLIENTID") != setuClient || r.Header.Get("X-APISETU-APIKEY") != "setu-key" {
		fail(401, "invalid_authentication")
		return
	}
	var in struct {
		TxnID    string            `json:"txnId"`
		Format   string            `json:"format"`
		Params   map[string]string `json:"certificateParameters"`
		Artifact consent.Artifact  `json:"consentArtifact"`
	}
	if err := json.Unmarshal(body, &in); err != nil || !consent.IsUUID(in.TxnID) || in.Format != "xml" {
		fail(400, "invalid_parameter")
		return
	}
	_, cmPEM, err := f.store.ConsentManager()
	if err != nil {
		fail(500, "internal_server_error")
		return
	}
	pub, _ := consent.PublicKeyFromPEM(cmPEM)
	c, err := in.Artifact.Verify(pub)
	switch {
	case err != nil:
		fail(401, "invalid_authorization")
	case c.CheckTime(f.now()) != nil, c.DataConsumer.ID != setuClient, c.DataProvider.ID != issuer, c.Data.ID != meeraURI,
		c.User.IDType != consent.IDAadhaar, c.User.IDNumber != alice, !consent.IsUUID(c.ConsentID), c.Purpose.Description == "":
		fail(401, "invalid_authorization")
	case in.Params["RollNo"] != meeraRoll || in.Params["Year"] != meeraYear || in.Params["FullName"] != meeraName || in.Params["DOB"] != meeraDOB:
		fail(404, "record_not_found")
	default:
		f.mu.Lock()
		f.setuHits = append(f.setuHits, c)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/xml")
		w.Write(f.marksheet())
	}
}

// client is a browser-like API client with its own cookie jar.
type client struct {
	t    *testing.T
	f    *sandbox
	http *http.Client
}

func (f *sandbox) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: f.t, f: f, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// do sends a JSON request (body nil: none) and decodes a JSON answer into out.
func (c *client) do(method, path string, body any, hdr map[string]string, out any) (int, http.Header) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.f.srv.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil {
		if p, ok := out.(*[]byte); ok {
			*p = b
		} else if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: HTTP %d, not JSON: %.300s", method, path, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, resp.Header
}

func (c *client) otp(m string) int {
	code, _ := c.do("POST", "/api/auth/otp", map[string]string{"mobile": m}, nil, nil)
	return code
}

func (c *client) verify(m, otp, pin string) (int, string) {
	var out map[string]string
	code, _ := c.do("POST", "/api/auth/verify", map[string]string{"mobile": m, "otp": otp, "pin": pin}, nil, &out)
	return code, out["digilocker_id"]
}

func (f *sandbox) latestOTP(m string) string {
	f.t.Helper()
	code, err := f.store.LatestOTP(context.Background(), m, f.now())
	if err != nil {
		f.t.Fatalf("no OTP in the outbox for %s: %v", m, err)
	}
	return code
}

// signIn signs a new client in as mobile with pin.
func (f *sandbox) signIn(m, pin string) *client {
	f.t.Helper()
	c := f.client()
	if code := c.otp(m); code != http.StatusAccepted {
		f.t.Fatalf("POST /api/auth/otp: HTTP %d", code)
	}
	if code, id := c.verify(m, f.latestOTP(m), pin); code != 200 || len(id) != 36 {
		f.t.Fatalf("verify: HTTP %d, digilocker_id %q", code, id)
	}
	return c
}

// meera is Meera signed in with her Aadhaar linked.
func (f *sandbox) meera() *client {
	c := f.signIn(mobile, "135790")
	if code, _ := c.do("POST", "/api/me/aadhaar", map[string]string{"aadhaar": alice, "name": meeraName, "dob": meeraDOB}, nil, nil); code != 200 {
		f.t.Fatalf("link Aadhaar: HTTP %d", code)
	}
	return c
}

func (c *client) pull(roll, year string) (int, map[string]string) {
	var out map[string]string
	code, _ := c.do("POST", "/api/me/pull", map[string]any{"issuer": issuer, "doctype": "SSCER",
		"parameters": map[string]string{"RollNo": roll, "Year": year}}, nil, &out)
	return code, out
}
