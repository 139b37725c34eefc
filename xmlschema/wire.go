package xmlschema

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"strings"
	"sync"
	"unsafe"
)

// HMACHeader is the header that authenticates calls between lockers and
// issuers (digilocker-spec.md §2).
const HMACHeader = "x-digilocker-hmac"

// SignBody returns the x-digilocker-hmac value for body: Base64 of the
// lower-case hex of HMAC-SHA256(key, body), the form deployed lockers send.
func SignBody(key, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(m.Sum(nil))))
}

// VerifyBody reports whether header authenticates body under key. It accepts
// both forms in use — Base64 of the raw HMAC (the official text, 44
// characters) and Base64 of its lower-case hex (deployed practice, 88) —
// and compares in constant time. A server checking many requests under one
// key uses a BodyVerifier instead.
func VerifyBody(key, body []byte, header string) bool {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	var sum [sha256.Size]byte
	return macMatches(m.Sum(sum[:0]), header)
}

// BodyVerifier checks x-digilocker-hmac headers under one key, as
// VerifyBody does, with keyed hashes reused across requests: hmac.New
// hashes the key's two pads and allocates four times, which was a fifth of
// a Pull URI's handling.
type BodyVerifier struct {
	macs sync.Pool // of hash.Hash, HMAC-SHA256 under the key
}

// NewBodyVerifier returns a verifier for key, which it copies.
func NewBodyVerifier(key []byte) *BodyVerifier {
	key = bytes.Clone(key)
	return &BodyVerifier{macs: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

// Verify reports whether header authenticates body.
func (v *BodyVerifier) Verify(body []byte, header string) bool {
	m := v.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(body)
	var sum [sha256.Size]byte
	m.Sum(sum[:0])
	v.macs.Put(m)
	return macMatches(sum[:], header)
}

// macMatches reports, in constant time, whether header is sum in either
// of VerifyBody's two forms.
func macMatches(sum []byte, header string) bool {
	header = strings.TrimSpace(header)
	var dec [2*sha256.Size + 2]byte // the longest form, and its padding
	if base64.StdEncoding.DecodedLen(len(header)) > len(dec) {
		return false
	}
	// Decode only reads its source: the header's bytes need no copy.
	n, err := base64.StdEncoding.Decode(dec[:], unsafe.Slice(unsafe.StringData(header), len(header)))
	if err != nil {
		return false
	}
	got := dec[:n]
	switch n {
	case sha256.Size:
		return subtle.ConstantTimeCompare(got, sum) == 1
	case 2 * sha256.Size:
		var buf [2 * sha256.Size]byte
		hex.Encode(buf[:], sum)
		for i, c := range got {
			if 'A' <= c && c <= 'Z' {
				got[i] = c + 'a' - 'A'
			}
		}
		return subtle.ConstantTimeCompare(got, buf[:]) == 1
	}
	return false
}

// KeyHash is the older keyhash attribute: lower-case hex of
// SHA-256(apiKey || ts).
func KeyHash(apiKey, ts string) string {
	sum := sha256.Sum256([]byte(apiKey + ts))
	return hex.EncodeToString(sum[:])
}

// VerifyKeyHash compares a request's keyhash in constant time.
func VerifyKeyHash(apiKey, ts, keyhash string) bool {
	want := KeyHash(apiKey, ts)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(strings.TrimSpace(keyhash))), []byte(want)) == 1
}

// Request is a Pull URI or Pull Doc request: its root attributes and the
// children of DocDetails by local name (namespace prefixes are ignored).
type Request struct {
	Kind    string // PullURIRequest or PullDocRequest
	Ver     string
	TS      string
	Txn     string
	OrgID   string
	Format  string // xml, pdf, both, or empty
	KeyHash string
	// Details holds DocDetails' children in order; names are local names.
	Details []Field
}

// Field is one DocDetails child.
type Field struct{ Name, Value string }

// Get returns the value of the first DocDetails child named name.
func (r *Request) Get(name string) string {
	for _, f := range r.Details {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// ErrBadRequest is wrapped by every parse failure.
var ErrBadRequest = errors.New("malformed request")

// Request limits.
const (
	maxFields     = 64
	maxFieldBytes = 256 << 10 // a Photo may be large
	maxDepth      = 8
)

// AppendXML appends r as a locker sends it: the Kind element with
// DigiLocker's xmlns:ns2 declaration and r's attributes (an empty one left
// out), then DocDetails (UriDetails for a PushUriRequest) with r.Details
// in order, their values escaped. ParseRequest reads it back as r.
func (r *Request) AppendXML(dst []byte) []byte {
	dst = append(append(dst, '<'), r.Kind...)
	dst = append(dst, ` xmlns:ns2="http://tempuri.org/"`...)
	for _, a := range [...]Attr{{"ver", r.Ver}, {"ts", r.TS}, {"txn", r.Txn}, {"orgId", r.OrgID}, {"format", r.Format}, {"keyhash", r.KeyHash}} {
		if a.Value != "" {
			dst = appendAttr(dst, a)
		}
	}
	details := "DocDetails"
	if r.Kind == "PushUriRequest" {
		details = "UriDetails"
	}
	dst = append(append(append(dst, "><"...), details...), '>')
	for _, f := range r.Details {
		dst = append(append(append(dst, '<'), f.Name...), '>')
		dst = appendEscaped(dst, f.Value, false)
		dst = append(append(append(dst, "</"...), f.Name...), '>')
	}
	return append(append(append(append(append(dst, "</"...), details...), "></"...), r.Kind...), '>')
}
