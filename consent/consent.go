// Package consent is the wire format of API Setu consent artifacts: the JSON
// a consent manager signs when a citizen lets a requester read one of their
// documents (the ConsentArtifactSchema of the apisetu.gov.in 3.0.0 OpenAPI
// descriptions), its RFC 8785 (JCS) canonical form, and the signature over
// that form.
//
// The issuer's certificate API checks artifacts with Verify and the rules of
// Consent.CheckTime and Frequency.Since; the reference locker, acting as
// consent manager, makes them with Sign. The package imports no other
// issuerkit package, so both parties can use it.
package consent

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"strings"
	"time"

	"github.com/gowebpki/jcs"
)

// Artifact is the consentArtifact member of a certificate request. Consent
// is kept as received: the signature covers its canonical form, not a
// re-encoding of the fields this package knows.
type Artifact struct {
	Consent   json.RawMessage `json:"consent"`
	Signature Signature       `json:"signature"`
}

// Signature holds the base64 signature over the canonical consent.
type Signature struct {
	Signature string `json:"signature"`
}

// Consent is what the citizen agreed to.
type Consent struct {
	ConsentID    string     `json:"consentId"`
	Timestamp    string     `json:"timestamp"` // TimeFormat, UTC
	DataConsumer Party      `json:"dataConsumer"`
	DataProvider Party      `json:"dataProvider"`
	Purpose      Purpose    `json:"purpose"`
	User         User       `json:"user"`
	Data         Party      `json:"data"`
	Permission   Permission `json:"permission"`
}

// Party names the consumer (the requester's client id), the provider (the
// issuer id) or the data (a document URI or a DocType).
type Party struct {
	ID string `json:"id"`
}

// Purpose says why the requester reads the document.
type Purpose struct {
	Description string `json:"description"`
}

// User is the citizen who consented: IDType AADHAAR with the 12-digit
// IDNumber, or MOBILE with Mobile.
type User struct {
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
	Mobile   string `json:"mobile"`
	Email    string `json:"email"`
}

// User id types.
const (
	IDAadhaar = "AADHAAR"
	IDMobile  = "MOBILE"
)

// Permission bounds the consent's use.
type Permission struct {
	Access    string    `json:"access"`
	DateRange DateRange `json:"dateRange"`
	Frequency Frequency `json:"frequency"`
}

// DateRange is when the consent may be used, both ends inclusive (TimeFormat).
type DateRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Frequency allows at most Repeats uses per Value Units.
type Frequency struct {
	Unit    string `json:"unit"` // HOUR, DAY, MONTH or YEAR
	Value   int    `json:"value"`
	Repeats int    `json:"repeats"`
}

// TimeFormat is the artifact's time format: UTC with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime writes t in TimeFormat.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime reads a time in TimeFormat; an RFC 3339 time in UTC with or
// without fractional seconds is accepted too.
func ParseTime(s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || !strings.HasSuffix(s, "Z") {
		return time.Time{}, fmt.Errorf("time %q is not UTC in the form %s", s, TimeFormat)
	}
	return t, nil
}

// Rule names the consent rule a check failed; the certificate API writes it
// to the audit log, never to the caller.
type Rule string

// The rules this package checks. The certificate API adds its own
// (consumer, provider, data, user, repeats).
const (
	RuleMalformed Rule = "malformed"
	RuleSignature Rule = "signature"
	RuleTimestamp Rule = "timestamp"
	RuleNotYet    Rule = "not_yet_valid"
	RuleExpired   Rule = "expired"
	RuleFrequency Rule = "frequency"
)

// RuleError is a consent that breaks Rule.
type RuleError struct {
	Rule   Rule
	Detail string
}

func (e *RuleError) Error() string { return fmt.Sprintf("consent rule %s: %s", e.Rule, e.Detail) }

func ruleErr(r Rule, format string, args ...any) error {
	return &RuleError{Rule: r, Detail: fmt.Sprintf(format, args...)}
}

// Canonical returns the RFC 8785 (JCS) canonical form of a JSON text. It
// refuses duplicate member names, invalid UTF-8 and numbers JSON cannot
// carry, so two parties that agree on the bytes agree on the meaning.
func Canonical(doc []byte) ([]byte, error) {
	out, err := jcs.Transform(doc)
	if err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return out, nil
}

// Sign makes the artifact of c, signed by a consent manager's key: RSA
// (PKCS#1 v1.5) or ECDSA P-256 (ASN.1 DER), over SHA-256 of the canonical
// JSON of c.
func Sign(key crypto.Signer, c Consent) (Artifact, error) {
	raw, err := json.Marshal(c)
	if err != nil {
		return Artifact{}, err
	}
	return SignRaw(key, raw)
}

// SignRaw signs a consent given as JSON text (which may carry members
// Consent does not know).
func SignRaw(key crypto.Signer, consentJSON []byte) (Artifact, error) {
	canon, err := Canonical(consentJSON)
	if err != nil {
		return Artifact{}, err
	}
	digest := sha256.Sum256(canon)
	sig, err := key.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		return Artifact{}, fmt.Errorf("sign consent: %w", err)
	}
	return Artifact{Consent: canon, Signature: Signature{Signature: base64.StdEncoding.EncodeToString(sig)}}, nil
}

// Verify checks the artifact's signature with a consent manager's public
// key (RSA or ECDSA P-256) and returns the consent it covers, decoded from
// the canonical form. A bad signature is a *RuleError with RuleSignature; a
// consent that is not JSON or lacks consentId is RuleMalformed.
func (a Artifact) Verify(pub crypto.PublicKey) (Consent, error) {
	return a.VerifyAny([]crypto.PublicKey{pub})
}

// VerifyAny is Verify with the keys of several consent managers, any of
// which may have signed: the canonical form, its digest and the signature
// are worked out once, not once a key. With no key it fails with
// RuleSignature.
func (a Artifact) VerifyAny(pubs []crypto.PublicKey) (Consent, error) {
	canon, err := Canonical(a.Consent)
	if err != nil {
		return Consent{}, ruleErr(RuleMalformed, "%v", err)
	}
	sig, err := decodeBase64(a.Signature.Signature)
	if err != nil {
		return Consent{}, ruleErr(RuleSignature, "signature is not base64")
	}
	digest := sha256.Sum256(canon)
	err = ruleErr(RuleSignature, "no consent manager key to verify with")
	for _, pub := range pubs {
		if err = verifyDigest(pub, digest[:], sig); err == nil {
			break
		}
	}
	if err != nil {
		return Consent{}, err
	}
	if err := exactNames(canon, reflect.TypeFor[Consent]()); err != nil {
		return Consent{}, ruleErr(RuleMalformed, "consent: %v", err)
	}
	var c Consent
	if err := json.Unmarshal(canon, &c); err != nil {
		return Consent{}, ruleErr(RuleMalformed, "consent: %v", err)
	}
	if c.ConsentID == "" {
		return Consent{}, ruleErr(RuleMalformed, "consent has no consentId")
	}
	return c, nil
}

func verifyDigest(pub crypto.PublicKey, digest, sig []byte) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) != nil {
			return ruleErr(RuleSignature, "RSA signature does not verify")
		}
	case *ecdsa.PublicKey:
		if !verifyECDSA(k, digest, sig) {
			return ruleErr(RuleSignature, "ECDSA signature does not verify")
		}
	default:
		return ruleErr(RuleSignature, "consent manager key %T is neither RSA nor ECDSA", pub)
	}
	return nil
}

// verifyECDSA takes ASN.1 DER, or r‖s of the curve's size as JOSE writes it.
func verifyECDSA(k *ecdsa.PublicKey, digest, sig []byte) bool {
	if ecdsa.VerifyASN1(k, digest, sig) {
		return true
	}
	n := (k.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*n {
		return false
	}
	r, s := new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
	return ecdsa.Verify(k, digest, r, s)
}

// decodeBase64 reads standard or URL-safe base64, padded or not.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty")
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not base64")
}

// MaxSkew is how far in the future a consent's timestamp may be.
const MaxSkew = 5 * time.Minute

// CheckTime applies the time rules at now: the timestamp not in the future
// (MaxSkew allowed), and now within the permission's date range.
func (c Consent) CheckTime(now time.Time) error {
	ts, err := ParseTime(c.Timestamp)
	if err != nil {
		return ruleErr(RuleTimestamp, "%v", err)
	}
	if ts.After(now.Add(MaxSkew)) {
		return ruleErr(RuleTimestamp, "timestamp %s is in the future", c.Timestamp)
	}
	from, err := ParseTime(c.Permission.DateRange.From)
	if err != nil {
		return ruleErr(RuleMalformed, "dateRange.from: %v", err)
	}
	to, err := ParseTime(c.Permission.DateRange.To)
	if err != nil {
		return ruleErr(RuleMalformed, "dateRange.to: %v", err)
	}
	switch {
	case now.Before(from):
		return ruleErr(RuleNotYet, "valid from %s", c.Permission.DateRange.From)
	case now.After(to):
		return ruleErr(RuleExpired, "valid to %s", c.Permission.DateRange.To)
	}
	return nil
}

// maxWindowYears bounds a frequency window: a longer one counts every use
// there has been (its start is the Unix epoch, before any consent).
// Without it a large Value overflowed the arithmetic (3,000,000 HOURs
// wrapped to a start in the future, where no earlier use is ever found, so
// the repeats allowed no limit at all).
const maxWindowYears = 200

// Since returns the start of the frequency window that ends at now: Value
// units before it, or the Unix epoch for a window longer than
// maxWindowYears.
func (f Frequency) Since(now time.Time) (time.Time, error) {
	if f.Value < 1 || f.Repeats < 1 {
		return time.Time{}, ruleErr(RuleFrequency, "frequency value %d, repeats %d: both must be at least 1", f.Value, f.Repeats)
	}
	perYear := map[string]int{"HOUR": 366 * 24, "DAY": 366, "MONTH": 12, "YEAR": 1}[strings.ToUpper(f.Unit)]
	switch {
	case perYear == 0:
		return time.Time{}, ruleErr(RuleFrequency, "frequency unit %q is not HOUR, DAY, MONTH or YEAR", f.Unit)
	case f.Value/perYear >= maxWindowYears:
		return time.Unix(0, 0).UTC(), nil
	}
	switch strings.ToUpper(f.Unit) {
	case "HOUR":
		return now.Add(-time.Duration(f.Value) * time.Hour), nil
	case "DAY":
		return now.AddDate(0, 0, -f.Value), nil
	case "MONTH":
		return now.AddDate(0, -f.Value, 0), nil
	}
	return now.AddDate(-f.Value, 0, 0), nil
}

// NewID returns a random (version 4) UUID, for consent ids and txnIds.
func NewID() string {
	var b [16]byte
	if _, err := io.ReadFull(rand.Reader, b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// IsUUID reports whether s is a UUID in its canonical 8-4-4-4-12 hex form
// (either case), as API Setu requires of txnId and consentId.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// PublicKeyFromPEM reads a consent manager's key from PEM: a CERTIFICATE
// (as `issuerkit consent trust --cert` takes) or a PUBLIC KEY block.
func PublicKeyFromPEM(data []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var pub any
	switch block.Type {
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate: %w", err)
		}
		pub = cert.PublicKey
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		pub = k
	default:
		return nil, fmt.Errorf("PEM block %q is neither CERTIFICATE nor PUBLIC KEY", block.Type)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return k, nil
	case *ecdsa.PublicKey:
		if k.Curve.Params().BitSize != 256 {
			return nil, fmt.Errorf("ECDSA key on %s: only P-256 is accepted", k.Curve.Params().Name)
		}
		return k, nil
	}
	return nil, fmt.Errorf("key %T is neither RSA nor ECDSA", pub)
}
