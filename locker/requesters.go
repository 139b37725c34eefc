package locker

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/signer"
)

// Consent session rules.
const (
	// ConsentWait is how long a session waits for the citizen's decision.
	ConsentWait = 10 * time.Minute
	// DefaultAccess is how long a granted session lets its requester read.
	DefaultAccess = time.Hour
)

// Consent session statuses (seed 004).
const (
	StatusPending   = "pending"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusExpired   = "expired"
)

// Requester is a party that asks citizens for their documents.
type Requester struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	RedirectURL string `json:"redirect_url"`
	keyHash     string
}

var requesterIDRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func keyDigest(key string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return hex.EncodeToString(sum[:])
}

// AddRequester registers (or replaces) a requester; the locker keeps only
// a hash of its API key.
func (s *Store) AddRequester(ctx context.Context, id, name, apiKey, redirect string) error {
	if !requesterIDRE.MatchString(id) {
		return fmt.Errorf("--id %q: letters, digits, dots, dashes and underscores, at most 64", id)
	}
	if strings.TrimSpace(name) == "" {
		return errors.New("--name is empty")
	}
	if len(strings.TrimSpace(apiKey)) < 16 {
		return errors.New("the API key is shorter than 16 characters")
	}
	if u, err := url.Parse(redirect); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--redirect-url %q is not an http(s) URL", redirect)
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO requesters (id, name, key_hash, redirect_url, added_at) VALUES (?,?,?,?,?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, key_hash = excluded.key_hash, redirect_url = excluded.redirect_url`,
		id, strings.TrimSpace(name), keyDigest(apiKey), redirect, unix(time.Now()))
	return err
}

// AuthRequester returns the requester id names if key is its API key
// (compared in constant time), else ErrNotFound.
func (s *Store) AuthRequester(ctx context.Context, id, key string) (*Requester, error) {
	r := &Requester{ID: id}
	err := s.db.QueryRowContext(ctx, `SELECT name, key_hash, redirect_url FROM requesters WHERE id = ?`, id).Scan(&r.Name, &r.keyHash, &r.RedirectURL)
	want := r.keyHash
	if errors.Is(err, sql.ErrNoRows) {
		want = strings.Repeat("0", 64) // the same work for an unknown id
	} else if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(keyDigest(key)), []byte(want)) != 1 || err != nil || key == "" {
		return nil, ErrNotFound
	}
	return r, nil
}

// ConsentSession is a requester's request for a citizen's documents.
type ConsentSession struct {
	ID          string    `json:"session_id"`
	Requester   Requester `json:"-"`
	DocTypes    []string  `json:"doc_types"`
	Purpose     string    `json:"purpose"`
	RedirectURL string    `json:"redirect_url"`
	Status      string    `json:"status"`
	Citizen     string    `json:"-"`
	Created     time.Time `json:"-"`
	Expires     time.Time `json:"-"` // the decision's deadline, then the access's end
}

var docTypeRE = regexp.MustCompile(`^[A-Z0-9]{2,10}$`)

// OpenSession starts a consent session of r for docTypes.
func (s *Store) OpenSession(ctx context.Context, r *Requester, docTypes []string, purpose, redirect string, now time.Time) (*ConsentSession, error) {
	if len(docTypes) == 0 || len(docTypes) > 10 {
		return nil, errors.New("doc_types: name 1 to 10 DocTypes")
	}
	for i, d := range docTypes {
		docTypes[i] = strings.ToUpper(strings.TrimSpace(d))
		if !docTypeRE.MatchString(docTypes[i]) {
			return nil, fmt.Errorf("doc_types: %q is not a DocType", clipTS(d))
		}
	}
	if redirect == "" {
		redirect = r.RedirectURL
	}
	if !underRedirect(redirect, r.RedirectURL) {
		return nil, errors.New("redirect_url: must start with the requester's registered redirect URL")
	}
	purpose = strings.TrimSpace(purpose)
	if purpose == "" {
		purpose = "Verification of your documents"
	}
	if len(purpose) > 300 {
		return nil, errors.New("purpose: at most 300 characters")
	}
	cs := &ConsentSession{ID: consent.NewID(), Requester: *r, DocTypes: slices.Compact(slices.Sorted(slices.Values(docTypes))),
		Purpose: purpose, RedirectURL: redirect, Status: StatusPending, Created: now, Expires: now.Add(ConsentWait)}
	b, _ := json.Marshal(cs.DocTypes)
	_, err := s.db.ExecContext(ctx, `INSERT INTO consent_sessions (id, requester, doc_types, purpose, redirect_url, status, created_at, expires_at)
		VALUES (?,?,?,?,?,?,?,?)`, cs.ID, r.ID, string(b), purpose, redirect, StatusPending, unix(now), unix(cs.Expires))
	return cs, err
}

// ConsentSession returns a consent session with its status at now (a pending one
// past its deadline, or a granted one past its access, is expired).
func (s *Store) ConsentSession(ctx context.Context, id string, now time.Time) (*ConsentSession, error) {
	cs := &ConsentSession{ID: id}
	var dts string
	var created, expires int64
	err := s.db.QueryRowContext(ctx, `SELECT c.requester, r.name, c.doc_types, c.purpose, c.redirect_url, c.status, c.citizen_id, c.created_at, c.expires_at
		FROM consent_sessions c JOIN requesters r ON r.id = c.requester WHERE c.id = ?`, id).
		Scan(&cs.Requester.ID, &cs.Requester.Name, &dts, &cs.Purpose, &cs.RedirectURL, &cs.Status, &cs.Citizen, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(dts), &cs.DocTypes); err != nil {
		return nil, err
	}
	cs.Created, cs.Expires = fromUnix(created), fromUnix(expires)
	if (cs.Status == StatusPending || cs.Status == StatusSucceeded) && now.After(cs.Expires) {
		cs.Status = StatusExpired
	}
	return cs, nil
}

// ErrDecided: the session is no longer waiting for a decision.
var ErrDecided = errors.New("this consent session is not waiting for a decision")

// Decide records the citizen's grant or denial of a pending session; a
// grant lets the requester read for access.
func (s *Store) Decide(ctx context.Context, id, citizen string, grant bool, access time.Duration, now time.Time) (*ConsentSession, error) {
	cs, err := s.ConsentSession(ctx, id, now)
	if err != nil {
		return nil, err
	}
	if cs.Status != StatusPending {
		return nil, ErrDecided
	}
	status, exp := StatusFailed, now
	if grant {
		status, exp = StatusSucceeded, now.Add(access)
	}
	res, err := s.db.ExecContext(ctx, `UPDATE consent_sessions SET status = ?, citizen_id = ?, expires_at = ? WHERE id = ? AND status = ?`,
		status, citizen, unix(exp), id, StatusPending)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, ErrDecided
	}
	verb := map[bool]string{true: "consent_granted", false: "consent_denied"}[grant]
	s.Record(ctx, citizen, now, verb, fmt.Sprintf("%s (%s): %s for %q", cs.Requester.Name, cs.Requester.ID, strings.Join(cs.DocTypes, ", "), cs.Purpose))
	cs.Status, cs.Citizen, cs.Expires = status, citizen, exp
	return cs, nil
}

// Files of the locker's consent-manager identity.
const (
	CMKeyFile  = "cm.key" // 0600
	CMCertFile = "cm.crt"
)

// ConsentManager returns the locker's consent-manager key and certificate,
// creating an ECDSA P-256 pair in the data directory the first time.
func (s *Store) ConsentManager() (crypto.Signer, []byte, error) {
	kp, cp := filepath.Join(s.dir, CMKeyFile), filepath.Join(s.dir, CMCertFile)
	key, err := signer.LoadKeyFile(kp)
	if errors.Is(err, fs.ErrNotExist) {
		return s.newConsentManager(kp, cp)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("consent-manager key: %w", err)
	}
	cert, err := os.ReadFile(cp)
	if err != nil {
		return nil, nil, fmt.Errorf("consent-manager certificate: %w", err)
	}
	return key, cert, nil
}

func (s *Store) newConsentManager(kp, cp string) (crypto.Signer, []byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	cert, err := signer.SelfSignedCert(k, "issuerkit reference locker consent manager", "issuerkit", 5*365*24*time.Hour)
	if err != nil {
		return nil, nil, err
	}
	kpem, err := signer.MarshalKeyPEM(k)
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(kp, kpem, 0o600); err != nil {
		return nil, nil, fmt.Errorf("consent-manager key: %w", err)
	}
	cpem := signer.MarshalCertsPEM(cert)
	if err := os.WriteFile(cp, cpem, 0o644); err != nil {
		return nil, nil, fmt.Errorf("consent-manager certificate: %w", err)
	}
	return k, cpem, nil
}

// underRedirect reports whether redirect is the registered URL or a URL
// under it: the same scheme and host (no user info), and a path that is
// the registered one or continues it after a "/". A plain prefix test let
// "https://bank.example@evil.example/x" pass for "https://bank.example".
func underRedirect(redirect, registered string) bool {
	u, err := url.Parse(redirect)
	if err != nil {
		return false
	}
	reg, err := url.Parse(registered)
	if err != nil || u.User != nil || u.Opaque != "" || !strings.EqualFold(u.Scheme, reg.Scheme) || !strings.EqualFold(u.Host, reg.Host) {
		return false
	}
	base := strings.TrimSuffix(reg.Path, "/")
	return u.Path == reg.Path || u.Path == base || strings.HasPrefix(u.Path, base+"/")
}
