package apisetu

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"sync"
	"time"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/repository"
)

// The catalog's records of the certificate API (repository.Requesters).
type (
	// Requester is a registered client of the certificate API.
	Requester = repository.Requester
	// ConsentManager is a party whose signatures on consent artifacts
	// the issuer accepts.
	ConsentManager = repository.ConsentManager
	// Clients is what the certificate API keeps in the catalog:
	// requesters, consent managers and the count of each consent's uses.
	Clients = repository.Requesters
)

// ErrExists is returned by AddRequester for an id that was ever used.
var ErrExists = repository.ErrExists

// KeyHash is how the catalog keeps an API key: its SHA-256.
func KeyHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// keyMatches compares key with a stored hash in constant time.
func keyMatches(key string, hash []byte) bool {
	h := sha256.Sum256([]byte(key))
	return subtle.ConstantTimeCompare(h[:], hash) == 1
}

// unknownHash is compared with when the client id is unknown, so that a
// stranger's request costs the same as a registered client's wrong key.
var unknownHash = make([]byte, sha256.Size)

// clientCache keeps the consent managers' keys for ttl, so a request
// parses certificates only when they are older: a new or replaced consent
// manager takes effect within ttl. Requesters are read from the catalog on
// every request, so a revoked key stops working at once.
type clientCache struct {
	c   Clients
	ttl time.Duration
	now func() time.Time

	mu       sync.Mutex
	managers []trustedKey
	mgrSum   [32]byte // of the managers' certificates: what verified artifacts were verified with
	mgrAt    time.Time
}

// trustedKey is a consent manager's public key.
type trustedKey struct {
	id  string
	pub crypto.PublicKey
}

func newClientCache(c Clients, ttl time.Duration, now func() time.Time) *clientCache {
	return &clientCache{c: c, ttl: ttl, now: now}
}

// requester returns the registered client id.
func (cc *clientCache) requester(ctx context.Context, id string) (Requester, error) {
	return cc.c.Requester(ctx, id)
}

// trusted returns the consent managers' keys and a digest of their
// certificates. A certificate that does not parse is skipped (trust
// refuses them; the catalog could be edited).
func (cc *clientCache) trusted(ctx context.Context) ([]trustedKey, [32]byte, error) {
	now := cc.now()
	cc.mu.Lock()
	keys, sum, at := cc.managers, cc.mgrSum, cc.mgrAt
	cc.mu.Unlock()
	if !at.IsZero() && now.Sub(at) < cc.ttl {
		return keys, sum, nil
	}
	list, err := cc.c.ConsentManagers(ctx)
	if err != nil {
		return nil, [32]byte{}, err
	}
	keys = make([]trustedKey, 0, len(list))
	h := sha256.New()
	for _, m := range list {
		pub, err := consent.PublicKeyFromPEM([]byte(m.CertPEM))
		if err != nil {
			continue
		}
		keys = append(keys, trustedKey{id: m.ID, pub: pub})
		h.Write([]byte(m.ID + "\x00" + m.CertPEM + "\x00"))
	}
	h.Sum(sum[:0])
	cc.mu.Lock()
	cc.managers, cc.mgrSum, cc.mgrAt = keys, sum, now
	cc.mu.Unlock()
	return keys, sum, nil
}
