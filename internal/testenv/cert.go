package testenv

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// IssueCert makes a certificate for key with common name cn, valid from an
// hour ago to notAfter, signed by parent's parentKey (self-signed when
// parent is nil), a CA when ca is set, with key usage usage.
func IssueCert(t testing.TB, key crypto.Signer, cn string, ca bool, parent *x509.Certificate, parentKey crypto.Signer,
	notAfter time.Time, usage x509.KeyUsage) *x509.Certificate {
	t.Helper()
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: notAfter, BasicConstraintsValid: true, IsCA: ca, KeyUsage: usage}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
