//go:build !cgo

package signer

import (
	"crypto"
	"errors"
	"io"
)

// OpenPKCS11 needs cgo to load a PKCS#11 module; this build has none.
func OpenPKCS11(u PKCS11URI) (crypto.Signer, io.Closer, error) {
	return nil, nil, errors.New("this issuerkit was built without cgo, so it cannot load a PKCS#11 module: rebuild with CGO_ENABLED=1")
}
