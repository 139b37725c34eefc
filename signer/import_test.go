package signer

import (
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func TestLoadKeyPair(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rsaK, rsaB := keysFor(t, RSA2048)
	ecK, _ := keysFor(t, ECDSAP256)
	certPath := write("cert.pem", MarshalCertsPEM(rsaK.cert))
	plain, _ := MarshalKeyPEM(rsaK.key)
	encDER, err := pkcs8.ConvertPrivateKeyToPKCS8(rsaK.key, []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	enc := pemBlock("ENCRYPTED PRIVATE KEY", encDER)
	p12, err := pkcs12.Modern.Encode(ecK.key, ecK.cert, nil, "p12pass")
	if err != nil {
		t.Fatal(err)
	}
	ecPEM, _ := MarshalKeyPEM(ecK.key)
	expired := issue(t, rsaK.key, "Old", false, nil, nil, time.Now().Add(-time.Minute))
	now := time.Now()

	good := []struct {
		name string
		src  KeySource
	}{
		{"pkcs8 pem", KeySource{KeyFile: write("k.pem", plain), CertFile: certPath}},
		{"encrypted pkcs8", KeySource{KeyFile: write("enc.pem", enc), CertFile: certPath, Passphrase: []byte("s3cret")}},
		{"pkcs12", KeySource{KeyFile: write("k.p12", p12), Passphrase: []byte("p12pass")}},
		{"ec pem", KeySource{KeyFile: write("ec.pem", ecPEM), CertFile: write("ec.crt", MarshalCertsPEM(ecK.cert))}},
	}
	for _, tt := range good {
		t.Run(tt.name, func(t *testing.T) {
			key, chain, err := LoadKeyPair(tt.src, now)
			if err != nil || key == nil || len(chain) == 0 {
				t.Fatalf("LoadKeyPair: %v", err)
			}
		})
	}
	bad := []struct {
		name string
		src  KeySource
		want string
	}{
		{"wrong passphrase", KeySource{KeyFile: write("enc2.pem", enc), CertFile: certPath, Passphrase: []byte("nope")}, "wrong or missing passphrase"},
		{"no passphrase", KeySource{KeyFile: write("enc3.pem", enc), CertFile: certPath}, "encrypted"},
		{"wrong p12 passphrase", KeySource{KeyFile: write("k2.p12", p12), Passphrase: []byte("x")}, "wrong or missing passphrase"},
		{"cert of another key", KeySource{KeyFile: write("k3.pem", plain), CertFile: write("other.crt", MarshalCertsPEM(rsaB.cert))}, "does not certify"},
		{"expired cert", KeySource{KeyFile: write("k4.pem", plain), CertFile: write("old.crt", MarshalCertsPEM(expired))}, "not now"},
		{"malformed key", KeySource{KeyFile: write("junk.pem", []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")), CertFile: certPath}, "junk.pem"},
		{"no key at all", KeySource{KeyFile: write("empty.pem", []byte("hello")), CertFile: certPath}, "no PEM private key"},
		{"legacy encryption", KeySource{KeyFile: write("legacy.pem", []byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n")), CertFile: certPath}, "Proc-Type"},
		{"missing file", KeySource{KeyFile: filepath.Join(dir, "nope.pem"), CertFile: certPath}, "no such file"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadKeyPair(tt.src, now)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadKeyPair: %v, want %q", err, tt.want)
			}
			if strings.Contains(tt.name, "passphrase") && !errors.Is(err, ErrPassphrase) {
				t.Fatalf("%v does not wrap ErrPassphrase", err)
			}
		})
	}
}
