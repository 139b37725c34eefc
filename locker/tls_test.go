package locker

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestIssuerClientCA: the locker's issuer client trusts the CA bundle it
// is given (an issuer's repository API with a private CA), and only the
// system's roots without one.
func TestIssuerClientCA(t *testing.T) {
	issuer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer issuer.Close()
	st, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pool := x509.NewCertPool()
	pool.AddCert(issuer.Certificate())
	with := NewServer(Config{Store: st, RootCAs: pool})
	defer with.Close()
	resp, err := with.client.Get(issuer.URL)
	if err != nil {
		t.Fatalf("with the issuer's CA: %v", err)
	}
	resp.Body.Close()
	without := NewServer(Config{Store: st})
	defer without.Close()
	if resp, err := without.client.Get(issuer.URL); err == nil {
		resp.Body.Close()
		t.Fatal("the issuer's private CA was trusted without the bundle")
	}
}
