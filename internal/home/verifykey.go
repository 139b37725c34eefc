package home

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// VerifyKeyFile holds the key of the /verify links' tokens (32 random
// bytes, hex, 0600). A printed document carries its token for good, so the
// key is never replaced: not by `init --force`, not by a key rotation.
const VerifyKeyFile = "keys/verify.key"

// DefaultServeAddr is where `serve` listens unless told otherwise.
const DefaultServeAddr = "127.0.0.1:8080"

// PublicURL is where the public reaches the repository API, the base of a
// document's /verify link: api.public_url, or else the address serve
// listens on (addr; DefaultServeAddr when empty) over http, a wildcard
// host read as the loopback. serve and get both ask it, so a PDF printed
// by either links to the same place.
func (h *Home) PublicURL(addr string) string {
	if h.Config.API.PublicURL != "" {
		return h.Config.API.PublicURL
	}
	if addr == "" {
		addr = DefaultServeAddr
	}
	if len(addr) > 0 && addr[0] == ':' {
		addr = "127.0.0.1" + addr
	}
	if len(addr) > 8 && addr[:8] == "0.0.0.0:" {
		addr = "127.0.0.1" + addr[7:]
	}
	return "http://" + addr
}

// VerifyKey loads the key /verify tokens are made with, creating it on
// first use: a home made before tokens existed gets one the first time
// serve or get needs it. Two processes creating it at once agree on one.
func (h *Home) VerifyKey() ([]byte, error) {
	p := h.Path(VerifyKeyFile)
	k, err := readHexSecret(p)
	if err == nil {
		if len(k) < 16 {
			return nil, fmt.Errorf("verify key %s is too short", p)
		}
		return k, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		// Decided by the read's own error: a second Stat could see the
		// key another caller has just linked, and return this caller's
		// stale "no such file".
		return nil, err
	}
	if err := createVerifyKey(p); err != nil {
		return nil, fmt.Errorf("create the verify key: %w", err)
	}
	return readHexSecret(p)
}

// createVerifyKey writes a fresh key to p unless one is there: the key is
// written whole to a temporary file and linked into place, so a reader
// never sees half a key and a concurrent creator's key wins or loses whole.
func createVerifyKey(p string) error {
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	tmp := p + ".new-" + rand.Text()
	if err := writeFileAtomic(tmp, []byte(fmt.Sprintf("%x\n", k)), 0o600); err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, p); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return nil
}
