//go:build integration

package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
	"go.yaml.in/yaml/v3"
)

// TestProfileCheck: the shipped profiles have no deviation from their
// official schemas (exit 0); one with an element the schema does not know
// is listed and exits 1.
func TestProfileCheck(t *testing.T) {
	for _, p := range []string{"cbse-sscer.yaml", "cbse-hscer.yaml", "transport-drvlc.yaml"} {
		r := mustCLI(t, "profile", "check", "--profile", "../../samples/profiles/"+p)
		if !strings.Contains(r.stdout, ": 0 deviations") {
			t.Errorf("%s: %s", p, r.stdout)
		}
	}
	mustCLI(t, "profile", "check", "--profile", profile, sample)
	src, _ := os.ReadFile(profile)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(string(src), "    - element: School\n", "    - element: Remarks\n      attrs: {text: x}\n    - element: School\n", 1)), 0o600)
	r := runCLI(t, "profile", "check", "--profile", bad, sample)
	if r.code != 1 || !strings.Contains(r.stdout, "Certificate/CertificateData/Remarks: unknown element (row 2)") {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestPushToConfiguredEndpoint: push.endpoint names a gateway's own path,
// and a locker on that path answering in the JSON form takes every push.
func TestPushToConfiguredEndpoint(t *testing.T) {
	w := newPushWorld(t, 6)
	const path = "/public/account/1/pushuri"
	w.startLocker("--push-path", path, "--reply-form", "json")
	cfgPath := filepath.Join(w.home, "issuerkit.yaml")
	b, _ := os.ReadFile(cfgPath)
	var cfg map[string]any
	if err := yaml.Unmarshal(b, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["push"] = map[string]any{"gateway": "http://127.0.0.1:1", "endpoint": "http://" + w.addr + path}
	b, _ = yaml.Marshal(cfg)
	os.WriteFile(cfgPath, b, 0o600)
	r := runCLI(t, "--home", w.home, "push", "--once", "--backoff", "50ms")
	if r.code != 0 || w.outbox().Pending != 0 || w.outbox().Dead != 0 {
		t.Fatalf("push: exit %d %+v\n%s", r.code, w.outbox(), r.stderr)
	}
}

// TestServeTLS: serve --tls-cert/--tls-key answers a signed Pull URI over
// HTTPS to a client trusting the certificate, and refuses a plain-HTTP one.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	hd := filepath.Join(dir, "home")
	mustCLI(t, "--home", hd, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE")
	mustCLI(t, "--home", hd, "ingest", "--quiet", "--profile", profile, sample)
	certFile, keyFile, pool := selfSigned(t, dir)
	addr := freeAddr(t)
	cmd := exec.Command(buildBinary(t), "--home", hd, "serve", "--addr", addr, "--tls-cert", certFile, "--tls-key", keyFile)
	var logs syncLog
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, addr)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	key, _ := os.ReadFile(filepath.Join(hd, "keys", "api-key"))
	body := `<PullURIRequest xmlns="http://tempuri.org/" ver="3.0" ts="` + time.Now().Format(time.RFC3339) + `" txn="tls-1" keyhash="" format="xml"><DocDetails><DocType>SSCER</DocType><FullName>Meera Nair</FullName><DOB>11-12-2009</DOB><RollNo>7500003</RollNo><Year>2025</Year></DocDetails></PullURIRequest>`
	req, _ := http.NewRequest("POST", "https://"+addr+"/digilocker/pulluri", strings.NewReader(body))
	req.Header.Set("x-digilocker-hmac", signHex(key, body))
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("HTTPS pull: %v\n%s", err, logs.String())
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || !strings.Contains(string(reply), `Status="1"`) || !strings.Contains(string(reply), `gender="Female"`) {
		t.Fatalf("HTTP %d over %v: %s", resp.StatusCode, resp.TLS, reply)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil && resp.StatusCode == 200 {
		resp.Body.Close()
		t.Fatal("plain HTTP was answered on the TLS port")
	}
}

func signHex(key []byte, body string) string {
	return xmlschema.SignBody(bytes.TrimSpace(key), []byte(body))
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and returns a
// pool trusting it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(k)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
