package xmlschema

import (
	"errors"
	"fmt"
	"strings"
)

// URI identifies one document in an issuer's repository: IssuerID-DocType-DocID.
type URI struct {
	IssuerID string // reverse-domain issuer id, e.g. in.gov.cbse; never contains '-'
	DocType  string // upper-case document kind, e.g. SSCER; never contains '-'
	DocID    string // issuer-chosen id; may contain '-'
}

// ErrInvalidURI is returned (wrapped) for any URI or URI part that fails validation.
var ErrInvalidURI = errors.New("invalid document URI")

// ParseURI splits s into its three parts: the issuer id is everything before
// the first '-', the doc type everything up to the next '-', and the remainder
// is the DocID (which may itself contain '-'). Each part is validated.
func ParseURI(s string) (URI, error) {
	issuer, rest, ok := strings.Cut(s, "-")
	if !ok {
		return URI{}, fmt.Errorf("%w: %q has no '-' separators", ErrInvalidURI, clip(s))
	}
	doctype, docID, ok := strings.Cut(rest, "-")
	if !ok {
		return URI{}, fmt.Errorf("%w: %q has no DocID", ErrInvalidURI, clip(s))
	}
	u := URI{IssuerID: issuer, DocType: doctype, DocID: docID}
	if err := u.Validate(); err != nil {
		return URI{}, err
	}
	return u, nil
}

// String formats the URI as IssuerID-DocType-DocID.
func (u URI) String() string { return u.IssuerID + "-" + u.DocType + "-" + u.DocID }

// Validate checks every part of u against its charset.
func (u URI) Validate() error {
	if err := ValidateIssuerID(u.IssuerID); err != nil {
		return err
	}
	if err := ValidateDocType(u.DocType); err != nil {
		return err
	}
	return ValidateDocID(u.DocID)
}

// ValidateIssuerID accepts a reverse-domain id: labels of [a-z0-9_] (upper
// case allowed) separated by single dots, 1-128 characters, no '-'.
func ValidateIssuerID(s string) error {
	if s == "" || len(s) > 128 {
		return fmt.Errorf("%w: issuer id must be 1-128 characters", ErrInvalidURI)
	}
	if s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return fmt.Errorf("%w: issuer id %q has an empty label", ErrInvalidURI, clip(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnum(c) || c == '_' || c == '.') {
			return fmt.Errorf("%w: issuer id %q has a disallowed character %q", ErrInvalidURI, clip(s), c)
		}
	}
	return nil
}

// ValidateDocType accepts 2-16 characters of [A-Z0-9].
func ValidateDocType(s string) error {
	if len(s) < 2 || len(s) > 16 {
		return fmt.Errorf("%w: doc type %q must be 2-16 characters", ErrInvalidURI, clip(s))
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return fmt.Errorf("%w: doc type %q must be upper-case letters and digits", ErrInvalidURI, clip(s))
		}
	}
	return nil
}

// MaxDocIDLen bounds a DocID so object keys and file names stay portable.
const MaxDocIDLen = 200

// ValidateDocID accepts [A-Za-z0-9._/-], no "..", no leading or trailing '/',
// no empty path segment and no segment that is "." — so a DocID can never
// escape its directory when it becomes part of an object key.
func ValidateDocID(s string) error {
	if s == "" || len(s) > MaxDocIDLen {
		return fmt.Errorf("%w: DocID must be 1-%d characters", ErrInvalidURI, MaxDocIDLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnum(c) || c == '.' || c == '_' || c == '/' || c == '-') {
			return fmt.Errorf("%w: DocID %q has a disallowed character %q", ErrInvalidURI, clip(s), c)
		}
	}
	if strings.Contains(s, "..") {
		return fmt.Errorf("%w: DocID %q contains \"..\"", ErrInvalidURI, clip(s))
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "" || seg == "." {
			return fmt.Errorf("%w: DocID %q has an empty or '.' path segment", ErrInvalidURI, clip(s))
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// clip keeps error messages bounded when the input is hostile.
func clip(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	return s[:max] + "…"
}
