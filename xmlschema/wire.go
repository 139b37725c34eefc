package xmlschema

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
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
// and compares in constant time.
func VerifyBody(key, body []byte, header string) bool {
	m := hmac.New(sha256.New, key)
	m.Write(body)
	sum := m.Sum(nil)
	got, err := base64.StdEncoding.DecodeString(strings.TrimSpace(header))
	if err != nil {
		return false
	}
	switch len(got) {
	case sha256.Size:
		return subtle.ConstantTimeCompare(got, sum) == 1
	case 2 * sha256.Size:
		want := make([]byte, 2*sha256.Size)
		hex.Encode(want, sum)
		return subtle.ConstantTimeCompare(bytes.ToLower(got), want) == 1
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

// ParseRequest parses a Pull URI or Pull Doc request body. It refuses
// anything but plain elements and text: a DOCTYPE, entity declaration,
// processing instruction (other than the XML declaration) or unknown
// entity reference is an error, as is a root other than PullURIRequest or
// PullDocRequest.
func ParseRequest(body []byte) (*Request, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	d.Entity = nil // only the five predefined entities
	r := &Request{}
	var path []string
	var text strings.Builder
	inField := false
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, fmt.Errorf("%w: DTDs and declarations are not accepted", ErrBadRequest)
		case xml.ProcInst:
			if t.Target != "xml" || len(path) > 0 || r.Kind != "" {
				return nil, fmt.Errorf("%w: processing instructions are not accepted", ErrBadRequest)
			}
		case xml.StartElement:
			name := t.Name.Local
			if len(path) == 0 {
				if r.Kind != "" {
					return nil, fmt.Errorf("%w: more than one root element", ErrBadRequest)
				}
				if name != "PullURIRequest" && name != "PullDocRequest" {
					return nil, fmt.Errorf("%w: root element %q is not PullURIRequest or PullDocRequest", ErrBadRequest, clip(name))
				}
				r.Kind = name
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "ver":
						r.Ver = a.Value
					case "ts":
						r.TS = a.Value
					case "txn":
						r.Txn = a.Value
					case "orgId":
						r.OrgID = a.Value
					case "format":
						r.Format = strings.ToLower(a.Value)
					case "keyhash":
						r.KeyHash = a.Value
					}
				}
			}
			path = append(path, name)
			if len(path) > maxDepth {
				return nil, fmt.Errorf("%w: nested too deeply", ErrBadRequest)
			}
			if len(path) == 3 && path[1] == "DocDetails" {
				inField = true
				text.Reset()
			}
		case xml.CharData:
			if inField {
				if text.Len()+len(t) > maxFieldBytes {
					return nil, fmt.Errorf("%w: a DocDetails value is too long", ErrBadRequest)
				}
				text.Write(t)
			}
		case xml.EndElement:
			if len(path) == 0 {
				return nil, fmt.Errorf("%w: unbalanced end element", ErrBadRequest)
			}
			if len(path) == 3 && inField {
				if len(r.Details) >= maxFields {
					return nil, fmt.Errorf("%w: too many DocDetails fields", ErrBadRequest)
				}
				r.Details = append(r.Details, Field{Name: path[2], Value: strings.TrimSpace(text.String())})
				inField = false
			}
			path = path[:len(path)-1]
		case xml.Comment:
			// ignored
		}
	}
	if r.Kind == "" {
		return nil, fmt.Errorf("%w: no request element", ErrBadRequest)
	}
	if len(path) != 0 {
		return nil, fmt.Errorf("%w: unclosed element", ErrBadRequest)
	}
	return r, nil
}
