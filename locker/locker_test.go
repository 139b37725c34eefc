package locker_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

const (
	issuer = "in.gov.test"
	key    = "locker-test-key"
)

// nowTS is a Push URI request's ts now, inside the locker's window.
func nowTS() string { return time.Now().In(xmlschema.IST).Format(time.RFC3339) }

func validAadhaar(base string) string { return base + string(aadhaar.VerhoeffDigit(base)) }

var alice, bob = validAadhaar("23456789012"), validAadhaar("34567890123")

type lockerFixture struct {
	t      *testing.T
	store  *locker.Store
	srv    *httptest.Server
	signer *signer.Signer
}

// newLocker starts a locker with one issuer registered whose Pull Doc API
// is pull (nil: none).
func newLocker(t *testing.T, pull http.HandlerFunc) *lockerFixture {
	t.Helper()
	st, err := locker.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert, _ := signer.SelfSignedCert(k, "Test Board", "Test Board", time.Hour)
	sg, err := signer.New(k, []*x509.Certificate{cert}, signer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pullURL := "http://127.0.0.1:1"
	if pull != nil {
		is := httptest.NewServer(pull)
		t.Cleanup(is.Close)
		pullURL = is.URL
	}
	if err := st.AddIssuer(context.Background(), issuer, key, pullURL, signer.MarshalCertsPEM(cert)); err != nil {
		t.Fatal(err)
	}
	srv := locker.NewServer(locker.Config{Store: st})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &lockerFixture{t: t, store: st, srv: hs, signer: sg}
}

func details(num, uri, action string) xmlschema.PushDetails {
	return xmlschema.PushDetails{Aadhaar: num, URI: uri, DocType: "SSCER", DocName: "Class X", DocID: uri[strings.LastIndex(uri, "-")+1:],
		IssuedOn: "01/06/2025", ValidFrom: "01/06/2025", Timestamp: "01/06/2025 10:00:00 AM", Action: action}
}

// post sends body with the HMAC of signKey and returns the status code and
// reply.
func (f *lockerFixture) post(path string, body []byte, signKey string, hdr map[string]string) (int, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, bytes.NewReader(body))
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody([]byte(signKey), body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// push sends one Push URI and returns the ResponseStatus and message.
func (f *lockerFixture) push(txn string, d xmlschema.PushDetails) (string, string) {
	f.t.Helper()
	var b bytes.Buffer
	xmlschema.AppendPushRequest(&b, issuer, nowTS(), txn, key, &d)
	code, reply := f.post(xmlschema.PushPath, b.Bytes(), key, nil)
	if code != 200 {
		f.t.Fatalf("push: HTTP %d %s", code, reply)
	}
	r, err := xmlschema.ParseResponse(reply)
	if err != nil {
		f.t.Fatal(err)
	}
	if r.Txn != txn {
		f.t.Errorf("txn not echoed: %q", r.Txn)
	}
	return r.Status, r.Message
}

func TestPushSemantics(t *testing.T) {
	f := newLocker(t, nil)
	const u1, u2 = issuer + "-SSCER-1", issuer + "-SSCER-2"
	steps := []struct {
		txn, num, uri, action string
		status, message       string
	}{
		{"t1", alice, u1, "A", "1", "URI added"},
		{"t1", alice, u1, "A", "1", "already applied"},       // a repeat of the same push
		{"t2", alice, u1, "A", "0", xmlschema.MsgExistsHere}, // a new A of a URI she has
		{"t3", bob, u1, "A", "0", xmlschema.MsgExistsElsewhere},
		{"t4", alice, u1, "U", "1", "URI updated"},
		{"t5", bob, u1, "U", "0", xmlschema.MsgExistsElsewhere},
		{"t6", alice, u2, "D", "1", "URI is in no locker"},
		{"t7", alice, u1, "D", "1", "URI deleted"},
		{"t8", alice, u1, "A", "1", "URI added"}, // re-added after a delete
		{"t9", "123456789012", u2, "A", "0", "must not start with 0 or 1"},
		{"t10", alice, "in.gov.other-SSCER-1", "A", "0", "does not belong to issuer"},
		{"t11", alice, u2, "X", "0", `Action "X" is not A, U or D`},
	}
	for _, s := range steps {
		st, msg := f.push(s.txn, details(s.num, s.uri, s.action))
		if st != s.status || !strings.Contains(msg, s.message) {
			t.Errorf("%s %s %s: Status %s %q, want %s %q", s.txn, s.action, s.uri, st, msg, s.status, s.message)
		}
		if strings.Contains(msg, s.num[:8]) {
			t.Errorf("%s: the reply holds the Aadhaar: %q", s.txn, msg)
		}
	}
	var hist []string
	f.store.All(context.Background(), func(d locker.Document) error {
		for _, e := range d.History {
			hist = append(hist, d.URI+":"+e.Action)
		}
		return nil
	})
	want := u1 + ":A " + u1 + ":U " + u1 + ":D " + u1 + ":A"
	if got := strings.Join(hist, " "); got != want {
		t.Errorf("history %q, want %q", got, want)
	}
}

func TestPushSecurity(t *testing.T) {
	f := newLocker(t, nil)
	var good bytes.Buffer
	d := details(alice, issuer+"-SSCER-1", "A")
	xmlschema.AppendPushRequest(&good, issuer, nowTS(), "x", key, &d)
	var badHash bytes.Buffer
	xmlschema.AppendPushRequest(&badHash, issuer, nowTS(), "x", "not-the-key", &d)
	var unknown bytes.Buffer
	xmlschema.AppendPushRequest(&unknown, "in.gov.nobody", nowTS(), "x", key, &d)
	cases := []struct {
		name    string
		body    []byte
		signKey string
		want    int
	}{
		{"wrong HMAC key", good.Bytes(), "other", 401},
		{"wrong keyhash", badHash.Bytes(), key, 401},
		{"unknown issuer", unknown.Bytes(), key, 401},
		{"DTD", []byte(`<!DOCTYPE x [<!ENTITY e "1">]><PushUriRequest orgId="in.gov.test"><UriDetails><Uri>&e;</Uri></UriDetails></PushUriRequest>`), key, 400},
		{"too large", append(good.Bytes(), bytes.Repeat([]byte(" "), 1<<20)...), key, 413},
	}
	for _, c := range cases {
		if code, body := f.post(xmlschema.PushPath, c.body, c.signKey, nil); code != c.want {
			t.Errorf("%s: HTTP %d %s, want %d", c.name, code, body, c.want)
		}
	}
	if n, _, _ := f.store.Counts(context.Background()); n != 0 {
		t.Fatalf("a refused push was applied")
	}
	if code, _ := f.post(xmlschema.PushPath, good.Bytes(), key, nil); code != 200 {
		t.Fatalf("the good push: %d", code)
	}
}

func TestBulkPush(t *testing.T) {
	f := newLocker(t, nil)
	rows := []xmlschema.PushDetails{
		details(alice, issuer+"-SSCER-1", "A"),
		details(bob, issuer+"-SSCER-2", "A"),
		details("999", issuer+"-SSCER-3", "A"),
		details(bob, issuer+"-SSCER-1", "A"),
	}
	var b bytes.Buffer
	xmlschema.WritePushCSV(&b, rows)
	hdr := map[string]string{xmlschema.OrgIDHeader: issuer, xmlschema.TxnHeader: "a,b,c,d"}
	code, reply := f.post(xmlschema.PushBulkPath, b.Bytes(), key, hdr)
	if code != 200 {
		t.Fatalf("HTTP %d %s", code, reply)
	}
	rs, err := xmlschema.ReadPushResults(bytes.NewReader(reply))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range rs {
		got = append(got, r.Status)
	}
	if strings.Join(got, "") != "1100" || rs[3].Message != xmlschema.MsgExistsElsewhere || !strings.Contains(rs[2].Message, "invalid Aadhaar") {
		t.Fatalf("results %+v", rs)
	}
	if code, _ := f.post(xmlschema.PushBulkPath, b.Bytes(), "wrong", hdr); code != 401 {
		t.Fatalf("bulk with a wrong key: %d", code)
	}
}

// signedDoc returns a document signed by the fixture's issuer key.
func (f *lockerFixture) signedDoc(uri string) []byte {
	doc := etree.NewDocument()
	root := doc.CreateElement("Certificate")
	root.CreateAttr("number", uri)
	root.CreateElement("IssuedTo").SetText("Alice")
	if err := f.signer.Sign(doc); err != nil {
		f.t.Fatal(err)
	}
	b, _ := doc.WriteToBytes()
	return b
}

// TestCitizenViewAndFetch: the citizen sees her documents (JSON and HTML)
// and fetches one through the locker, which pulls it from the issuer and
// checks the signature; a tampered document is refused.
func TestCitizenViewAndFetch(t *testing.T) {
	var f *lockerFixture
	tamper, pending := false, false
	f = newLocker(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != "/digilocker/pulldoc" || !xmlschema.VerifyBody([]byte(key), body, r.Header.Get(xmlschema.HMACHeader)) {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		req, err := xmlschema.ParseRequest(body)
		if err != nil || !xmlschema.VerifyKeyHash(key, req.TS, req.KeyHash) {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		if pending {
			io.WriteString(w, `<PullDocResponse><ResponseStatus Status="9" ts="" txn="">9</ResponseStatus><DocDetails/>`+
				`<ResponseMessage>The document of 234567890124 is not issued yet: it is released on 13-05-2099 at 12:00 IST; ask again then</ResponseMessage></PullDocResponse>`)
			return
		}
		doc := f.signedDoc(req.Get("URI"))
		if tamper {
			doc = bytes.Replace(doc, []byte("Alice"), []byte("Mallory"), 1)
		}
		io.WriteString(w, `<PullDocResponse><ResponseStatus Status="1" ts="" txn="">1</ResponseStatus><DocDetails><DataContent>`+
			base64.StdEncoding.EncodeToString(doc)+`</DataContent></DocDetails></PullDocResponse>`)
	})
	const uri = issuer + "-SSCER-7"
	if st, msg := f.push("t1", details(alice, uri, "A")); st != "1" {
		t.Fatalf("push: %s %s", st, msg)
	}
	f.push("t2", details(bob, issuer+"-SSCER-8", "A"))
	citizen := f.store.CitizenHash(alice)
	link := "?" + f.store.CitizenLink(citizen, time.Now().Add(time.Hour))
	get := func(path, accept string) (int, http.Header, []byte) {
		if !strings.Contains(path, "?") {
			path += link
		}
		req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, b
	}
	code, _, body := get("/citizens/"+citizen+"/issued", "")
	var view struct {
		Issued []locker.Document `json:"issued"`
	}
	if err := json.Unmarshal(body, &view); code != 200 || err != nil || len(view.Issued) != 1 || view.Issued[0].URI != uri {
		t.Fatalf("JSON view: %d %s", code, body)
	}
	code, _, body = get("/citizens/"+citizen+"/issued", "text/html")
	if code != 200 || !bytes.Contains(body, []byte("Issued Documents")) || !bytes.Contains(body, []byte(uri)) {
		t.Fatalf("HTML view: %d %s", code, body)
	}
	code, hdr, body := get("/citizens/"+citizen+"/issued/"+uri, "")
	if code != 200 || !bytes.Contains(body, []byte("<Certificate")) || !strings.Contains(hdr.Get("X-Signature-Verified"), "Test Board") {
		t.Fatalf("fetch: %d %v %s", code, hdr, body)
	}
	if code, _, _ := get("/citizens/"+citizen+"/issued/"+issuer+"-SSCER-8", ""); code != 404 {
		t.Fatalf("fetching another citizen's document: %d", code)
	}
	pending = true
	code, hdr, body = get("/citizens/"+citizen+"/issued/"+uri, "")
	if code != 503 || hdr.Get("Retry-After") == "" || !strings.Contains(string(body), "not issued") || !strings.Contains(string(body), "13-05-2099") {
		t.Fatalf("a document the issuer holds (Status 9): %d %v %s; want 503 with Retry-After and the issuer's message", code, hdr, body)
	}
	if strings.Contains(string(body), "234567890124") || !strings.Contains(string(body), "0124") {
		t.Fatalf("the issuer's message reached the citizen with a full Aadhaar number: %s", body)
	}
	pending = false
	tamper = true
	code, _, body = get("/citizens/"+citizen+"/issued/"+uri, "")
	if code != 502 || !strings.Contains(string(body), "fails verification") {
		t.Fatalf("tampered document: %d %s", code, body)
	}
}
