package aadhaar

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the size of the master key file.
const KeySize = 32

// Keyring holds the keys derived from the home's master key: one for AES-GCM
// encryption of numbers to push, one for the lookup HMAC.
type Keyring struct {
	aead   cipher.AEAD
	macKey []byte
}

// NewKey returns a fresh random master key.
func NewKey() ([]byte, error) {
	k := make([]byte, KeySize)
	_, err := rand.Read(k)
	return k, err
}

// NewKeyring derives the encryption and lookup keys from master.
func NewKeyring(master []byte) (*Keyring, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("aadhaar key must be %d bytes, got %d", KeySize, len(master))
	}
	encKey, err := hkdf.Key(sha256.New, master, nil, "issuerkit aadhaar aes-gcm v1", 32)
	if err != nil {
		return nil, err
	}
	macKey, err := hkdf.Key(sha256.New, master, nil, "issuerkit aadhaar lookup hmac v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keyring{aead: aead, macKey: macKey}, nil
}

// Encrypt seals number with a random nonce; the URI is bound as associated
// data so a ciphertext cannot be moved to another document's row.
func (k *Keyring) Encrypt(number, uri string) ([]byte, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(number)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return k.aead.Seal(nonce, nonce, []byte(number), []byte(uri)), nil
}

// ErrDecrypt means a ciphertext was not made by this keyring for that URI.
var ErrDecrypt = errors.New("aadhaar ciphertext does not open with this home's key")

// Decrypt opens a ciphertext made by Encrypt for the same uri.
func (k *Keyring) Decrypt(ct []byte, uri string) (string, error) {
	n := k.aead.NonceSize()
	if len(ct) < n {
		return "", ErrDecrypt
	}
	pt, err := k.aead.Open(nil, ct[:n], ct[n:], []byte(uri))
	if err != nil {
		return "", ErrDecrypt
	}
	return string(pt), nil
}

// LookupHash is the keyed hash the catalog indexes documents by. It is the
// HMAC of the MD5 hex of the number, so it can be computed both from a raw
// number and from the MD5 that Pull URI v1.13 sends as UID.
func (k *Keyring) LookupHash(number string) string {
	sum := md5.Sum([]byte(number))
	return k.LookupHashFromMD5(hex.EncodeToString(sum[:]))
}

// LookupHashFromMD5 computes LookupHash from the MD5 hex of a number.
func (k *Keyring) LookupHashFromMD5(md5hex string) string {
	m := hmac.New(sha256.New, k.macKey)
	m.Write([]byte(strings.ToLower(md5hex)))
	return hex.EncodeToString(m.Sum(nil))
}
