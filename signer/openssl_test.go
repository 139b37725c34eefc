package signer

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// openSSLKey returns key as the OpenSSL signer; the test fails where the
// build has cgo and libcrypto should be there (make test installs it), and
// is skipped elsewhere (a skip fails under ISSUERKIT_TEST_DISALLOW_SKIP).
func openSSLKey(t testing.TB, key *rsa.PrivateKey) crypto.Signer {
	t.Helper()
	s, err := newOpenSSLRSA(key)
	if err != nil {
		testenv.SkipOrFail(t, err.Error())
	}
	return s
}

// TestOpenSSLSignsLikeCryptoRSA: PKCS#1 v1.5 is deterministic, so OpenSSL's
// signature of a digest must be byte-identical to crypto/rsa's, for every
// key size and hash issuerkit signs with.
func TestOpenSSLSignsLikeCryptoRSA(t *testing.T) {
	for _, bits := range []int{2048, 3072} {
		key, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		fast := openSSLKey(t, key)
		for _, h := range []struct {
			hash crypto.Hash
			sum  func([]byte) []byte
		}{
			{crypto.SHA1, func(b []byte) []byte { s := sha1.Sum(b); return s[:] }},
			{crypto.SHA256, func(b []byte) []byte { s := sha256.Sum256(b); return s[:] }},
			{crypto.SHA384, func(b []byte) []byte { s := sha512.Sum384(b); return s[:] }},
			{crypto.SHA512, func(b []byte) []byte { s := sha512.Sum512(b); return s[:] }},
		} {
			t.Run(fmt.Sprintf("%d/%v", bits, h.hash), func(t *testing.T) {
				for i := range 20 {
					d := h.sum([]byte(fmt.Sprintf("document %d", i)))
					want, err := key.Sign(rand.Reader, d, h.hash)
					if err != nil {
						t.Fatal(err)
					}
					got, err := fast.Sign(rand.Reader, d, h.hash)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("digest %d: OpenSSL and crypto/rsa differ", i)
					}
					if err := rsa.VerifyPKCS1v15(&key.PublicKey, h.hash, d, got); err != nil {
						t.Fatal(err)
					}
				}
			})
		}
	}
}

// TestOpenSSLSignDigests: a batch signed in one call is the signatures
// crypto/rsa gives digest by digest, end to end; a batch that does not add
// up is refused.
func TestOpenSSLSignDigests(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fast := openSSLKey(t, key).(digestsSigner)
	var digests []byte
	for i := range 9 {
		d := sha256.Sum256([]byte(fmt.Sprintf("document %d", i)))
		digests = append(digests, d[:]...)
	}
	sigs, err := fast.SignDigests(digests, 9, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 9*key.Size() {
		t.Fatalf("%d bytes of signatures, want %d", len(sigs), 9*key.Size())
	}
	for i := range 9 {
		want, err := key.Sign(rand.Reader, digests[i*32:(i+1)*32], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sigs[i*key.Size():(i+1)*key.Size()], want) {
			t.Fatalf("signature %d differs from crypto/rsa's", i)
		}
	}
	for name, call := range map[string]func() error{
		"none":      func() error { _, err := fast.SignDigests(nil, 0, crypto.SHA256); return err },
		"too short": func() error { _, err := fast.SignDigests(digests[:40], 2, crypto.SHA256); return err },
		"too many":  func() error { _, err := fast.SignDigests(digests, 8, crypto.SHA256); return err },
		"PSS":       func() error { _, err := fast.SignDigests(digests, 9, &rsa.PSSOptions{Hash: crypto.SHA256}); return err },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

// TestOpenSSLConcurrent signs from many goroutines at once, as ingest's
// workers do.
func TestOpenSSLConcurrent(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fast := openSSLKey(t, key)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				d := sha256.Sum256([]byte(fmt.Sprint(g, i)))
				sig, err := fast.Sign(nil, d[:], crypto.SHA256)
				if err == nil {
					err = rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, d[:], sig)
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestOpenSSLRefuses(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	fast := openSSLKey(t, key)
	d := sha256.Sum256([]byte("x"))
	for name, call := range map[string]func() error{
		"PSS":         func() error { _, err := fast.Sign(nil, d[:], &rsa.PSSOptions{Hash: crypto.SHA256}); return err },
		"MD5":         func() error { _, err := fast.Sign(nil, d[:16], crypto.MD5); return err },
		"wrong size":  func() error { _, err := fast.Sign(nil, d[:20], crypto.SHA256); return err },
		"unknown opt": func() error { _, err := fast.Sign(nil, d[:], crypto.Hash(0)); return err },
	} {
		if err := call(); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
}

// TestBackends: New names its backend; the default for an RSA key from a
// file is OpenSSL, the Go one gives the same signed document, and an
// unknown choice is refused.
func TestBackends(t *testing.T) {
	k, _ := keysFor(t, RSA2048)
	openSSLKey(t, k.key.(*rsa.PrivateKey))
	docs := map[string][]byte{}
	for _, b := range []string{BackendAuto, BackendOpenSSL, BackendGo} {
		s, err := New(k.key, []*x509.Certificate{k.cert}, Options{RSABackend: b})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{BackendAuto: "OpenSSL libcrypto (OpenSSL 3.", BackendOpenSSL: "OpenSSL libcrypto (OpenSSL 3.", BackendGo: "crypto/rsa (Go)"}[b]
		if !strings.HasPrefix(s.Backend(), want) {
			t.Errorf("backend %q: %q, want %q…", b, s.Backend(), want)
		}
		doc := testDoc(t)
		if err := s.Sign(doc); err != nil {
			t.Fatal(err)
		}
		docs[b], _ = doc.WriteToBytes()
	}
	if !bytes.Equal(docs[BackendOpenSSL], docs[BackendGo]) {
		t.Error("the OpenSSL and Go backends signed the same document differently")
	}
	if _, err := New(k.key, []*x509.Certificate{k.cert}, Options{RSABackend: "gpu"}); err == nil {
		t.Error("unknown backend accepted")
	}
	e, _ := keysFor(t, ECDSAP256)
	s, err := New(e.key, []*x509.Certificate{e.cert}, Options{})
	if err != nil || s.Backend() != "crypto/ecdsa (Go)" {
		t.Errorf("ECDSA backend %q, %v", s.Backend(), err)
	}
}

// BenchmarkRSASign compares the two backends' raw RSA-2048 signatures.
func BenchmarkRSASign(b *testing.B) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	d := sha256.Sum256([]byte("x"))
	for name, s := range map[string]crypto.Signer{"go": key, "openssl": openSSLKey(b, key)} {
		b.Run(name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Sign(nil, d[:], crypto.SHA256); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
