package repository

import (
	"context"
	"time"
)

// Requester is an API Setu client (a bank, an employer, a university) registered with
// `issuerkit requester add`. Only a hash of its API key is kept.
type Requester struct {
	ID         string    `json:"id"`
	KeyHash    []byte    `json:"-"`        // SHA-256 of the API key
	DocTypes   []string  `json:"doctypes"` // empty: every DocType of the home
	NoConsent  bool      `json:"no_consent"`
	RatePerMin int       `json:"rate_per_min,omitempty"` // 0: the server default
	AddedAt    time.Time `json:"added_at"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// ConsentManager is a party whose signatures on consent artifacts the issuer accepts.
type ConsentManager struct {
	ID      string    `json:"id"`
	CertPEM string    `json:"-"`
	AddedAt time.Time `json:"added_at"`
}

// Requesters keeps the API Setu clients, the trusted consent managers and the use count of
// every consent artifact. Both SQL catalogs and the cached decorator implement it.
type Requesters interface {
	AddRequester(ctx context.Context, r Requester) error                // ErrExists if the id was ever used
	Requester(ctx context.Context, id string) (Requester, error)        // ErrNotFound
	ListRequesters(ctx context.Context) ([]Requester, error)            // by id
	RevokeRequester(ctx context.Context, id string, at time.Time) error // ErrNotFound
	TrustConsentManager(ctx context.Context, m ConsentManager) error    // replaces an existing id's cert
	ConsentManagers(ctx context.Context) ([]ConsentManager, error)      // by id
	// UseConsent records one use of consentID at `at` if fewer than limit uses are recorded at or
	// after since, and reports whether it did and the number of uses in that window afterwards.
	// It is atomic across processes sharing the catalog (PostgreSQL: several `serve`).
	UseConsent(ctx context.Context, consentID string, since, at time.Time, limit int) (ok bool, uses int, err error)
}
