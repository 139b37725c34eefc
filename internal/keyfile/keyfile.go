// Package keyfile keeps the API keys that parties exchange out of band (a
// requester's key at the issuer, a requester's key at the reference
// locker) in files: read when the file exists, else made and written
// there once, 0600, never printed.
package keyfile

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// ReadOrCreate returns the key in the file at path, trimmed, refusing one
// shorter than minLen; when the file does not exist it writes a new random
// key there (32 bytes, base64url; the file created exclusively, 0600) and
// reports that it did.
func ReadOrCreate(path string, minLen int) (key string, created bool, err error) {
	if path == "" {
		return "", false, errors.New("no API key file")
	}
	b, err := os.ReadFile(path)
	if err == nil {
		key = strings.TrimSpace(string(b))
		if len(key) < minLen {
			return "", false, fmt.Errorf("API key in %s: shorter than %d characters", path, minLen)
		}
		return key, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", false, err
	}
	key = base64.RawURLEncoding.EncodeToString(raw[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", false, err
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		os.Remove(path)
		return "", false, err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return "", false, err
	}
	return key, true, nil
}
