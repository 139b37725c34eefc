package apisetu

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/internal/keyfile"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// What `issuerkit requester` and `issuerkit consent` do, apart from flag
// parsing and printing.

// AddOptions registers a requester.
type AddOptions struct {
	ID         string
	KeyFile    string   // read when it exists, else a new key is written there 0600
	DocTypes   []string // empty: every DocType
	NoConsent  bool
	RatePerMin int
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$`)

// ValidID checks a client or consent manager id: 1-64 letters, digits and
// . _ : - (it is a metrics label and an audit actor).
func ValidID(id string) error {
	if !idPattern.MatchString(id) {
		return fmt.Errorf("id %q: want 1-64 letters, digits, '.', '_', ':' or '-', starting with a letter or digit", id)
	}
	return nil
}

// AddRequester registers o.ID with the key in o.KeyFile, or with a new
// key written there (0600, never printed). It reports whether it wrote the
// key file. A new key file is removed again when the catalog refuses the id.
func AddRequester(ctx context.Context, c Clients, o AddOptions, now time.Time) (Requester, bool, error) {
	if err := ValidID(o.ID); err != nil {
		return Requester{}, false, err
	}
	if o.RatePerMin < 0 {
		return Requester{}, false, errors.New("the rate per minute cannot be negative")
	}
	var doctypes []string
	for _, d := range o.DocTypes {
		d = strings.ToUpper(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if err := xmlschema.ValidateDocType(d); err != nil {
			return Requester{}, false, err
		}
		doctypes = append(doctypes, d)
	}
	key, wrote, err := keyfile.ReadOrCreate(o.KeyFile, MinKeyLen)
	if err != nil {
		return Requester{}, false, err
	}
	r := Requester{ID: o.ID, KeyHash: KeyHash(key), DocTypes: doctypes, NoConsent: o.NoConsent, RatePerMin: o.RatePerMin, AddedAt: now.UTC()}
	if err := c.AddRequester(ctx, r); err != nil {
		if wrote {
			os.Remove(o.KeyFile)
		}
		if errors.Is(err, ErrExists) {
			return Requester{}, false, fmt.Errorf("requester %s: %w (ids are never reused; revoke and add another)", o.ID, err)
		}
		return Requester{}, false, err
	}
	return r, wrote, nil
}

// MinKeyLen is the shortest API key accepted from a file.
const MinKeyLen = 16

// Trust makes id a trusted consent manager with the certificate (or
// public key) in certPEM: RSA or ECDSA P-256.
func Trust(ctx context.Context, c Clients, id string, certPEM []byte, now time.Time) error {
	if err := ValidID(id); err != nil {
		return err
	}
	if _, err := consent.PublicKeyFromPEM(certPEM); err != nil {
		return fmt.Errorf("consent manager %s: %w", id, err)
	}
	return c.TrustConsentManager(ctx, ConsentManager{ID: id, CertPEM: string(certPEM), AddedAt: now.UTC()})
}

// SignConsent signs a consent (JSON) with a consent manager's private key
// (PEM) and returns the consentArtifact JSON. Members left empty are
// filled for a test: consentId (a new UUID), timestamp (now) and
// permission.dateRange (now to a day later).
func SignConsent(keyPEM, consentJSON []byte, now time.Time) ([]byte, error) {
	key, err := signer.ParseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("consent manager key: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(consentJSON, &doc); err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	setDefault(doc, "consentId", consent.NewID())
	setDefault(doc, "timestamp", consent.FormatTime(now))
	perm, _ := doc["permission"].(map[string]any)
	if perm == nil {
		perm = map[string]any{}
		doc["permission"] = perm
	}
	dr, _ := perm["dateRange"].(map[string]any)
	if dr == nil {
		dr = map[string]any{}
		perm["dateRange"] = dr
	}
	setDefault(dr, "from", consent.FormatTime(now))
	setDefault(dr, "to", consent.FormatTime(now.Add(24*time.Hour)))
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	a, err := consent.SignRaw(key, raw)
	if err != nil {
		return nil, err
	}
	return json.Marshal(a)
}

func setDefault(m map[string]any, k, v string) {
	if s, _ := m[k].(string); s == "" {
		m[k] = v
	}
}
