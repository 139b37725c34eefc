package signer

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// PKCS11URI names a private key on a PKCS#11 token (an HSM, a smart card,
// SoftHSM): the subset of RFC 7512 issuerkit uses.
//
//	pkcs11:token=issuer;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/issuerkit/pin
type PKCS11URI struct {
	Token  string // the token's label
	Serial string // or its serial number
	Slot   *int   // or its slot (slot-id)
	Object string // the key's label (CKA_LABEL)
	ID     []byte // or its CKA_ID
	// ModulePath is the PKCS#11 library.
	ModulePath string
	// PinSource is a file holding the user PIN (file:/path or a path);
	// PinValue is the PIN itself (discouraged: it ends up in the config).
	PinSource, PinValue string
}

// PINEnv is the environment variable a token's PIN may come from.
const PINEnv = "ISSUERKIT_PKCS11_PIN"

// IsPKCS11URI reports whether s is a PKCS#11 URI rather than a file name.
func IsPKCS11URI(s string) bool { return strings.HasPrefix(s, "pkcs11:") }

// ParsePKCS11URI parses a PKCS#11 URI. It needs a token (token, serial or
// slot-id), a key (object or id) and a module-path.
func ParsePKCS11URI(s string) (PKCS11URI, error) {
	var u PKCS11URI
	if !IsPKCS11URI(s) {
		return u, errors.New("not a PKCS#11 URI (those start with \"pkcs11:\")")
	}
	path, query, _ := strings.Cut(strings.TrimPrefix(s, "pkcs11:"), "?")
	bad := func(format string, a ...any) (PKCS11URI, error) {
		return PKCS11URI{}, fmt.Errorf("PKCS#11 URI: "+format, a...)
	}
	for _, attr := range strings.Split(path, ";") {
		if attr == "" {
			continue
		}
		k, v, ok := strings.Cut(attr, "=")
		if !ok {
			return bad("attribute %q has no value", attr)
		}
		val, err := url.PathUnescape(v)
		if err != nil {
			return bad("attribute %s: %v", k, err)
		}
		switch k {
		case "token":
			u.Token = val
		case "serial":
			u.Serial = val
		case "slot-id":
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 {
				return bad("slot-id %q is not a number", val)
			}
			u.Slot = &n
		case "object":
			u.Object = val
		case "id":
			u.ID = []byte(val)
		case "type":
			if val != "private" {
				return bad("type=%s: the signing key is a private key", val)
			}
		case "manufacturer", "model", "library-manufacturer", "library-description", "library-version", "slot-description", "slot-manufacturer":
			// informative; the token is chosen by token, serial or slot-id
		default:
			return bad("unknown attribute %q", k)
		}
	}
	for _, attr := range strings.Split(query, "&") {
		if attr == "" {
			continue
		}
		k, v, _ := strings.Cut(attr, "=")
		val, err := url.QueryUnescape(v)
		if err != nil {
			return bad("%s: %v", k, err)
		}
		switch k {
		case "module-path":
			u.ModulePath = val
		case "pin-source":
			u.PinSource = val
		case "pin-value":
			u.PinValue = val
		default:
			return bad("unknown query attribute %q", k)
		}
	}
	n := 0
	for _, set := range []bool{u.Token != "", u.Serial != "", u.Slot != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return bad("name the token with token=, serial= or slot-id=")
	case n > 1:
		return bad("name the token one way only (token=, serial= or slot-id=)")
	case u.Object == "" && len(u.ID) == 0:
		return bad("name the key with object= or id=")
	case u.ModulePath == "":
		return bad("module-path= must name the PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so)")
	}
	return u, nil
}

// PIN returns the token's user PIN: from pin-value, the pin-source file
// (which must not be readable by others), or $ISSUERKIT_PKCS11_PIN.
func (u PKCS11URI) PIN() (string, error) {
	switch {
	case u.PinValue != "":
		return u.PinValue, nil
	case u.PinSource != "":
		p := strings.TrimPrefix(u.PinSource, "file:")
		fi, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("PKCS#11 PIN: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("PKCS#11 PIN file %s is accessible to other users (mode %v): chmod 600 it", p, fi.Mode().Perm())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return "", fmt.Errorf("PKCS#11 PIN: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if v, ok := os.LookupEnv(PINEnv); ok {
		return v, nil
	}
	return "", fmt.Errorf("PKCS#11: no PIN (set %s, or pin-source=file:/path in the URI)", PINEnv)
}

// String names the token and key, without module or PIN, for messages.
func (u PKCS11URI) String() string {
	var b strings.Builder
	b.WriteString("pkcs11:")
	var attrs []string
	switch {
	case u.Token != "":
		attrs = append(attrs, "token="+url.PathEscape(u.Token))
	case u.Serial != "":
		attrs = append(attrs, "serial="+url.PathEscape(u.Serial))
	case u.Slot != nil:
		attrs = append(attrs, "slot-id="+strconv.Itoa(*u.Slot))
	}
	if u.Object != "" {
		attrs = append(attrs, "object="+url.PathEscape(u.Object))
	}
	if len(u.ID) > 0 {
		attrs = append(attrs, "id="+url.PathEscape(string(u.ID)))
	}
	b.WriteString(strings.Join(attrs, ";"))
	return b.String()
}
