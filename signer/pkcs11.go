//go:build cgo

package signer

import (
	"crypto"
	"fmt"
	"io"
	"strings"

	"github.com/ThalesGroup/crypto11"
)

// OpenPKCS11 logs in to the token u names and returns its private key as a
// crypto.Signer: signing happens on the token, the key never leaves it.
// Close the returned io.Closer when done with the key.
func OpenPKCS11(u PKCS11URI) (crypto.Signer, io.Closer, error) {
	pin, err := u.PIN()
	if err != nil {
		return nil, nil, err
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: u.ModulePath, TokenLabel: u.Token, TokenSerial: u.Serial,
		SlotNumber: u.Slot, Pin: pin, MaxSessions: 64})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: open the token: %w", u, err)
	}
	var label []byte
	if u.Object != "" {
		label = []byte(u.Object)
	}
	key, err := ctx.FindKeyPair(u.ID, label)
	if err != nil && !strings.Contains(err.Error(), "not found") {
		ctx.Close()
		return nil, nil, fmt.Errorf("%s: find the key: %w", u, err)
	}
	if key == nil {
		ctx.Close()
		return nil, nil, fmt.Errorf("%s: no such key pair on the token (both the private and the public key must carry the same CKA_ID)", u)
	}
	return key, ctx, nil
}
