package locker_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/locker"
)

// TestJSONBadInput: every JSON endpoint answers a malformed or oversized
// body with a 4xx and a JSON error, never a stack trace.
func TestJSONBadInput(t *testing.T) {
	f := newSandbox(t)
	c := f.meera()
	routes := []struct {
		path string
		hdr  map[string]string
	}{
		{"/api/auth/otp", nil}, {"/api/auth/verify", nil}, {"/api/me/aadhaar", nil}, {"/api/me/pull", nil},
		{"/api/me/consents", nil}, {"/kyc/digilocker/sessions/init", bankHdr},
	}
	bodies := map[string]struct {
		body []byte
		want int
	}{
		"malformed":     {[]byte(`{"mobile": `), 400},
		"not an object": {[]byte(`[1,2,3]`), 400},
		"two values":    {[]byte(`{} {}`), 400},
		"wrong types":   {[]byte(`{"mobile": 5, "grant": "yes", "doc_types": "SSCER", "parameters": [1]}`), 400},
		"oversized":     {append(append([]byte(`{"mobile":"`), bytes.Repeat([]byte("9"), 1<<20)...), `"}`...), 413},
	}
	for _, rt := range routes {
		for name, b := range bodies {
			req, _ := http.NewRequest("POST", f.srv.URL+rt.path, bytes.NewReader(b.body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range rt.hdr {
				req.Header.Set(k, v)
			}
			resp, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			reply, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var e map[string]string
			if resp.StatusCode != b.want || json.Unmarshal(reply, &e) != nil || e["error"] == "" ||
				strings.Contains(string(reply), "goroutine") || strings.Contains(string(reply), ".go:") {
				t.Errorf("%s %s: HTTP %d %.200s, want %d and a JSON error", rt.path, name, resp.StatusCode, reply, b.want)
			}
		}
	}
	// Unknown consent session, unknown DocType, bad format.
	for _, tc := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"POST", "/api/me/consents", map[string]any{"session_id": "nope", "grant": true}, 404},
		{"POST", "/api/me/consents", map[string]any{"session_id": "nope"}, 400},
		{"POST", "/api/me/pull", map[string]any{"issuer": issuer, "doctype": "NOPE", "parameters": map[string]string{}}, 404},
		{"GET", "/api/me/issued/x?format=doc", nil, 400},
		{"GET", "/kyc/digilocker/sessions/nope/status", nil, 404},
		{"GET", "/api/auth/otp", nil, 404},
		{"POST", "/api/nothing", map[string]string{}, 404},
		{"DELETE", "/kyc/digilocker/sessions/x/status", nil, 404},
	} {
		var e map[string]string
		if st, _ := c.do(tc.method, tc.path, tc.body, bankHdr, &e); st != tc.want || e["error"] == "" {
			t.Errorf("%s %s: HTTP %d %v, want %d", tc.method, tc.path, st, e, tc.want)
		}
	}
	// A session's redirect_url must stay under the requester's own.
	var e map[string]string
	if st, _ := c.do("POST", "/kyc/digilocker/sessions/init", map[string]any{"flow": "signin", "doc_types": []string{"SSCER"},
		"redirect_url": "https://evil.example/"}, bankHdr, &e); st != 400 {
		t.Errorf("a foreign redirect_url: HTTP %d, want 400", st)
	}
}

func TestParseDocType(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // "" = an error
	}{
		{"SSCER=Class X Marksheet:RollNo,Year", "SSCER|Class X Marksheet|RollNo,Year"},
		{" DRVLC = Driving Licence : DLNo ", "DRVLC|Driving Licence|DLNo"},
		{"SSCER=Class X", ""},
		{"SSCER:RollNo", ""},
		{"sscer=Class X:RollNo", ""},
		{"SSCER=Class X:Roll No", ""},
		{"SSCER=:RollNo", ""},
		{"SSCER=Class X:,", ""},
	} {
		dt, err := locker.ParseDocType(tc.in)
		got := ""
		if err == nil {
			got = dt.DocType + "|" + dt.Name + "|" + strings.Join(dt.Parameters, ",")
		}
		if got != tc.want {
			t.Errorf("ParseDocType(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func FuzzParseDocType(f *testing.F) {
	f.Add("SSCER=Class X Marksheet:RollNo,Year")
	f.Add("A=:")
	f.Fuzz(func(t *testing.T, s string) {
		dt, err := locker.ParseDocType(s)
		if err != nil {
			return
		}
		if dt.Name == "" || len(dt.Parameters) == 0 {
			t.Fatalf("%q parsed to %+v", s, dt)
		}
		for _, p := range dt.Parameters {
			if p == "" || strings.ContainsAny(p, "<>&\" ,") {
				t.Fatalf("%q: parameter %q is not an element name", s, p)
			}
		}
	})
}
