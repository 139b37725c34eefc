//go:build integration

package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/apisetu"
)

// TestAPISetuTwoServers runs the certificate API the way a board does:
// requester add, consent trust, consent sign, and two serve processes on
// one catalog (SQLite file, PostgreSQL). A consent allowing two uses a day
// is served once by each and then refused by either, since the count is
// the catalog's; audit --consent shows all three uses.
func TestAPISetuTwoServers(t *testing.T) {
	bin := buildBinary(t)
	for _, catalog := range []string{"sqlite", "postgres"} {
		t.Run(catalog, func(t *testing.T) {
			dir := t.TempDir()
			home := filepath.Join(dir, "home")
			args := []string{"--home", home, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE"}
			if catalog == "postgres" {
				args = append(args, "--catalog-dsn", testenv.StartPostgres(t))
			}
			mustCLI(t, args...)
			mustCLI(t, "--home", home, "ingest", "--quiet", "--profile", profile, sample)
			keyFile := filepath.Join(dir, "bank.key")
			out := mustCLI(t, "--home", home, "requester", "add", "--id", "bank.example", "--api-key-file", keyFile, "--doctypes", "sscer").stdout
			if !strings.Contains(out, "new key written") {
				t.Fatalf("requester add: %s", out)
			}
			if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("key file: %v %v", fi, err)
			}
			key, _ := os.ReadFile(keyFile)
			if r := runCLI(t, "--home", home, "requester", "add", "--id", "bank.example", "--api-key-file", filepath.Join(dir, "other.key")); r.code == 0 || !strings.Contains(r.stderr, "already exists") {
				t.Fatalf("a second add of the id: exit %d %s", r.code, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "other.key")); err == nil {
				t.Error("a refused add left its new key file behind")
			}
			// A DocType the home does not issue is refused (a typo could not
			// be fixed: ids are not reused).
			if r := runCLI(t, "--home", home, "requester", "add", "--id", "typo.example", "--api-key-file", filepath.Join(dir, "typo.key"), "--doctypes", "SSCER,SSCR"); r.code != exitUsage || !strings.Contains(r.stderr, "issues no SSCR (it issues SSCER)") {
				t.Fatalf("an unknown DocType: exit %d %s", r.code, r.stderr)
			}
			list := mustCLI(t, "--home", home, "requester", "list", "--json").stdout
			if strings.Contains(list, strings.TrimSpace(string(key))) || !strings.Contains(list, `"doctypes":["SSCER"]`) {
				t.Fatalf("requester list --json: %s", list)
			}
			cmKey, cmCert := writeConsentManager(t, dir)
			mustCLI(t, "--home", home, "consent", "trust", "--id", "test-cm", "--cert", cmCert)
			if l := mustCLI(t, "--home", home, "consent", "list").stdout; !strings.Contains(l, "test-cm") {
				t.Fatalf("consent list: %s", l)
			}
			meera := strings.Split(strings.Split(readFile(t, sample), "\n")[1], ",")
			consentFile := filepath.Join(dir, "consent.json")
			os.WriteFile(consentFile, []byte(`{"dataConsumer": {"id": "bank.example"}, "dataProvider": {"id": "in.gov.cbse"},
				"purpose": {"description": "education loan"}, "user": {"idType": "AADHAAR", "idNumber": "`+meera[8]+`"},
				"data": {"id": "SSCER"}, "permission": {"access": "VIEW", "frequency": {"unit": "DAY", "value": 1, "repeats": 2}}}`), 0o600)
			artifact := mustCLI(t, "consent", "sign", "--key", cmKey, "--consent", consentFile).stdout
			var a struct {
				Consent consent.Consent `json:"consent"`
			}
			if err := json.Unmarshal([]byte(artifact), &a); err != nil || !consent.IsUUID(a.Consent.ConsentID) {
				t.Fatalf("consent sign: %v %s", err, artifact)
			}
			var logs syncLog
			addrs := [2]string{freeAddr(t), freeAddr(t)}
			for i := range addrs {
				startListener(t, &logs, &addrs[i], false, func(addr string) *exec.Cmd {
					return exec.Command(bin, "--home", home, "serve", "--addr", addr, "--metrics-addr", "")
				})
			}
			body := `{"txnId": "` + consent.NewID() + `", "format": "xml", "consentArtifact": ` + artifact + `,
				"certificateParameters": {"RollNo": "` + meera[0] + `", "YEAR": ` + meera[1] + `, "FullName": "` + meera[3] + `", "DOB": "11-12-2009"}}`
			for i, want := range []int{200, 200, 401} {
				code, reply := postCertificate(t, "http://"+addrs[i%2], strings.TrimSpace(string(key)), body)
				if code != want {
					t.Fatalf("use %d on server %d: HTTP %d %.300s, want %d\n%s", i+1, i%2, code, reply, want, logs.String())
				}
				if want == 200 {
					f := filepath.Join(dir, "got.xml")
					os.WriteFile(f, reply, 0o600)
					if v := runCLI(t, "--home", home, "verify", f); v.code != 0 {
						t.Fatalf("the certificate does not verify: %s %s", v.stdout, v.stderr)
					}
				}
			}
			var audit string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if audit = mustCLI(t, "--home", home, "audit", "--consent", a.Consent.ConsentID).stdout; strings.Count(audit, "apisetu:bank.example") == 3 {
					break
				}
			}
			if strings.Count(audit, "granted, format xml") != 2 || !strings.Contains(audit, "refused: consent rule repeats") || !strings.Contains(audit, "purpose education loan") {
				t.Fatalf("audit --consent:\n%s", audit)
			}
			mustCLI(t, "--home", home, "requester", "revoke", "bank.example")
			// Another process's revocation is seen within apisetu.RequesterTTL.
			code, reply := 0, []byte(nil)
			for deadline := time.Now().Add(apisetu.RequesterTTL + 5*time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
				if code, reply = postCertificate(t, "http://"+addrs[0], strings.TrimSpace(string(key)), body); code == 401 && strings.Contains(string(reply), "invalid_authentication") {
					break
				}
			}
			if code != 401 || !strings.Contains(string(reply), "invalid_authentication") {
				t.Fatalf("after revoke: HTTP %d %s", code, reply)
			}
			for _, secret := range []string{meera[8], strings.TrimSpace(string(key)), a.Consent.ConsentID + "x"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("the logs hold a secret %.6s…", secret)
				}
			}
		})
	}
}

func writeConsentManager(t *testing.T, dir string) (keyFile, certFile string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(k)
	keyFile, certFile = filepath.Join(dir, "cm.key"), filepath.Join(dir, "cm.crt")
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	c := testenv.IssueCert(t, k, "test consent manager", false, nil, nil, time.Now().Add(time.Hour), x509.KeyUsageDigitalSignature)
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600)
	return keyFile, certFile
}

func postCertificate(t *testing.T, base, key, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/apisetu/sscer/certificate", bytes.NewReader([]byte(body)))
	req.Header.Set("X-APISETU-CLIENTID", "bank.example")
	req.Header.Set("X-APISETU-APIKEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
