//go:build integration

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// TestSandboxEndToEnd: the real issuer (`serve`) and the reference locker
// (`locker serve`) as separate processes. Meera's marksheet is pushed; she
// signs in with the OTP `locker otp` reads from the outbox, links her
// Aadhaar, pulls the marksheet by roll number through the issuer's Pull
// URI, fetches it verified; the bank opens a consent session and, once she
// allows it, reads the document. Nothing in the locker's data or logs holds
// her Aadhaar number.
func TestSandboxEndToEnd(t *testing.T) {
	w := newSandboxWorld(t)
	const meera, aadhaarNo, uri = "9812345670", "548965425043", "in.gov.cbse-SSCER-75000032025"
	c := w.client()
	c.want(202, "POST", "/api/auth/otp", map[string]string{"mobile": meera}, nil, nil)
	otp := strings.TrimSpace(mustCLI(t, "locker", "otp", "--data", w.data, "--mobile", meera).stdout)
	var id map[string]string
	c.want(200, "POST", "/api/auth/verify", map[string]string{"mobile": meera, "otp": otp, "pin": "246810"}, nil, &id)
	if len(id["digilocker_id"]) != 36 {
		t.Fatalf("digilocker_id %q", id["digilocker_id"])
	}
	c.want(200, "POST", "/api/me/aadhaar", map[string]string{"aadhaar": aadhaarNo, "name": "Meera Nair", "dob": "11-12-2009"}, nil, nil)
	var issued []map[string]string
	c.want(200, "GET", "/api/me/issued", nil, nil, &issued)
	if len(issued) != 1 || issued[0]["uri"] != uri || issued[0]["source"] != "push" {
		t.Errorf("Issued Documents after linking: %v, want the pushed %s", issued, uri)
	}
	var issuers []map[string]any
	c.want(200, "GET", "/api/issuers", nil, nil, &issuers)
	if len(issuers) != 1 || issuers[0]["name"] != "Central Board of Secondary Education" {
		t.Errorf("issuers: %v", issuers)
	}
	pull := func(roll string) map[string]string {
		return map[string]string{"RollNo": roll, "Year": "2025"}
	}
	var got map[string]string
	c.want(200, "POST", "/api/me/pull", map[string]any{"issuer": "in.gov.cbse", "doctype": "SSCER", "parameters": pull("7500003")}, nil, &got)
	if got["uri"] != uri || got["status"] != "issued" {
		t.Fatalf("pull: %v", got)
	}
	c.want(404, "POST", "/api/me/pull", map[string]any{"issuer": "in.gov.cbse", "doctype": "SSCER", "parameters": pull("7500010")}, nil, nil) // another student's
	var doc []byte
	hdr := c.want(200, "GET", "/api/me/issued/"+uri+"?format=xml", nil, nil, &doc)
	if hdr.Get("X-Signature-Verified") == "" || !bytes.Contains(doc, []byte(`number="75000032025"`)) {
		t.Errorf("fetch: verified %q, %.120s", hdr.Get("X-Signature-Verified"), doc)
	}
	c.want(200, "GET", "/api/me/issued/"+uri+"?format=pdf", nil, nil, &doc)
	if !bytes.HasPrefix(doc, []byte("%PDF")) {
		t.Errorf("the PDF: %.20q", doc)
	}

	bank := map[string]string{"Authorization": "bank.example", "x-api-key": w.bankKey}
	var s map[string]string
	c.want(200, "POST", "/kyc/digilocker/sessions/init", map[string]any{"flow": "signin", "doc_types": []string{"SSCER"}, "purpose": "Education loan"}, bank, &s)
	c.want(409, "GET", "/kyc/digilocker/sessions/"+s["session_id"]+"/documents/SSCER", nil, bank, nil)
	c.want(200, "POST", "/api/me/consents", map[string]any{"session_id": s["session_id"], "grant": true}, nil, nil)
	var shared map[string]any
	c.want(200, "GET", "/kyc/digilocker/sessions/"+s["session_id"]+"/documents/SSCER", nil, bank, &shared)
	xml, _ := base64.StdEncoding.DecodeString(shared["xml"].(string))
	if shared["signature_verified"] != true || shared["uri"] != uri || !bytes.Contains(xml, []byte("<ds:Signature")) && !bytes.Contains(xml, []byte("<Signature")) {
		t.Errorf("the bank's document: %v", shared)
	}
	f := filepath.Join(w.dir, "shared.xml")
	os.WriteFile(f, xml, 0o644)
	mustCLI(t, "verify", "--cert", filepath.Join(w.home, "keys", "signing.crt"), f)
	var act []map[string]string
	c.want(200, "GET", "/api/me/activity", nil, nil, &act)
	if act[0]["action"] != "document_shared" || !strings.Contains(act[0]["detail"], "Example Bank") {
		t.Errorf("activity: %v", act[0])
	}
	w.assertNoAadhaar(aadhaarNo, otp)
}

// TestSandboxThroughCertificateAPI: the locker registered with the
// issuer's certificate API reads a requester's document through it, not
// Pull Doc. Meera pulls her marksheet by roll number (search keys plus her
// KYC name and DOB, as the CONTRACT's certificateParameters want), the bank
// opens a session, she grants it, and the bank's verified document comes
// from POST /apisetu/sscer/certificate under a consent artifact the locker
// signed: the issuer's audit shows the use with the locker's client id and
// the bank's purpose, and her activity shows the bank's read.
func TestSandboxThroughCertificateAPI(t *testing.T) {
	w := newSandboxWorld(t, true)
	const meera, aadhaarNo, uri = "9812345670", "548965425043", "in.gov.cbse-SSCER-75000032025"
	c := w.client()
	c.want(202, "POST", "/api/auth/otp", map[string]string{"mobile": meera}, nil, nil)
	otp := strings.TrimSpace(mustCLI(t, "locker", "otp", "--data", w.data, "--mobile", meera).stdout)
	c.want(200, "POST", "/api/auth/verify", map[string]string{"mobile": meera, "otp": otp, "pin": "246810"}, nil, nil)
	c.want(200, "POST", "/api/me/aadhaar", map[string]string{"aadhaar": aadhaarNo, "name": "Meera Nair", "dob": "11-12-2009"}, nil, nil)
	var got map[string]string
	c.want(200, "POST", "/api/me/pull", map[string]any{"issuer": "in.gov.cbse", "doctype": "SSCER",
		"parameters": map[string]string{"RollNo": "7500003", "Year": "2025"}}, nil, &got)
	if got["uri"] != uri {
		t.Fatalf("pull: %v", got)
	}
	if a := mustCLI(t, "--home", w.home, "audit", "--uri", uri).stdout; strings.Contains(a, "apisetu") {
		t.Fatalf("a certificate API use before any requester read:\n%s", a)
	}
	bank := map[string]string{"Authorization": "bank.example", "x-api-key": w.bankKey}
	var s map[string]string
	c.want(200, "POST", "/kyc/digilocker/sessions/init", map[string]any{"flow": "signin", "doc_types": []string{"SSCER"}, "purpose": "Education loan"}, bank, &s)
	c.want(200, "POST", "/api/me/consents", map[string]any{"session_id": s["session_id"], "grant": true}, nil, nil)
	var shared map[string]any
	c.want(200, "GET", "/kyc/digilocker/sessions/"+s["session_id"]+"/documents/SSCER", nil, bank, &shared)
	xml, _ := base64.StdEncoding.DecodeString(fmt.Sprint(shared["xml"]))
	if shared["signature_verified"] != true || shared["uri"] != uri || !bytes.Contains(xml, []byte(`number="75000032025"`)) {
		t.Fatalf("the bank's document: %v", shared)
	}
	use := w.apisetuUse(uri)
	if use.Purpose != "Education loan" || !strings.HasPrefix(use.Reason, "granted") || use.ConsentID == "" {
		t.Fatalf("the certificate API's audit entry: %+v", use)
	}
	if a := mustCLI(t, "--home", w.home, "audit", "--consent", use.ConsentID).stdout; !strings.Contains(a, "apisetu:"+lockerClientID) || !strings.Contains(a, "purpose Education loan") {
		t.Errorf("audit --consent %s:\n%s", use.ConsentID, a)
	}
	var act []map[string]string
	c.want(200, "GET", "/api/me/activity", nil, nil, &act)
	if act[0]["action"] != "document_shared" || !strings.Contains(act[0]["detail"], "Example Bank") || !strings.Contains(act[0]["detail"], "certificate API") {
		t.Errorf("activity: %v", act[0])
	}
	w.assertNoAadhaar(aadhaarNo, otp)
}

// apisetuUse waits for the issuer's audit log to hold the locker's
// certificate API use of uri (serve writes the audit log in the
// background) and returns it.
func (w *sandboxWorld) apisetuUse(uri string) repository.AuditEntry {
	w.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, line := range strings.Split(mustCLI(w.t, "--home", w.home, "audit", "--uri", uri, "--json").stdout, "\n") {
			var a repository.AuditEntry
			if json.Unmarshal([]byte(line), &a) == nil && a.Actor == "apisetu:"+lockerClientID {
				return a
			}
		}
	}
	w.t.Fatalf("no certificate API use of %s by %s in the issuer's audit log\n%s", uri, lockerClientID, w.logs.String())
	return repository.AuditEntry{}
}

// TestSandboxPending: a result held until its release time is Status 9 at
// the real issuer; the student's pull is 202 pending, and nothing joins her
// Issued Documents.
func TestSandboxPending(t *testing.T) {
	w := newSandboxWorld(t)
	input := filepath.Join(w.dir, "supplementary.csv")
	mustCLI(t, "samples", "gen", "--rows", "2", "--seed", "21", "--out", input)
	release := time.Now().Add(2 * time.Hour).Format(time.RFC3339)
	mustCLI(t, "--home", w.home, "ingest", "--quiet", "--profile", profile, "--release-at", release, input)
	raw, _ := os.ReadFile(input)
	row := strings.Split(strings.Split(string(raw), "\n")[1], ",") // RollNo,Year,…,Name,…,DOB,Gender,Aadhaar,Mobile
	c := w.client()
	c.want(202, "POST", "/api/auth/otp", map[string]string{"mobile": row[9]}, nil, nil)
	otp := strings.TrimSpace(mustCLI(t, "locker", "otp", "--data", w.data, "--mobile", row[9]).stdout)
	c.want(200, "POST", "/api/auth/verify", map[string]string{"mobile": row[9], "otp": otp, "pin": "135791"}, nil, nil)
	c.want(200, "POST", "/api/me/aadhaar", map[string]string{"aadhaar": row[8], "name": row[3], "dob": row[6]}, nil, nil)
	var got map[string]string
	c.want(202, "POST", "/api/me/pull", map[string]any{"issuer": "in.gov.cbse", "doctype": "SSCER",
		"parameters": map[string]string{"RollNo": row[0], "Year": row[1]}}, nil, &got)
	if got["status"] != "pending" || got["message"] == "" {
		t.Errorf("a held result: %v, want pending with a message", got)
	}
	var issued []map[string]string
	c.want(200, "GET", "/api/me/issued", nil, nil, &issued)
	if len(issued) != 0 {
		t.Errorf("Issued Documents holds %v", issued)
	}
}

type sandboxWorld struct {
	*pushWorld
	base    string
	bankKey string
}

// The locker's client id at the issuer's certificate API, and its id as a
// consent manager there.
const (
	lockerClientID = "issuerkit-locker"
	lockerCMID     = "issuerkit-locker-cm"
)

// newSandboxWorld starts the issuer and the locker on Meera's marksheet.
// With setu the locker reads requesters' documents through the issuer's
// certificate API: its consent-manager certificate trusted by the issuer,
// it a requester there, its issuer registration naming the API.
func newSandboxWorld(t *testing.T, setu ...bool) *sandboxWorld {
	w := &sandboxWorld{pushWorld: newPushWorld(t, 0)}
	mustCLI(t, "--home", w.home, "ingest", "--quiet", "--profile", profile, sample)
	api := freeAddr(t)
	startListener(t, w.logs, &api, false, func(addr string) *exec.Cmd {
		return exec.Command(w.bin, "--home", w.home, "serve", "--addr", addr)
	})
	// newPushWorld registered the issuer without a pull URL: again, with it.
	add := []string{"locker", "issuer", "add", "--data", w.data, "--id", "in.gov.cbse", "--api-key-file", filepath.Join(w.home, "keys/api-key"),
		"--pull-url", "http://" + api, "--cert", filepath.Join(w.home, "keys/signing.crt"),
		"--name", "Central Board of Secondary Education", "--doctype", "SSCER=Class X Marksheet:RollNo,Year"}
	if len(setu) > 0 && setu[0] {
		cm := filepath.Join(w.dir, "locker-cm.pem")
		os.WriteFile(cm, []byte(mustCLI(t, "locker", "cm-cert", "--data", w.data).stdout), 0o600)
		mustCLI(t, "--home", w.home, "consent", "trust", "--id", lockerCMID, "--cert", cm)
		key := filepath.Join(w.dir, "locker-setu.key")
		mustCLI(t, "--home", w.home, "requester", "add", "--id", lockerClientID, "--api-key-file", key, "--doctypes", "SSCER")
		add = append(add, "--apisetu-url", "http://"+api, "--apisetu-client-id", lockerClientID, "--apisetu-key-file", key)
	}
	mustCLI(t, add...)
	keyFile := filepath.Join(w.dir, "bank.key")
	mustCLI(t, "locker", "requester", "add", "--data", w.data, "--id", "bank.example", "--name", "Example Bank",
		"--api-key-file", keyFile, "--redirect-url", "https://bank.example/done")
	b, _ := os.ReadFile(keyFile)
	w.bankKey = strings.TrimSpace(string(b))
	w.startLocker()
	w.base = "http://" + w.addr
	if code := exitOf(w.push("--once").Wait()); code != 0 {
		t.Fatalf("push --once: exit %d\n%s", code, w.logs.String())
	}
	return w
}

type e2eClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func (w *sandboxWorld) client() *e2eClient {
	jar, _ := cookiejar.New(nil)
	return &e2eClient{t: w.t, base: w.base, http: &http.Client{Jar: jar}}
}

// want sends a JSON request and fails unless the answer has status code;
// out receives the JSON answer (or the bytes, for a *[]byte).
func (c *e2eClient) want(code int, method, path string, body any, hdr map[string]string, out any) http.Header {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
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
	if resp.StatusCode != code {
		c.t.Fatalf("%s %s: HTTP %d %.300s, want %d", method, path, resp.StatusCode, b, code)
	}
	if p, ok := out.(*[]byte); ok {
		*p = b
	} else if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: %v in %.200s", method, path, err, b)
		}
	}
	return resp.Header
}

// assertNoAadhaar: neither the locker's files nor any process's log holds
// the number or the OTP.
func (w *sandboxWorld) assertNoAadhaar(num, otp string) {
	w.t.Helper()
	filepath.WalkDir(w.data, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, _ := os.ReadFile(p); bytes.Contains(b, []byte(num)) {
				w.t.Errorf("%s holds the Aadhaar number in clear", p)
			}
		}
		return nil
	})
	if l := w.logs.String(); strings.Contains(l, num) || strings.Contains(l, "otp="+otp) || strings.Contains(l, `"`+otp+`"`) {
		w.t.Error("the logs hold the Aadhaar number or the OTP")
	}
}
