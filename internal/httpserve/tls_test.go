package httpserve

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testCA issues certificates for the TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  string // file with the CA certificate
}

func newTestCA(t testing.TB, dir string) *testCA {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "issuerkit test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{cert: cert, key: key, pem: filepath.Join(dir, "ca.pem")}
	os.WriteFile(ca.pem, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	return ca
}

var serial int64 = 10

// leaf writes a server certificate and key for hosts, valid from
// notBefore to notAfter, to dir/name.{crt,key}.
func (ca *testCA) leaf(t testing.TB, dir, name string, hosts []string, notBefore, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
		NotBefore: notBefore, NotAfter: notAfter, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// startTLS serves "hello" over TLS with the pair and returns the address.
func startTLS(t testing.TB, certFile, keyFile string) (string, *CertReloader) {
	t.Helper()
	r, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := New("", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") }))
	go func() { done <- ServeTLS(ctx, srv, l, r) }()
	ReloadOnSIGHUP(ctx, r, slog.New(slog.DiscardHandler))
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeTLS: %v", err)
		}
	})
	return l.Addr().String(), r
}

func client(roots *x509.CertPool, maxVersion uint16) *http.Client {
	cfg := ClientTLSConfig(roots)
	cfg.MaxVersion = maxVersion
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
}

func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir)
	now := time.Now()
	good, goodKey := ca.leaf(t, dir, "good", []string{"127.0.0.1", "localhost"}, now.Add(-time.Hour), now.Add(time.Hour))
	expired, expiredKey := ca.leaf(t, dir, "expired", []string{"127.0.0.1"}, now.Add(-2*time.Hour), now.Add(-time.Hour))
	other, otherKey := ca.leaf(t, dir, "other", []string{"other.example"}, now.Add(-time.Hour), now.Add(time.Hour))
	roots, err := LoadCAFile(ca.pem)
	if err != nil {
		t.Fatal(err)
	}

	addr, _ := startTLS(t, good, goodKey)
	resp, err := client(roots, 0).Get("https://" + addr + "/")
	if err != nil {
		t.Fatalf("a valid certificate from the bundle's CA: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hello" || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("reply %q over %+v", b, resp.TLS)
	}
	if _, err := client(nil, 0).Get("https://" + addr + "/"); err == nil {
		t.Error("a client with the system roots trusted the private CA")
	}
	// TLS 1.1 is refused by the server.
	old := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	if c, err := tls.Dial("tcp", addr, old); err == nil {
		c.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}

	for name, pair := range map[string][2]string{"expired": {expired, expiredKey}, "wrong host": {other, otherKey}} {
		addr, _ := startTLS(t, pair[0], pair[1])
		_, err := client(roots, 0).Get("https://" + addr + "/")
		if err == nil || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("%s certificate: err = %v, want a verification error", name, err)
		}
	}
}

// TestSIGHUPReload: after SIGHUP new handshakes get the new certificate,
// and a connection opened before keeps working.
func TestSIGHUPReload(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, dir)
	now := time.Now()
	certFile, keyFile := ca.leaf(t, dir, "first", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour))
	addr, _ := startTLS(t, certFile, keyFile)
	roots, _ := LoadCAFile(ca.pem)
	c := client(roots, 0)
	serialOf := func() *big.Int {
		t.Helper()
		resp, err := c.Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.TLS.PeerCertificates[0].SerialNumber
	}
	first := serialOf()
	// A second pair replaces the files; SIGHUP reloads it.
	newCert, newKey := ca.leaf(t, dir, "second", []string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour))
	os.Rename(newCert, certFile)
	os.Rename(newKey, keyFile)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	// The kept-alive connection is not dropped: it still answers, with
	// the certificate it was opened with.
	if got := serialOf(); got.Cmp(first) != 0 {
		t.Fatalf("the open connection changed certificate (%v → %v)", first, got)
	}
	fresh := client(roots, 0)
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := fresh.Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		fresh.CloseIdleConnections()
		if resp.TLS.PeerCertificates[0].SerialNumber.Cmp(first) != 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a new connection still gets the old certificate after SIGHUP")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
