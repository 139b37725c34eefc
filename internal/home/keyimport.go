package home

import (
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/signer"
)

// PassphraseEnv holds a key file's passphrase when no file names it.
const PassphraseEnv = "ISSUERKIT_KEY_PASSPHRASE"

// ImportKeyFiles installs the key in keyFile (PEM or PKCS#12) with the
// chain in certFile (not needed for PKCS#12) as the home's signing key,
// after signer.LoadKeyPair's checks. The passphrase is read from
// passphraseFile (its trailing newline dropped) or, without one, from
// $ISSUERKIT_KEY_PASSPHRASE. It returns the chain, leaf first.
func (h *Home) ImportKeyFiles(keyFile, certFile, passphraseFile string) ([]*x509.Certificate, error) {
	var pass []byte
	if passphraseFile != "" {
		b, err := os.ReadFile(passphraseFile)
		if err != nil {
			return nil, fmt.Errorf("read passphrase: %w", err)
		}
		pass = []byte(strings.TrimRight(string(b), "\r\n"))
	} else if v, ok := os.LookupEnv(PassphraseEnv); ok {
		pass = []byte(v)
	}
	key, chain, err := signer.LoadKeyPair(signer.KeySource{KeyFile: keyFile, CertFile: certFile, Passphrase: pass}, time.Now())
	if err != nil {
		return nil, err
	}
	return chain, h.ImportSigningKey(key, chain)
}

// ImportPKCS11 makes the key at the PKCS#11 uri, certified by the chain
// in certFile, the home's signing key, once it has signed with it. The
// uri must not carry the PIN (pin-value): the config would keep it.
func (h *Home) ImportPKCS11(uri, certFile string) ([]*x509.Certificate, error) {
	_, chain, closer, err := signer.LoadPKCS11Pair(uri, certFile, time.Now())
	if err != nil {
		return nil, err
	}
	closer.Close()
	return chain, h.UsePKCS11Key(uri, chain)
}
