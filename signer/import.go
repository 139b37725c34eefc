package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

// KeySource names an issuer's own signing key and certificate.
type KeySource struct {
	// KeyFile is a PEM private key (PKCS#1, SEC 1, PKCS#8, or encrypted
	// PKCS#8) or a PKCS#12 bundle (.p12, .pfx) holding key and chain.
	KeyFile string
	// CertFile is the PEM certificate chain, leaf first; a PKCS#12 bundle
	// needs none.
	CertFile string
	// Passphrase opens an encrypted PEM key or a PKCS#12 bundle.
	Passphrase []byte
}

// ErrPassphrase means the passphrase does not open the key.
var ErrPassphrase = errors.New("wrong or missing passphrase")

// LoadKeyPair reads and checks a key pair: the key parses, the certificate
// certifies it, the certificate is valid at now and the key is strong
// enough to sign with. Every error names the file at fault.
func LoadKeyPair(src KeySource, now time.Time) (crypto.Signer, []*x509.Certificate, error) {
	b, err := os.ReadFile(src.KeyFile)
	if err != nil {
		return nil, nil, fmt.Errorf("read key: %w", err)
	}
	var key crypto.Signer
	var chain []*x509.Certificate
	switch strings.ToLower(filepath.Ext(src.KeyFile)) {
	case ".p12", ".pfx":
		k, leaf, cas, err := pkcs12.DecodeChain(b, string(src.Passphrase))
		if err != nil {
			if errors.Is(err, pkcs12.ErrIncorrectPassword) {
				return nil, nil, fmt.Errorf("key %s: %w", src.KeyFile, ErrPassphrase)
			}
			return nil, nil, fmt.Errorf("key %s: not a readable PKCS#12 bundle: %v", src.KeyFile, err)
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, nil, fmt.Errorf("key %s: unsupported key type %T", src.KeyFile, k)
		}
		key, chain = s, append([]*x509.Certificate{leaf}, cas...)
	default:
		if key, err = parseKeyPEMWithPassphrase(b, src.Passphrase); err != nil {
			return nil, nil, fmt.Errorf("key %s: %w", src.KeyFile, err)
		}
	}
	if src.CertFile != "" {
		if chain, err = LoadCertsFile(src.CertFile); err != nil {
			return nil, nil, err
		}
	}
	certName := src.CertFile
	if certName == "" {
		certName = src.KeyFile
	}
	if len(chain) == 0 {
		return nil, nil, fmt.Errorf("key %s: no certificate given (use a certificate file)", src.KeyFile)
	}
	if !MatchesKey(chain[0], key) {
		return nil, nil, fmt.Errorf("certificate %s does not certify the key in %s", certName, src.KeyFile)
	}
	if leaf := chain[0]; now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return nil, nil, fmt.Errorf("certificate %s is valid from %s to %s, not now", certName,
			leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly))
	}
	if _, err := New(key, chain); err != nil {
		return nil, nil, fmt.Errorf("key %s: %w", src.KeyFile, err)
	}
	return key, chain, nil
}

// parseKeyPEMWithPassphrase is ParseKeyPEM that also opens encrypted PKCS#8.
func parseKeyPEMWithPassphrase(b, pass []byte) (crypto.Signer, error) {
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch {
		case block.Type == "ENCRYPTED PRIVATE KEY":
			if len(pass) == 0 {
				return nil, fmt.Errorf("the key is encrypted: %w", ErrPassphrase)
			}
			k, err := pkcs8.ParsePKCS8PrivateKey(block.Bytes, pass)
			if err != nil {
				return nil, ErrPassphrase
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported key type %T", k)
			}
			return s, nil
		case block.Headers["Proc-Type"] == "4,ENCRYPTED":
			return nil, errors.New("legacy PEM encryption (Proc-Type: 4,ENCRYPTED) is weak and not accepted: convert with `openssl pkcs8 -topk8`")
		}
	}
	return ParseKeyPEM(b)
}

// LoadPKCS11Pair opens the key a PKCS#11 URI names and checks it against
// the certificate chain in certFile as LoadKeyPair does, and also that the
// token really signs with it. Close the io.Closer when done with the key.
func LoadPKCS11Pair(uri, certFile string, now time.Time) (crypto.Signer, []*x509.Certificate, io.Closer, error) {
	u, err := ParsePKCS11URI(uri)
	if err != nil {
		return nil, nil, nil, err
	}
	chain, err := LoadCertsFile(certFile)
	if err != nil {
		return nil, nil, nil, err
	}
	if len(chain) == 0 {
		return nil, nil, nil, fmt.Errorf("certificate %s: no certificate in it", certFile)
	}
	key, closer, err := OpenPKCS11(u)
	if err != nil {
		return nil, nil, nil, err
	}
	fail := func(err error) (crypto.Signer, []*x509.Certificate, io.Closer, error) {
		closer.Close()
		return nil, nil, nil, err
	}
	if !MatchesKey(chain[0], key) {
		return fail(fmt.Errorf("certificate %s does not certify the key %s", certFile, u))
	}
	if leaf := chain[0]; now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return fail(fmt.Errorf("certificate %s is valid from %s to %s, not now", certFile,
			leaf.NotBefore.Format(time.DateOnly), leaf.NotAfter.Format(time.DateOnly)))
	}
	if _, err := New(key, chain); err != nil {
		return fail(fmt.Errorf("key %s: %w", u, err))
	}
	if err := checkSigns(key); err != nil {
		return fail(fmt.Errorf("key %s: a test signature failed: %w", u, err))
	}
	return key, chain, closer, nil
}

// checkSigns signs a digest with key and verifies it with the public key.
func checkSigns(key crypto.Signer) error {
	digest := sha256.Sum256([]byte("issuerkit key check"))
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return err
	}
	switch pub := key.Public().(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			return errors.New("the ECDSA signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unsupported key type %T", key.Public())
}
