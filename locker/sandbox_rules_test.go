package locker_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/locker"
)

// TestOTPRules: 6 digits, 10 minutes, single use, 3 tries, 5 per hour.
func TestOTPRules(t *testing.T) {
	f := newSandbox(t)
	c := f.client()
	if code := c.otp("12345"); code != http.StatusBadRequest {
		t.Errorf("a bad mobile: HTTP %d, want 400", code)
	}
	// Expiry, on the injected clock.
	c.otp(mobile)
	code := f.latestOTP(mobile)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		t.Fatalf("OTP %q is not 6 digits", code)
	}
	f.advance(locker.OTPValidity + time.Second)
	if st, _ := c.verify(mobile, code, "135790"); st != http.StatusUnauthorized {
		t.Errorf("an expired OTP: HTTP %d, want 401", st)
	}
	// Three wrong tries void it.
	c.otp(mobile)
	code = f.latestOTP(mobile)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	for i := range 3 {
		if st, _ := c.verify(mobile, wrong, "135790"); st != http.StatusUnauthorized {
			t.Errorf("wrong try %d: HTTP %d, want 401", i+1, st)
		}
	}
	if st, _ := c.verify(mobile, code, "135790"); st != http.StatusUnauthorized {
		t.Errorf("the right OTP after 3 wrong tries: HTTP %d, want 401", st)
	}
	// Single use; a PIN that is not 6 digits is refused before the OTP is
	// used, so the same OTP still signs in with the PIN retyped.
	c.otp(mobile)
	code = f.latestOTP(mobile)
	if st, _ := c.verify(mobile, code, "12"); st == 200 {
		t.Fatalf("a 2-digit PIN: HTTP %d", st)
	}
	if st, _ := c.verify(mobile, code, "135790"); st != 200 {
		t.Fatalf("the right OTP after a mistyped PIN: HTTP %d", st)
	}
	if st, _ := c.verify(mobile, code, "135790"); st != http.StatusUnauthorized {
		t.Errorf("the OTP used again: HTTP %d, want 401", st)
	}
	// Three sent so far this hour: two more, then 429; an hour later again.
	for i := range 2 {
		if st := c.otp(mobile); st != http.StatusAccepted {
			t.Fatalf("OTP %d of the hour: HTTP %d", i+4, st)
		}
	}
	if st := c.otp(mobile); st != http.StatusTooManyRequests {
		t.Errorf("the 6th OTP in an hour: HTTP %d, want 429", st)
	}
	if st := c.otp("9123456789"); st != http.StatusAccepted {
		t.Errorf("another mobile is not limited: HTTP %d", st)
	}
	f.advance(time.Hour)
	if st := c.otp(mobile); st != http.StatusAccepted {
		t.Errorf("an hour later: HTTP %d, want 202", st)
	}
	assertNoSecrets(t, f, code)
}

// TestPINAndSession: the first sign-in sets the PIN, later ones need it;
// the cookie is HttpOnly and SameSite; 15 idle minutes or logout end it.
func TestPINAndSession(t *testing.T) {
	f := newSandbox(t)
	c := f.client()
	c.otp(mobile)
	if st, _ := c.verify(mobile, f.latestOTP(mobile), "12345"); st != http.StatusBadRequest {
		t.Errorf("a 5-digit first PIN: HTTP %d, want 400", st)
	}
	c = f.signIn(mobile, "135790")
	u, _ := url.Parse(f.srv.URL)
	if cks := c.http.Jar.Cookies(u); len(cks) != 1 || cks[0].Name != locker.SessionCookie {
		t.Fatalf("cookies %v", cks)
	}
	req, _ := http.NewRequest("POST", f.srv.URL+"/api/auth/otp", strings.NewReader(`{"mobile":"`+mobile+`"}`))
	req.Header.Set("Content-Type", "application/json")
	http.DefaultClient.Do(req)
	body := strings.NewReader(`{"mobile":"` + mobile + `","otp":"` + f.latestOTP(mobile) + `","pin":"135790"}`)
	resp, err := http.Post(f.srv.URL+"/api/auth/verify", "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	sc := resp.Header.Get("Set-Cookie")
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") {
		t.Errorf("Set-Cookie %q: want HttpOnly and SameSite", sc)
	}
	other := f.client()
	other.otp(mobile)
	if st, _ := other.verify(mobile, f.latestOTP(mobile), "999999"); st != http.StatusUnauthorized {
		t.Errorf("the wrong PIN: HTTP %d, want 401", st)
	}
	// Idle timeout: 14 minutes between requests keep it; 16 end it.
	for range 2 {
		f.advance(14 * time.Minute)
		if st, _ := c.do("GET", "/api/me", nil, nil, nil); st != 200 {
			t.Fatalf("after 14 idle minutes: HTTP %d, want 200", st)
		}
	}
	f.advance(16 * time.Minute)
	if st, _ := c.do("GET", "/api/me", nil, nil, nil); st != http.StatusUnauthorized {
		t.Errorf("after 16 idle minutes: HTTP %d, want 401", st)
	}
	c = f.signIn(mobile, "135790")
	if st, _ := c.do("POST", "/api/auth/logout", map[string]string{}, nil, nil); st != 200 {
		t.Fatalf("logout: HTTP %d", st)
	}
	if st, _ := c.do("GET", "/api/me/issued", nil, nil, nil); st != http.StatusUnauthorized {
		t.Errorf("after logout: HTTP %d, want 401", st)
	}
}

// TestCSRF: a form without the token, with another token, a browser's
// cross-origin POST and a JSON route posted as a form are all refused.
func TestCSRF(t *testing.T) {
	f := newSandbox(t)
	c := f.client()
	resp, err := c.http.Get(f.srv.URL + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	post := func(path string, form url.Values, hdr map[string]string) int {
		req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	u, _ := url.Parse(f.srv.URL)
	var token string
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == "lk_csrf" {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatal("the sign-in page set no CSRF cookie")
	}
	for name, tc := range map[string]struct {
		path string
		form url.Values
		hdr  map[string]string
		want int
	}{
		"no token":           {"/signin", url.Values{"mobile": {mobile}}, nil, 403},
		"wrong token":        {"/signin", url.Values{"mobile": {mobile}, "csrf": {"x" + token}}, nil, 403},
		"cross-origin":       {"/signin", url.Values{"mobile": {mobile}, "csrf": {token}}, map[string]string{"Sec-Fetch-Site": "cross-site"}, 403},
		"JSON route as form": {"/api/auth/otp", url.Values{"mobile": {mobile}}, nil, http.StatusUnsupportedMediaType},
		"the right token":    {"/signin", url.Values{"mobile": {mobile}, "csrf": {token}}, nil, 200},
		"oversized":          {"/signin", url.Values{"mobile": {strings.Repeat("9", 70<<10)}, "csrf": {token}}, nil, http.StatusRequestEntityTooLarge},
	} {
		if got := post(tc.path, tc.form, tc.hdr); got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", name, got, tc.want)
		}
	}
	if _, err := f.store.LatestOTP(t.Context(), mobile, f.now()); err != nil {
		t.Errorf("the accepted form sent no OTP: %v", err)
	}
	// An empty cookie (as a sibling site could plant) with an empty field.
	req, _ := http.NewRequest("POST", f.srv.URL+"/signin", strings.NewReader(url.Values{"mobile": {mobile}, "csrf": {""}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", "lk_csrf=")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an empty CSRF cookie and field: HTTP %d, want 403", resp.StatusCode)
	}
}

// TestPullBySearch: the Pull URI goes as DigiLocker sends it; Status 1, 0
// and 9; Issued Documents from pulls and pushes; fetch verified; activity.
func TestPullBySearch(t *testing.T) {
	f := newSandbox(t)
	c := f.signIn(mobile, "135790")
	if st, out := c.pull(meeraRoll, meeraYear); st != http.StatusConflict || out["error"] != "aadhaar_not_linked" {
		t.Errorf("pull before linking Aadhaar: HTTP %d %v", st, out)
	}
	// A push for her Aadhaar arrives before she links it.
	f.push("p1", details(alice, issuer+"-SSCER-pushed1", "A"))
	if st, _ := c.do("POST", "/api/me/aadhaar", map[string]string{"aadhaar": alice[:11] + "0", "name": meeraName, "dob": meeraDOB}, nil, nil); st != 400 {
		t.Errorf("a number failing Verhoeff: HTTP %d, want 400", st)
	}
	var me map[string]any
	c.do("POST", "/api/me/aadhaar", map[string]string{"aadhaar": alice, "name": meeraName, "dob": meeraDOB}, nil, &me)
	if me["aadhaar_last4"] != alice[8:] || me["aadhaar_linked"] != true {
		t.Errorf("after linking: %v", me)
	}
	var me2 map[string]any
	c.do("GET", "/api/me", nil, nil, &me2)
	st, out := c.pull(meeraRoll, meeraYear)
	if st != 200 || out["uri"] != meeraURI || out["status"] != "issued" {
		t.Fatalf("pull: HTTP %d %v", st, out)
	}
	r := f.pulled()
	if r.Kind != "PullURIRequest" || r.Get("DocType") != "SSCER" || len(r.Get("DigiLockerId")) != 36 || r.Get("DigiLockerId") != me2["digilocker_id"] ||
		r.Get("UID") != md5hex(alice) || r.Get("FullName") != meeraName || r.Get("DOB") != meeraDOB || r.OrgID == "" || r.TS == "" || r.Txn == "" {
		t.Errorf("the Pull URI request: %+v", r)
	}
	if st, out := c.pull("7500004", meeraYear); st != http.StatusNotFound || out["error"] != "not_found" {
		t.Errorf("Status 0: HTTP %d %v, want 404 not_found", st, out)
	}
	if st, out := c.pull(pendingRoll, meeraYear); st != http.StatusAccepted || out["status"] != "pending" {
		t.Errorf("Status 9: HTTP %d %v, want 202 pending", st, out)
	}
	for name, params := range map[string]map[string]string{"missing Year": {"RollNo": meeraRoll}, "extra": {"RollNo": meeraRoll, "Year": meeraYear, "X": "1"}} {
		if st, _ := c.do("POST", "/api/me/pull", map[string]any{"issuer": issuer, "doctype": "SSCER", "parameters": params}, nil, nil); st != 400 {
			t.Errorf("%s: HTTP %d, want 400", name, st)
		}
	}
	var issued []map[string]string
	c.do("GET", "/api/me/issued", nil, nil, &issued)
	sources := map[string]string{}
	for _, d := range issued {
		sources[d["uri"]] = d["source"]
	}
	if len(issued) != 2 || sources[meeraURI] != "pull" || sources[issuer+"-SSCER-pushed1"] != "push" || issued[0]["doc_name"] == "" {
		t.Errorf("Issued Documents: %v", issued)
	}
	var doc []byte
	st, hdr := c.do("GET", "/api/me/issued/"+meeraURI+"?format=xml", nil, nil, &doc)
	if st != 200 || hdr.Get("X-Signature-Verified") == "" || !bytes.Contains(doc, []byte(`number="75000032025"`)) {
		t.Errorf("fetch xml: HTTP %d verified %q %.100s", st, hdr.Get("X-Signature-Verified"), doc)
	}
	var js map[string]any
	if st, _ := c.do("GET", "/api/me/issued/"+meeraURI+"?format=json", nil, nil, &js); st != 200 || js["Certificate"] == nil {
		t.Errorf("fetch json: HTTP %d %v", st, js)
	}
	st, hdr = c.do("GET", "/api/me/issued/"+meeraURI+"?format=pdf", nil, nil, &doc)
	if st != 200 || hdr.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(doc, []byte("%PDF")) {
		t.Errorf("fetch pdf: HTTP %d %s", st, hdr.Get("Content-Type"))
	}
	if st, _ := c.do("GET", "/api/me/issued/"+issuer+"-SSCER-notmine", nil, nil, nil); st != 404 {
		t.Errorf("a URI she does not hold: HTTP %d, want 404", st)
	}
	var act []map[string]string
	c.do("GET", "/api/me/activity", nil, nil, &act)
	var actions []string
	for _, a := range act {
		actions = append(actions, a["action"])
	}
	want := "view view view pull pull pull aadhaar_linked signin signup"
	if got := strings.Join(actions, " "); got != want {
		t.Errorf("activity newest first: %q, want %q", got, want)
	}
	assertNoSecrets(t, f, "")
}

// consentWorld is Meera with her marksheet pulled, and the bank's session.
func consentWorld(t *testing.T) (*sandbox, *client, *client, string) {
	f := newSandbox(t)
	c := f.meera()
	if st, _ := c.pull(meeraRoll, meeraYear); st != 200 {
		t.Fatalf("pull: HTTP %d", st)
	}
	bank := f.client()
	var s map[string]string
	st, _ := bank.do("POST", "/kyc/digilocker/sessions/init", map[string]any{"flow": "signin", "doc_types": []string{"SSCER"},
		"redirect_url": "https://bank.example/done", "purpose": "Education loan"}, bankHdr, &s)
	if st != 200 || !strings.HasSuffix(s["authorization_url"], "/consent/"+s["session_id"]) {
		t.Fatalf("init: HTTP %d %v", st, s)
	}
	return f, c, bank, s["session_id"]
}

var (
	bankHdr  = map[string]string{"Authorization": "bank", "x-api-key": bankKey}
	otherHdr = map[string]string{"Authorization": "other", "x-api-key": otherKey}
)

func (c *client) status(id string, hdr map[string]string) (int, string) {
	var out map[string]any
	st, _ := c.do("GET", "/kyc/digilocker/sessions/"+id+"/status", nil, hdr, &out)
	s, _ := out["status"].(string)
	return st, s
}

func (c *client) document(id, dt string, hdr map[string]string) (int, map[string]any) {
	var out map[string]any
	st, _ := c.do("GET", "/kyc/digilocker/sessions/"+id+"/documents/"+dt, nil, hdr, &out)
	return st, out
}

// TestConsentSession: seed 004's flow, through Pull Doc and through the
// issuer's API Setu certificate API with a signed consent artifact.
func TestConsentSession(t *testing.T) {
	for _, setu := range []bool{false, true} {
		t.Run(map[bool]string{false: "pulldoc", true: "apisetu"}[setu], func(t *testing.T) {
			f, c, bank, id := consentWorld(t)
			if setu {
				is, _ := f.store.Issuer(t.Context(), issuer)
				dts := []locker.DocType{{DocType: "SSCER", Name: "Class X Marksheet", Parameters: []string{"RollNo", "Year"}}}
				if err := f.store.SetIssuerDirectory(t.Context(), issuer, "Test Board", dts, locker.APISetu{URL: is.PullURL, ClientID: setuClient, APIKey: "setu-key"}); err != nil {
					t.Fatal(err)
				}
			}
			for name, hdr := range map[string]map[string]string{"wrong key": {"Authorization": "bank", "x-api-key": otherKey},
				"unknown": {"Authorization": "nobody", "x-api-key": bankKey}, "none": nil} {
				if st, _ := bank.status(id, hdr); st != 401 {
					t.Errorf("%s: status HTTP %d, want 401", name, st)
				}
			}
			if st, s := bank.status(id, bankHdr); st != 200 || s != "pending" {
				t.Errorf("status: %d %q", st, s)
			}
			if st, _ := bank.document(id, "SSCER", bankHdr); st != http.StatusConflict {
				t.Errorf("documents before consent: HTTP %d, want 409", st)
			}
			if st, _ := bank.status(id, otherHdr); st != 403 {
				t.Errorf("another requester's status: HTTP %d, want 403", st)
			}
			if st, _ := c.do("POST", "/api/me/consents", map[string]any{"session_id": id, "grant": true}, nil, nil); st != 200 {
				t.Fatalf("grant: HTTP %d", st)
			}
			if st, _ := c.do("POST", "/api/me/consents", map[string]any{"session_id": id, "grant": false}, nil, nil); st != http.StatusConflict {
				t.Errorf("deciding twice: HTTP %d, want 409", st)
			}
			if st, s := bank.status(id, bankHdr); st != 200 || s != "succeeded" {
				t.Errorf("status after the grant: %d %q", st, s)
			}
			if st, _ := bank.document(id, "SSCER", otherHdr); st != 403 {
				t.Errorf("another requester's documents: HTTP %d, want 403", st)
			}
			if st, _ := bank.document(id, "HSCER", bankHdr); st != 403 {
				t.Errorf("a DocType not granted: HTTP %d, want 403", st)
			}
			st, d := bank.document(id, "SSCER", bankHdr)
			xml, _ := base64.StdEncoding.DecodeString(d["xml"].(string))
			if st != 200 || d["signature_verified"] != true || d["uri"] != meeraURI || d["doc_type"] != "SSCER" || d["issuer"] != issuer ||
				!bytes.Contains(xml, []byte("<Signature")) || d["data"] == nil {
				t.Fatalf("documents: HTTP %d %v", st, d)
			}
			if hits, why := f.setuReads(); setu && (len(hits) != 1 || hits[0].Purpose.Description != "Education loan") {
				t.Errorf("certificate API reads %d (%q), want 1", len(hits), why)
			}
			if setu { // the issuer refuses the locker's client: the requester hears of a failure upstream
				dts := []locker.DocType{{DocType: "SSCER", Name: "Class X Marksheet", Parameters: []string{"RollNo", "Year"}}}
				is, _ := f.store.Issuer(t.Context(), issuer)
				f.store.SetIssuerDirectory(t.Context(), issuer, "Test Board", dts, locker.APISetu{URL: is.PullURL, ClientID: setuClient, APIKey: "wrong"})
				if st, d := bank.document(id, "SSCER", bankHdr); st != http.StatusBadGateway || !strings.Contains(d["message"].(string), "invalid_authentication") {
					t.Errorf("the certificate API refuses: HTTP %d %v, want 502", st, d)
				}
			}
			var act []map[string]string
			c.do("GET", "/api/me/activity", nil, nil, &act)
			if act[0]["action"] != "document_shared" || !strings.Contains(act[0]["detail"], "Bank bank") || act[1]["action"] != "consent_granted" {
				t.Errorf("activity: %v", act[:2])
			}
		})
	}
}

// TestConsentDeniedAndExpired: a denial fails the session; an undecided
// one expires after 10 minutes, a granted one after its access time.
func TestConsentDeniedAndExpired(t *testing.T) {
	f, c, bank, id := consentWorld(t)
	c.do("POST", "/api/me/consents", map[string]any{"session_id": id, "grant": false}, nil, nil)
	if st, s := bank.status(id, bankHdr); s != "failed" {
		t.Errorf("status after a denial: %d %q", st, s)
	}
	if st, d := bank.document(id, "SSCER", bankHdr); st != 403 || d["error"] != "consent_denied" {
		t.Errorf("documents after a denial: HTTP %d %v, want 403 consent_denied", st, d)
	}
	open := func() string {
		var s map[string]string
		bank.do("POST", "/kyc/digilocker/sessions/init", map[string]any{"flow": "signin", "doc_types": []string{"SSCER"}}, bankHdr, &s)
		return s["session_id"]
	}
	late := open()
	f.advance(locker.ConsentWait + time.Second)
	if _, s := bank.status(late, bankHdr); s != "expired" {
		t.Errorf("undecided for 10 minutes: %q, want expired", s)
	}
	if st, _ := c.do("POST", "/api/me/consents", map[string]any{"session_id": late, "grant": true}, nil, nil); st != http.StatusConflict {
		t.Errorf("granting an expired session: HTTP %d, want 409", st)
	}
	if st, d := bank.document(late, "SSCER", bankHdr); st != http.StatusForbidden || d["error"] != "session_expired" {
		t.Errorf("documents of an expired session: HTTP %d %v, want 403 session_expired", st, d)
	}
	c = f.meera() // the clock moved past her idle timeout
	granted := open()
	c.do("POST", "/api/me/consents", map[string]any{"session_id": granted, "grant": true}, nil, nil)
	if st, _ := bank.document(granted, "SSCER", bankHdr); st != 200 {
		t.Fatalf("documents: HTTP %d", st)
	}
	f.advance(locker.DefaultAccess + time.Second)
	if _, s := bank.status(granted, bankHdr); s != "expired" {
		t.Errorf("after the access time: %q, want expired", s)
	}
	if st, d := bank.document(granted, "SSCER", bankHdr); st != http.StatusForbidden || d["error"] != "session_expired" {
		t.Errorf("documents after the access time: HTTP %d %v, want 403 session_expired", st, d)
	}
	// A citizen without the document allows: nothing to read.
	empty := f.signIn("9123456789", "112233")
	none := open()
	empty.do("POST", "/api/me/consents", map[string]any{"session_id": none, "grant": true}, nil, nil)
	if st, d := bank.document(none, "SSCER", bankHdr); st != http.StatusForbidden || d["error"] != "not_held" {
		t.Errorf("a granted DocType the citizen does not hold: HTTP %d %v, want 403 not_held", st, d)
	}
	c = f.signIn(mobile, "135790") // idle for an hour
	var act []map[string]string
	c.do("GET", "/api/me/activity", nil, nil, &act)
	found := false
	for _, a := range act {
		found = found || a["action"] == "consent_denied"
	}
	if !found {
		t.Errorf("no consent_denied in the activity: %v", act)
	}
}

// assertNoSecrets: no OTP, PIN, Aadhaar or session token in the logs.
func assertNoSecrets(t *testing.T, f *sandbox, otp string) {
	t.Helper()
	logs := f.logs.String()
	for name, s := range map[string]string{"Aadhaar": alice, "Aadhaar MD5": md5hex(alice), "PIN": "135790", "OTP": otp} {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the logs hold the %s", name)
		}
	}
	if strings.Contains(logs, locker.SessionCookie+"=") {
		t.Error("the logs hold a session cookie")
	}
}

// TestSignInNextStaysOnSite: the page sign-in sends the citizen to its
// next only when that is a path of this site. A tab inside it (dropped by
// browsers, so "/\t/evil.example" is //evil.example) once passed the check
// and came back as the Location.
func TestSignInNextStaysOnSite(t *testing.T) {
	f := newSandbox(t)
	for _, tc := range []struct{ next, want string }{
		{"/\t/evil.example/phish", "/issued"},
		{"/issued?doc=1", "/issued?doc=1"},
	} {
		c := f.client()
		resp, err := c.http.Get(f.srv.URL + "/signin")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		u, _ := url.Parse(f.srv.URL)
		var token string
		for _, ck := range c.http.Jar.Cookies(u) {
			if ck.Name == "lk_csrf" {
				token = ck.Value
			}
		}
		if code := c.otp(mobile); code != http.StatusAccepted {
			t.Fatalf("OTP: HTTP %d", code)
		}
		form := url.Values{"mobile": {mobile}, "otp": {f.latestOTP(mobile)}, "pin": {"135790"}, "csrf": {token}, "next": {tc.next}}
		req, _ := http.NewRequest("POST", f.srv.URL+"/signin/verify", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err = c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
			t.Errorf("next %q: HTTP %d, Location %q, want 303 to %q", tc.next, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
}

// TestNumbersAsTyped: a mobile with +91 and spaces signs in as the 10
// digits, and an Aadhaar number typed as on the card, in groups of four,
// links.
func TestNumbersAsTyped(t *testing.T) {
	f := newSandbox(t)
	c := f.client()
	typed := "+91 " + mobile[:5] + " " + mobile[5:]
	if code := c.otp(typed); code != http.StatusAccepted {
		t.Fatalf("OTP for %q: HTTP %d", typed, code)
	}
	if code, id := c.verify(typed, f.latestOTP(mobile), "135790"); code != 200 || len(id) != 36 {
		t.Fatalf("sign-in as %q: HTTP %d %q", typed, code, id)
	}
	var me map[string]any
	grouped := alice[:4] + " " + alice[4:8] + " " + alice[8:]
	if st, _ := c.do("POST", "/api/me/aadhaar", map[string]string{"aadhaar": grouped, "name": meeraName, "dob": meeraDOB}, nil, &me); st != 200 || me["aadhaar_last4"] != alice[8:] {
		t.Fatalf("linking %q: HTTP %d %v", grouped, st, me)
	}
}
