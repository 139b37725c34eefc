package signer

import (
	"crypto"
	"crypto/x509"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// issue makes a certificate for key signed by parent (self-signed when nil).
func issue(t *testing.T, key crypto.Signer, cn string, ca bool, parent *x509.Certificate, parentKey crypto.Signer, notAfter time.Time) *x509.Certificate {
	return testenv.IssueCert(t, key, cn, ca, parent, parentKey, notAfter, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign)
}

func TestVerifyChain(t *testing.T) {
	year := time.Now().Add(365 * 24 * time.Hour)
	rootKey, _ := GenerateKey(ECDSAP256)
	root := issue(t, rootKey, "Root CA", true, nil, nil, year)
	interKey, _ := GenerateKey(ECDSAP256)
	inter := issue(t, interKey, "Issuing CA", true, root, rootKey, year)
	leafKey, _ := GenerateKey(RSA2048)
	leaf := issue(t, leafKey, "Board signing key", false, inter, interKey, year)
	otherKey, _ := GenerateKey(ECDSAP256)
	other := issue(t, otherKey, "Other CA", true, nil, nil, year)

	sign := func(chain ...*x509.Certificate) []byte {
		s, err := New(leafKey, chain)
		if err != nil {
			t.Fatal(err)
		}
		doc := testDoc(t)
		if err := s.Sign(doc); err != nil {
			t.Fatal(err)
		}
		b, _ := xmlschema.Bytes(doc)
		// Every certificate of the chain is in SignEnveloped's KeyInfo too.
		var e xmlschema.Encoded
		if err := testCert().Encode(&e); err != nil {
			t.Fatal(err)
		}
		if direct, err := s.SignEnveloped(e.Doc, e.End, e.Canon); err != nil || string(direct) != string(b) {
			t.Fatalf("SignEnveloped with %d certificates differs from Sign (%v):\n%s\n%s", len(chain), err, direct, b)
		}
		return b
	}
	pool := func(cs ...*x509.Certificate) *x509.CertPool {
		p := x509.NewCertPool()
		for _, c := range cs {
			p.AddCert(c)
		}
		return p
	}
	full := sign(leaf, inter)
	if _, err := (&Verifier{Roots: pool(root)}).Verify(full); err != nil {
		t.Fatalf("chain to the root: %v", err)
	}
	tests := []struct {
		name string
		doc  []byte
		v    *Verifier
		want string
	}{
		{"another CA", full, &Verifier{Roots: pool(other)}, "untrusted chain"},
		{"intermediate missing", sign(leaf), &Verifier{Roots: pool(root)}, "untrusted chain"},
		{"expired", full, &Verifier{Roots: pool(root), Now: time.Now().Add(2 * 365 * 24 * time.Hour)}, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.v.Verify(tt.doc)
			if !errors.Is(err, ErrUntrustedCert) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Verify: %v, want ErrUntrustedCert mentioning %q", err, tt.want)
			}
		})
	}
	// A chained document is still tamper-evident.
	if _, err := (&Verifier{Roots: pool(root)}).Verify([]byte(strings.Replace(string(full), `marksTotal="91"`, `marksTotal="99"`, 1))); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered chained document: %v", err)
	}

	// The independent check: xmlsec1 trusts the root and builds the chain
	// from KeyInfo.
	xmlsec := testenv.Xmlsec1(t)
	dir := t.TempDir()
	rootPath := filepath.Join(dir, "root.pem")
	os.WriteFile(rootPath, MarshalCertsPEM(root), 0o644)
	docPath := filepath.Join(dir, "doc.xml")
	os.WriteFile(docPath, full, 0o644)
	if out, err := exec.Command(xmlsec, "--verify", "--trusted-pem", rootPath, docPath).CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 rejects the chained document: %v\n%s", err, out)
	}
}
