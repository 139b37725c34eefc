//go:build !cgo || !linux

package signer

import (
	"crypto"
	"crypto/rsa"
	"errors"
	"io"
)

type opensslRSA struct{}

func newOpenSSLRSA(*rsa.PrivateKey) (*opensslRSA, error) {
	return nil, errors.New("OpenSSL not available: this build has no cgo")
}

func (*opensslRSA) Public() crypto.PublicKey { return nil }

func (*opensslRSA) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("OpenSSL not available")
}

func opensslVersion() string { return "" }
