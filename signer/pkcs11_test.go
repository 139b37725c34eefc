//go:build cgo

package signer

import (
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestPKCS11SoftHSM signs with keys that live in a real PKCS#11 token
// (SoftHSM2), each algorithm checked by issuerkit and by xmlsec1, and
// checks the errors of a bad PIN, a missing key, a certificate for another
// key and an expired certificate.
func TestPKCS11SoftHSM(t *testing.T) {
	xmlsec := testenv.Xmlsec1(t)
	hsm := testenv.StartSoftHSM(t)
	dir := t.TempDir()
	for _, ac := range []algCase{algCases[0], algCases[2]} {
		t.Run(ac.name, func(t *testing.T) {
			kind := map[KeyType]string{RSA2048: "rsa2048", ECDSAP256: "ecdsa-p256"}[ac.keyType]
			onToken := hsm.GenerateKey(t, kind, "sign-"+kind)
			// The certificate is made by the token's key itself.
			cert, err := SelfSignedCert(onToken, "HSM Board", "HSM Board", time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			certPath := writeTemp(t, dir, kind+".crt", MarshalCertsPEM(cert))
			key, chain, closer, err := LoadPKCS11Pair(hsm.URI("sign-"+kind), certPath, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			defer closer.Close()
			tree, b := signedWithCheck(t, testKey{key, chain[0]}, ac)
			for _, signed := range [][]byte{tree, b} {
				if err := xmlsecVerify(xmlsec, certPath, writeTemp(t, dir, kind+".xml", signed)); err != nil {
					t.Fatalf("xmlsec1 rejects the token's %s signature: %v", ac.name, err)
				}
				if _, err := (&Verifier{Trusted: []*x509.Certificate{chain[0]}}).Verify(signed); err != nil {
					t.Fatalf("issuerkit rejects the token's %s signature: %v", ac.name, err)
				}
			}
			tampered := strings.Replace(string(b), "Test Board", "Evil Board", 1)
			if err := xmlsecVerify(xmlsec, certPath, writeTemp(t, dir, "bad.xml", []byte(tampered))); err == nil {
				t.Fatal("xmlsec1 accepted a tampered document")
			}
		})
	}

	t.Run("errors", func(t *testing.T) {
		hsm.GenerateKey(t, "ecdsa-p256", "other")
		onToken := hsm.GenerateKey(t, "ecdsa-p256", "mine")
		cert, _ := SelfSignedCert(onToken, "HSM Board", "HSM Board", time.Hour)
		certPath := writeTemp(t, dir, "mine.crt", MarshalCertsPEM(cert))
		old, _ := SelfSignedCert(onToken, "HSM Board", "HSM Board", -time.Hour)
		oldPath := writeTemp(t, dir, "old.crt", MarshalCertsPEM(old))
		wrongPIN := writeTemp(t, dir, "wrong-pin", []byte("0000"))
		hsm.Close() // from here on, only the code under test is logged in
		cases := []struct{ uri, cert, want string }{
			{strings.Replace(hsm.URI("mine"), hsm.PINFile, wrongPIN, 1), certPath, "open the token"},
			{hsm.URI("mine"), certPath, ""},
			{hsm.URI("missing"), certPath, "no such key pair"},
			{hsm.URI("other"), certPath, "does not certify the key"},
			{hsm.URI("mine"), oldPath, "not now"},
			{strings.Replace(hsm.URI("mine"), hsm.Module, "/nonexistent/lib.so", 1), certPath, "open the token"},
		}
		for _, c := range cases {
			_, _, closer, err := LoadPKCS11Pair(c.uri, c.cert, time.Now())
			if c.want == "" {
				if err != nil {
					t.Fatalf("good key: %v", err)
				}
				closer.Close()
				continue
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s with %s: %v, want %q", c.uri, c.cert, err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), hsm.PIN) {
				t.Errorf("the error holds the PIN: %v", err)
			}
		}
		os.Chmod(hsm.PINFile, 0o644)
		if _, _, _, err := LoadPKCS11Pair(hsm.URI("mine"), certPath, time.Now()); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("a world-readable PIN file: %v", err)
		}
		os.Chmod(hsm.PINFile, 0o600)
	})
}
