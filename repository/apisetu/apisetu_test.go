package apisetu_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/repository/apisetu"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestErrorPairs sends one request for each error pair of the CONTRACT
// and checks the status, error and errorDescription exactly.
func TestErrorPairs(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	valid := func() map[string]any { return body(meera, "xml", f.sign(t, consentFor(meera))) }
	with := func(mod func(map[string]any)) map[string]any { b := valid(); mod(b); return b }
	params := func(b map[string]any) map[string]any { return b["certificateParameters"].(map[string]any) }
	notUUIDConsent := consentFor(meera)
	notUUIDConsent.ConsentID = "consent-1"
	// A consentId that is a number, signed as it is.
	numericID, _ := json.Marshal(consentFor(meera))
	numericID = []byte(strings.Replace(string(numericID), `"consentId":"`, `"consentId":12345,"x":"`, 1))
	numericArt, err := consent.SignRaw(f.rsaKey, numericID)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, doctype, client, key string
		body                       any
		code                       int
		pair                       [2]string
	}{
		{"no client", "SSCER", "", "", valid(), 401, [2]string{"invalid_authentication", "Authentication failed"}},
		{"unknown client", "SSCER", "nobody", bankKey, valid(), 401, [2]string{"invalid_authentication", "Authentication failed"}},
		{"wrong key", "SSCER", "bank", regKey, valid(), 401, [2]string{"invalid_authentication", "Authentication failed"}},
		{"unknown doctype", "NOSUCH", "bank", bankKey, valid(), 404, [2]string{"url_not_found", "Your API url or path is incorrect"}},
		{"doctype not allowed", "sscer", "hsconly", onlyHSC, valid(), 401, [2]string{"invalid_authorization", "You are not authorized to use this API"}},
		{"malformed JSON", "SSCER", "bank", bankKey, `{"txnId": `, 400, [2]string{"invalid_parameter", "Bad request"}},
		{"parameter not a string", "SSCER", "bank", bankKey, with(func(b map[string]any) { params(b)["rollno"] = []int{1} }), 400, [2]string{"invalid_parameter", "Bad request"}},
		{"no txnId", "SSCER", "bank", bankKey, with(func(b map[string]any) { delete(b, "txnId") }), 400, [2]string{"missing_parameter", "Please provide all mandatory parameters"}},
		{"no search key", "SSCER", "bank", bankKey, with(func(b map[string]any) { delete(params(b), "year") }), 400, [2]string{"missing_parameter", "Please provide all mandatory parameters"}},
		{"no DOB", "SSCER", "bank", bankKey, with(func(b map[string]any) { delete(params(b), "DOB") }), 400, [2]string{"missing_parameter", "Please provide all mandatory parameters"}},
		{"txnId not a UUID", "SSCER", "bank", bankKey, with(func(b map[string]any) { b["txnId"] = "txn-1" }), 400, [2]string{"invalid_txnid", "The txnId parameter must be in UUID format"}},
		{"bad format", "SSCER", "bank", bankKey, with(func(b map[string]any) { b["format"] = "docx" }), 400, [2]string{"invalid_format", "The format parameter is invalid"}},
		{"consentId not a UUID", "SSCER", "bank", bankKey, body(meera, "xml", f.sign(t, notUUIDConsent)), 400, [2]string{"invalid_consentid", "The consentId parameter must be in UUID format"}},
		// A member of the wrong type gets that member's pair, not Bad request.
		{"txnId a number", "SSCER", "bank", bankKey, with(func(b map[string]any) { b["txnId"] = 12345 }), 400, [2]string{"invalid_txnid", "The txnId parameter must be in UUID format"}},
		{"format a number", "SSCER", "bank", bankKey, with(func(b map[string]any) { b["format"] = 1 }), 400, [2]string{"invalid_format", "The format parameter is invalid"}},
		{"consentId a number", "SSCER", "bank", bankKey, body(meera, "xml", &numericArt), 400, [2]string{"invalid_consentid", "The consentId parameter must be in UUID format"}},
		{"consentArtifact a string", "SSCER", "bank", bankKey, with(func(b map[string]any) { b["consentArtifact"] = "abc" }), 401, [2]string{"invalid_authorization", "You are not authorized to use this API"}},
		{"signature a string", "SSCER", "bank", bankKey, with(func(b map[string]any) {
			b["consentArtifact"] = map[string]any{"consent": map[string]any{"consentId": consent.NewID()}, "signature": "abc"}
		}), 401, [2]string{"invalid_authorization", "You are not authorized to use this API"}},
		// The consentId is checked after every other parameter.
		{"consentId not a UUID, no search key", "SSCER", "bank", bankKey, with(func(b map[string]any) {
			b["consentArtifact"] = f.sign(t, notUUIDConsent)
			delete(params(b), "year")
		}), 400, [2]string{"missing_parameter", "Please provide all mandatory parameters"}},
		{"consentId not a UUID, txnId not a UUID", "SSCER", "bank", bankKey, with(func(b map[string]any) {
			b["consentArtifact"] = f.sign(t, notUUIDConsent)
			b["txnId"] = "txn-1"
		}), 400, [2]string{"invalid_txnid", "The txnId parameter must be in UUID format"}},
		{"no consent", "SSCER", "bank", bankKey, body(meera, "xml", nil), 401, [2]string{"invalid_authorization", "You are not authorized to use this API"}},
		{"no record", "SSCER", "bank", bankKey, with(func(b map[string]any) { params(b)["rollno"] = "9999999" }), 404, [2]string{"record_not_found", "No record found"}},
		{"body over 1 MiB", "SSCER", "bank", bankKey, `{"txnId":"` + strings.Repeat("a", apisetu.MaxBody) + `"}`, 413, [2]string{"invalid_parameter", "Bad request"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.post(t, c.doctype, c.client, c.key, c.body)
			code, desc := r.errorPair()
			if r.code != c.code || code != c.pair[0] || desc != c.pair[1] || r.ctype != "application/json" {
				t.Fatalf("HTTP %d %s %q, want %d %q %q", r.code, r.ctype, r.body, c.code, c.pair[0], c.pair[1])
			}
		})
	}
}

// TestInternalError: a catalog that fails is 500 internal_server_error,
// and what failed is logged, not answered.
func TestInternalError(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil, func(_ *api.Config, sc *apisetu.Config) { sc.Clients = failingClients{sc.Clients} })
	r := e.post(t, "SSCER", "bank", bankKey, body(f.rows[0], "xml", nil))
	code, desc := r.errorPair()
	if r.code != 500 || code != "internal_server_error" || desc != "Internal server error" {
		t.Fatalf("HTTP %d %s", r.code, r.body)
	}
	if strings.Contains(string(r.body), "catalog is down") || !strings.Contains(e.logs.String(), "catalog is down") {
		t.Errorf("the failure is not logged, or is answered: %s\n%s", r.body, e.logs)
	}
}

// failingClients is a catalog that cannot be read.
type failingClients struct{ apisetu.Clients }

func (failingClients) Requester(context.Context, string) (apisetu.Requester, error) {
	return apisetu.Requester{}, errors.New("catalog is down")
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestNoOracle: not found, name mismatch, DOB mismatch, revoked, suspended
// and held all get the same 404 body.
func TestNoOracle(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	cases := map[string]map[string]string{"unknown": with(meera, "RollNo", "9999999"), "name": with(meera, "Name", "Somebody Else"),
		"dob": with(meera, "DOB", "01-01-2001"), "revoked": f.revoked, "suspended": f.susp, "held": f.held}
	var first []byte
	for name, row := range cases {
		t.Run(name, func(t *testing.T) {
			c := consentFor(row)
			c.Data.ID = "SSCER"
			r := e.post(t, "SSCER", "bank", bankKey, body(row, "xml", f.sign(t, c)))
			if r.code != 404 {
				t.Fatalf("HTTP %d %s", r.code, r.body)
			}
			if first == nil {
				first = r.body
			} else if !bytes.Equal(first, r.body) {
				t.Fatalf("replies differ: %s vs %s", first, r.body)
			}
		})
	}
}

func with(row map[string]string, k, v string) map[string]string {
	out := map[string]string{}
	for a, b := range row {
		out[a] = b
	}
	out[k] = v
	return out
}

// TestConsentRules: each broken rule is 401 invalid_authorization to the
// caller and an audit entry naming the rule.
func TestConsentRules(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera, other := f.rows[meeraIdx], f.rows[1]
	now := time.Now()
	type tc struct {
		name string
		art  func() *consent.Artifact
		rule string
	}
	mod := func(m func(*consent.Consent)) func() *consent.Artifact {
		return func() *consent.Artifact { c := consentFor(meera); m(&c); return f.sign(t, c) }
	}
	cases := []tc{
		{"altered artifact", func() *consent.Artifact {
			a := f.sign(t, consentFor(meera))
			a.Consent = bytes.Replace(a.Consent, []byte("education loan"), []byte("education lean"), 1)
			return a
		}, "signature"},
		{"unknown consent manager", func() *consent.Artifact {
			a, err := consent.Sign(mustRSA(t), consentFor(meera))
			if err != nil {
				t.Fatal(err)
			}
			return &a
		}, "signature"},
		{"wrong consumer", mod(func(c *consent.Consent) { c.DataConsumer.ID = "otherbank" }), "consumer"},
		{"wrong provider", mod(func(c *consent.Consent) { c.DataProvider.ID = "in.gov.other" }), "provider"},
		{"other document", mod(func(c *consent.Consent) { c.Data.ID = uriOf(other) }), "data"},
		{"other doctype", mod(func(c *consent.Consent) { c.Data.ID = "HSCER" }), "data"},
		{"other holder", mod(func(c *consent.Consent) { c.User.IDNumber = other["Aadhaar"] }), "user"},
		{"other mobile", mod(func(c *consent.Consent) { c.User = consent.User{IDType: consent.IDMobile, Mobile: other["Mobile"]} }), "user"},
		{"expired", mod(func(c *consent.Consent) { c.Permission.DateRange.To = consent.FormatTime(now.Add(-time.Minute)) }), "expired"},
		{"not yet valid", mod(func(c *consent.Consent) { c.Permission.DateRange.From = consent.FormatTime(now.Add(time.Hour)) }), "not_yet_valid"},
		{"timestamp in the future", mod(func(c *consent.Consent) { c.Timestamp = consent.FormatTime(now.Add(time.Hour)) }), "timestamp"},
		{"bad frequency", mod(func(c *consent.Consent) { c.Permission.Frequency.Unit = "WEEK" }), "frequency"},
	}
	type want struct{ rule, uri string }
	ids := map[string]want{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := c.art()
			id, _ := consentIDOf(a)
			// The entry names Meera's document, so her audit shows the
			// attempt, unless the consent named no document of hers.
			ids[id] = want{c.rule, uriOf(meera)}
			if c.name == "other doctype" {
				ids[id] = want{c.rule, ""}
			}
			r := e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", a))
			code, _ := r.errorPair()
			if r.code != 401 || code != "invalid_authorization" {
				t.Fatalf("HTTP %d %s", r.code, r.body)
			}
		})
	}
	entries := e.audit(t)
	for id, w := range ids {
		rule := w.rule
		found := false
		for _, a := range entries {
			if a.ConsentID == id {
				found = true
				if !strings.Contains(a.Reason, "refused: consent rule "+rule+":") || a.Actor != "apisetu:bank" || a.URI != w.uri {
					t.Errorf("consent %s: audit %q by %s on %q, want rule %s on %q", id, a.Reason, a.Actor, a.URI, rule, w.uri)
				}
			}
		}
		if !found {
			t.Errorf("no audit entry for consent %s (rule %s)", id, rule)
		}
	}
}

func consentIDOf(a *consent.Artifact) (string, error) {
	var c consent.Consent
	err := json.Unmarshal(a.Consent, &c)
	return c.ConsentID, err
}

// TestRepeats: a consent allowing 2 uses per day serves twice, then is
// refused with the rule repeats; so is one allowing 1 use per 3,000,000
// hours after its one use (that window once overflowed to a start in the
// future, and such a consent was served every time).
func TestRepeats(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	long := consentFor(meera)
	long.Permission.Frequency = consent.Frequency{Unit: "HOUR", Value: 3_000_000, Repeats: 1}
	la := f.sign(t, long)
	for i, want := range []int{200, 401, 401} {
		if r := e.post(t, "SSCER", "bank", bankKey, body(meera, "json", la)); r.code != want {
			t.Fatalf("3,000,000-hour consent, use %d: HTTP %d %s, want %d", i+1, r.code, r.body, want)
		}
	}
	c := consentFor(meera)
	c.Permission.Frequency = consent.Frequency{Unit: "DAY", Value: 1, Repeats: 2}
	a := f.sign(t, c)
	for i, want := range []int{200, 200, 401} {
		if r := e.post(t, "SSCER", "bank", bankKey, body(meera, "json", a)); r.code != want {
			t.Fatalf("use %d: HTTP %d %s, want %d", i+1, r.code, r.body, want)
		}
	}
	var got []string
	for _, a := range e.auditOf(t, c.ConsentID) {
		got = append(got, strings.SplitN(a.Reason, ";", 2)[0])
	}
	if len(got) != 3 || got[0] != "granted, format json" || !strings.HasPrefix(got[2], "refused: consent rule repeats: 2 of 2 uses") {
		t.Fatalf("audit: %q", got)
	}
}

// TestGrantedXML: the bank gets Meera's signed Certificate, verified by
// issuerkit and by xmlsec1, with an RSA and with an ECDSA consent
// manager, by Aadhaar and by mobile; the audit entry has consent id,
// client, purpose and URI.
func TestGrantedXML(t *testing.T) {
	f := sample(t)
	xmlsec := testenv.Xmlsec1(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	cert := f.issuerCert(t)
	certFile := filepath.Join(t.TempDir(), "issuer.crt")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	byMobile := consentFor(meera)
	byMobile.User = consent.User{IDType: consent.IDMobile, Mobile: "+91 " + meera["Mobile"]}
	byDocType := consentFor(meera)
	byDocType.Data.ID = "sscer"
	ecArt, err := consent.Sign(f.ecKey, consentFor(meera))
	if err != nil {
		t.Fatal(err)
	}
	arts := map[string]*consent.Artifact{"rsa": f.sign(t, consentFor(meera)), "ecdsa": &ecArt, "mobile": f.sign(t, byMobile), "doctype": f.sign(t, byDocType)}
	for name, a := range arts {
		t.Run(name, func(t *testing.T) {
			r := e.post(t, "sscer", "bank", bankKey, body(meera, "xml", a))
			if r.code != 200 || r.ctype != "application/xml" {
				t.Fatalf("HTTP %d %s %.300s", r.code, r.ctype, r.body)
			}
			doc, err := (&signer.Verifier{Trusted: []*x509.Certificate{cert}}).Verify(r.body)
			if err != nil {
				t.Fatalf("the certificate does not verify: %v", err)
			}
			if got := doc.Root.SelectAttrValue("number", ""); !strings.HasPrefix(got, meera["RollNo"]) {
				t.Errorf("certificate number %q is not Meera's", got)
			}
			file := filepath.Join(t.TempDir(), "doc.xml")
			os.WriteFile(file, r.body, 0o600)
			if out, err := exec.Command(xmlsec, "--verify", "--trusted-pem", certFile, file).CombinedOutput(); err != nil {
				t.Fatalf("xmlsec1 rejects it: %v\n%s", err, out)
			}
		})
	}
	id, _ := consentIDOf(arts["rsa"])
	entries := e.audit(t)
	for _, a := range entries {
		if a.ConsentID == id {
			if a.URI != uriOf(meera) || a.Actor != "apisetu:bank" || a.Purpose != "education loan" || !strings.HasPrefix(a.Reason, "granted") {
				t.Fatalf("audit entry %+v", a)
			}
			return
		}
	}
	t.Fatalf("no audit entry for consent %s", id)
}

func (f *fixture) issuerCert(t *testing.T) *x509.Certificate {
	t.Helper()
	sgn, err := f.h.Signer()
	if err != nil {
		t.Fatal(err)
	}
	return sgn.Certificate()
}

// TestGrantedJSON: format json is the mapping of `get --format json`; a
// client registered with --no-consent needs no artifact.
func TestGrantedJSON(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	for _, c := range []struct {
		client, key string
		art         *consent.Artifact
	}{{"bank", bankKey, f.sign(t, consentFor(meera))}, {"registry", regKey, nil}} {
		r := e.post(t, "SSCER", c.client, c.key, body(meera, "json", c.art))
		if r.code != 200 || r.ctype != "application/json" {
			t.Fatalf("%s: HTTP %d %s", c.client, r.code, r.body)
		}
		var doc map[string]any
		if err := json.Unmarshal(r.body, &doc); err != nil {
			t.Fatalf("%s: not JSON: %v", c.client, err)
		}
		if !strings.Contains(string(r.body), meera["Name"]) {
			t.Errorf("%s: the JSON does not name Meera: %.300s", c.client, r.body)
		}
	}
}

// TestNoSecretsInLogs: neither the Aadhaar, the API key nor the consent
// signature appears in the logs or the replies, whatever the outcome.
func TestNoSecretsInLogs(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	a := f.sign(t, consentFor(meera))
	bad := consentFor(meera)
	bad.User.IDNumber = f.rows[1]["Aadhaar"]
	var replies []byte
	for _, r := range []reply{
		e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", a)),
		e.post(t, "SSCER", "bank", bankKey+"x", body(meera, "xml", a)),
		e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", f.sign(t, bad))),
		e.post(t, "SSCER", "bank", bankKey, `{"txnId": "`+meera["Aadhaar"]+`"`),
	} {
		replies = append(replies, r.body...)
	}
	entries := e.audit(t)
	var audit strings.Builder
	for _, a := range entries {
		audit.WriteString(a.Reason + a.Actor + a.URI)
	}
	for _, secret := range []string{meera["Aadhaar"], f.rows[1]["Aadhaar"], bankKey, a.Signature.Signature[:20]} {
		for where, text := range map[string]string{"log": e.logs.String(), "audit": audit.String(), "error replies": string(replies[len(replies)-400:])} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds a secret %.6s…", where, secret)
			}
		}
	}
}

// TestRevokedClient: a revoked client is refused as an unknown one.
func TestRevokedClient(t *testing.T) {
	f := sample(t)
	clients := f.newClients(t)
	e := f.start(t, clients)
	meera := f.rows[meeraIdx]
	if r := e.post(t, "SSCER", "registry", regKey, body(meera, "xml", nil)); r.code != 200 {
		t.Fatalf("before: HTTP %d %s", r.code, r.body)
	}
	if err := clients.RevokeRequester(context.Background(), "registry", time.Now()); err != nil {
		t.Fatal(err)
	}
	r := e.post(t, "SSCER", "registry", regKey, body(meera, "xml", nil))
	if code, _ := r.errorPair(); r.code != 401 || code != "invalid_authentication" {
		t.Fatalf("after: HTTP %d %s", r.code, r.body)
	}
}

// TestRateLimit: a client over its rate per minute gets API Setu's 503
// pair with Retry-After.
func TestRateLimit(t *testing.T) {
	f := sample(t)
	clients := f.newClients(t)
	clients.AddRequester(context.Background(), apisetu.Requester{ID: "slow", KeyHash: apisetu.KeyHash("slow-key-0123456789"), NoConsent: true, RatePerMin: 1})
	e := f.start(t, clients)
	meera := f.rows[meeraIdx]
	if r := e.post(t, "SSCER", "slow", "slow-key-0123456789", body(meera, "xml", nil)); r.code != 200 {
		t.Fatalf("first: HTTP %d %s", r.code, r.body)
	}
	if r := e.post(t, "SSCER", "slow", "slow-key-0123456789", body(meera, "xml", nil)); r.code != 503 ||
		!strings.Contains(string(r.body), `"error":"service_unavailable","errorDescription":"Publisher service is temporarily unavailable"`) {
		t.Fatalf("second: HTTP %d %s", r.code, r.body)
	}
	// Another client is not limited by it.
	if r := e.post(t, "SSCER", "registry", regKey, body(meera, "xml", nil)); r.code != 200 {
		t.Fatalf("other client: HTTP %d %s", r.code, r.body)
	}
}

// TestAPIParameterNames: a profile may name a search key as API Setu does
// (pull: apisetu_parameters); the key's own name still works, and a UID
// (the Aadhaar number) is matched as Pull URI matches it.
func TestAPIParameterNames(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil, func(dc *api.Config, _ *apisetu.Config) {
		p := dc.Profiles[0]
		p.APIParameters = map[string]string{"RollNo": "roll_no"}
		dc.Profiles = []xmlschema.PullProfile{p}
	})
	meera := f.rows[meeraIdx]
	named := body(meera, "xml", nil)
	ps := named["certificateParameters"].(map[string]any)
	ps["ROLL_NO"] = ps["rollno"]
	delete(ps, "rollno")
	withUID := body(meera, "xml", nil)
	withUID["certificateParameters"].(map[string]any)["uid"] = meera["Aadhaar"]
	otherUID := body(meera, "xml", nil)
	otherUID["certificateParameters"].(map[string]any)["UID"] = f.rows[1]["Aadhaar"]
	for name, c := range map[string]struct {
		b    map[string]any
		code int
	}{"API name": {named, 200}, "key's own name": {body(meera, "xml", nil), 200}, "UID": {withUID, 200}, "other UID": {otherUID, 404}} {
		if r := e.post(t, "SSCER", "registry", regKey, c.b); r.code != c.code {
			t.Errorf("%s: HTTP %d %.200s, want %d", name, r.code, r.body, c.code)
		}
	}
}

// TestRepeatsConcurrently: of 24 concurrent requests under one consent
// allowing 5 uses, exactly 5 are served, whatever batches the group
// commit made of them.
func TestRepeatsConcurrently(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	c := consentFor(meera)
	c.Permission.Frequency = consent.Frequency{Unit: "HOUR", Value: 1, Repeats: 5}
	a := f.sign(t, c)
	codes := make(chan int, 24)
	var wg sync.WaitGroup
	for range 24 {
		wg.Go(func() { codes <- e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", a)).code })
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for c := range codes {
		n[c]++
	}
	if n[200] != 5 || n[401] != 19 {
		t.Fatalf("replies by status: %v, want 5 × 200 and 19 × 401", n)
	}
}

// TestTrustChange: an artifact verified before is refused once its
// consent manager's certificate is replaced (the artifact cache keeps the
// trusted certificates' digest an artifact verified with, and reuses it
// only under the same one), and a new manager's
// artifacts are accepted once trusted.
func TestTrustChange(t *testing.T) {
	f := sample(t)
	clients := f.newClients(t)
	e := f.start(t, clients, func(_ *api.Config, sc *apisetu.Config) { sc.CacheTTL = time.Nanosecond })
	meera := f.rows[meeraIdx]
	a := f.sign(t, consentFor(meera))
	if r := e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", a)); r.code != 200 {
		t.Fatalf("before: HTTP %d %s", r.code, r.body)
	}
	newKey := mustRSA(t)
	ctx := context.Background()
	if err := clients.TrustConsentManager(ctx, apisetu.ConsentManager{ID: "cm-rsa", CertPEM: certPEM(t, newKey, "new RSA consent manager")}); err != nil {
		t.Fatal(err)
	}
	if r := e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", a)); r.code != 401 {
		t.Fatalf("after the certificate changed: HTTP %d %s", r.code, r.body)
	}
	fresh, err := consent.Sign(newKey, consentFor(meera))
	if err != nil {
		t.Fatal(err)
	}
	if r := e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", &fresh)); r.code != 200 {
		t.Fatalf("the new manager's artifact: HTTP %d %s", r.code, r.body)
	}
}

// TestRefusalsAudited: every use refused, not only those refused by a
// rule before the signature held, is an audit entry with the consent id,
// and, once the signature held, its purpose and the document it names: an
// expired consent, a DocType the client may not read (refused before the
// body used to be read), a format in the wrong case.
func TestRefusalsAudited(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	expired := consentFor(meera)
	expired.Permission.DateRange.To = consent.FormatTime(time.Now().Add(-time.Minute))
	forHSC := consentFor(meera)
	forHSC.DataConsumer.ID = "hsconly"
	badFormat := consentFor(meera)
	cases := []struct {
		c              consent.Consent
		client, key    string
		format, reason string
		purpose, uri   string
	}{
		{expired, "bank", bankKey, "xml", "refused: consent rule expired", "education loan", uriOf(meera)},
		{forHSC, "hsconly", onlyHSC, "xml", "refused: invalid_authorization", "", uriOf(meera)},
		{badFormat, "bank", bankKey, "XML", "refused: invalid_format", "", uriOf(meera)},
	}
	for _, tc := range cases {
		if r := e.post(t, "SSCER", tc.client, tc.key, body(meera, tc.format, f.sign(t, tc.c))); r.code == 200 {
			t.Fatalf("%s: HTTP 200", tc.reason)
		}
	}
	e.ts.Close()
	e.docs.Close()
	for _, tc := range cases {
		var got []repository.AuditEntry
		e.f.docs.Catalog.AuditLog(context.Background(), repository.AuditQuery{ConsentID: tc.c.ConsentID}, func(a repository.AuditEntry) error {
			got = append(got, a)
			return nil
		})
		if len(got) != 1 || !strings.HasPrefix(got[0].Reason, tc.reason) || got[0].Purpose != tc.purpose || got[0].URI != tc.uri ||
			got[0].Actor != "apisetu:"+tc.client {
			t.Errorf("%s: audit %+v, want one entry by %s with purpose %q and URI %s", tc.reason, got, tc.client, tc.purpose, tc.uri)
		}
	}
}

// TestOtherPathsURLNotFound: any other path or method under /apisetu/
// answers API Setu's url_not_found pair as JSON, not net/http's text 404
// or 405.
func TestOtherPathsURLNotFound(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	for _, tc := range []struct{ method, path string }{
		{"POST", "/apisetu/sscer/certificates"},
		{"POST", "/apisetu/sscer/certificate/"},
		{"POST", "/apisetu/SSCER"},
		{"GET", "/apisetu/SSCER/certificate"},
	} {
		req, _ := http.NewRequest(tc.method, e.ts.URL+tc.path, strings.NewReader(`{}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/json" ||
			string(b) != `{"error":"url_not_found","errorDescription":"Your API url or path is incorrect"}` {
			t.Errorf("%s %s: HTTP %d %s %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
}

// TestAddressRateLimitInAPISetuForm: a caller over serve's per-address
// rate (--rate-limit) gets API Setu's 503 pair on /apisetu/, as JSON with
// Retry-After, not the text 429 the locker routes answer.
func TestAddressRateLimitInAPISetuForm(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil, func(c *api.Config, _ *apisetu.Config) { c.RateLimit = 0.5 })
	meera := f.rows[meeraIdx]
	var last reply
	for range 5 {
		if last = e.post(t, "SSCER", "registry", regKey, body(meera, "xml", nil)); last.code != 200 {
			break
		}
	}
	if last.code != 503 || string(last.body) != `{"error":"service_unavailable","errorDescription":"Publisher service is temporarily unavailable"}` {
		t.Fatalf("over the address rate: HTTP %d %s", last.code, last.body)
	}
}
