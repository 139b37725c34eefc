package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
)

// RSA backends (Options.RSABackend).
const (
	// BackendAuto signs RSA keys from files through OpenSSL's libcrypto when
	// it can be loaded, else through crypto/rsa.
	BackendAuto = ""
	// BackendOpenSSL requires libcrypto: New fails without it.
	BackendOpenSSL = "openssl"
	// BackendGo always uses crypto/rsa.
	BackendGo = "go"
)

// rsaBackend picks the implementation of RSA signatures for key and names
// it. A key that is not an *rsa.PrivateKey (an HSM's, through PKCS#11)
// signs with its own Sign.
func rsaBackend(key crypto.Signer, choice string) (crypto.Signer, string, error) {
	switch choice {
	case BackendAuto, BackendOpenSSL, BackendGo:
	default:
		return nil, "", fmt.Errorf("signer: RSA backend %q: want openssl, go or empty for automatic", choice)
	}
	priv, ok := key.(*rsa.PrivateKey)
	if !ok {
		return key, "the key's own signer (PKCS#11 token)", nil
	}
	if choice == BackendGo {
		return key, "crypto/rsa (Go)", nil
	}
	fast, err := newOpenSSLRSA(priv)
	if err == nil {
		return fast, "OpenSSL libcrypto (" + opensslVersion() + ")", nil
	}
	if choice == BackendOpenSSL {
		return nil, "", fmt.Errorf("signer: %w", err)
	}
	return key, "crypto/rsa (Go; " + err.Error() + ")", nil
}

// keyBackend names the implementation of a non-RSA key's signatures.
func keyBackend(key crypto.Signer) string {
	if _, ok := key.(*ecdsa.PrivateKey); ok {
		return "crypto/ecdsa (Go)"
	}
	return "the key's own signer (PKCS#11 token)"
}
