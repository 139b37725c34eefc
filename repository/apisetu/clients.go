package apisetu

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
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
// manager takes effect within ttl.
//
// Requesters (and unknown ids, so that a stranger's id costs what a
// client's does) are kept for RequesterTTL when the catalog counts this
// process's revocations (repository.RevocationCounter): a requester
// revoked by this process is refused at once, one revoked by another
// process (`issuerkit requester revoke`) within RequesterTTL. A catalog
// that counts none is read on every request.
type clientCache struct {
	c       Clients
	ttl     time.Duration
	now     func() time.Time
	revoked repository.RevocationCounter // nil: requesters are not kept

	mu       sync.Mutex
	managers []crypto.PublicKey // the consent managers' keys
	mgrSum   [32]byte           // of the managers' certificates: what verified artifacts were verified with
	mgrAt    time.Time

	rmu        sync.Mutex
	requesters map[string]keptRequester
	revokedN   int64 // the revocations counted when requesters was filled
}

// RequesterTTL bounds how long a requester revoked by another process
// keeps working in this one.
const RequesterTTL = time.Second

// maxKeptRequesters bounds the requesters (and unknown ids) kept; when
// full the cache starts afresh.
const maxKeptRequesters = 4096

type keptRequester struct {
	r   Requester
	err error // repository.ErrNotFound for an unknown id
	at  time.Time
}

func newClientCache(c Clients, ttl time.Duration, now func() time.Time) *clientCache {
	cc := &clientCache{c: c, ttl: ttl, now: now, requesters: map[string]keptRequester{}}
	cc.revoked, _ = c.(repository.RevocationCounter)
	return cc
}

// requester returns the registered client id (repository.ErrNotFound for
// an unknown one).
func (cc *clientCache) requester(ctx context.Context, id string) (Requester, error) {
	if cc.revoked == nil {
		return cc.c.Requester(ctx, id)
	}
	now, n := cc.now(), cc.revoked.RequesterRevocations()
	cc.rmu.Lock()
	if n != cc.revokedN {
		clear(cc.requesters)
		cc.revokedN = n
	}
	k, ok := cc.requesters[id]
	cc.rmu.Unlock()
	if ok && now.Sub(k.at) >= 0 && now.Sub(k.at) < RequesterTTL {
		return k.r, k.err
	}
	r, err := cc.c.Requester(ctx, id)
	if err != nil && !errors.Is(err, repository.ErrNotFound) {
		return Requester{}, err
	}
	if errors.Is(err, repository.ErrNotFound) {
		err = repository.ErrNotFound
	}
	cc.rmu.Lock()
	if len(cc.requesters) >= maxKeptRequesters {
		clear(cc.requesters)
	}
	// Kept only if no revocation was counted since this read began: what
	// was read may predate it.
	if cc.revoked.RequesterRevocations() == n && n == cc.revokedN {
		cc.requesters[id] = keptRequester{r: r, err: err, at: now}
	}
	cc.rmu.Unlock()
	return r, err
}

// trusted returns the consent managers' keys and a digest of their
// certificates. A certificate that does not parse is skipped (trust
// refuses them; the catalog could be edited).
func (cc *clientCache) trusted(ctx context.Context) ([]crypto.PublicKey, [32]byte, error) {
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
	keys = make([]crypto.PublicKey, 0, len(list))
	h := sha256.New()
	for _, m := range list {
		pub, err := consent.PublicKeyFromPEM([]byte(m.CertPEM))
		if err != nil {
			continue
		}
		keys = append(keys, pub)
		h.Write([]byte(m.ID + "\x00" + m.CertPEM + "\x00"))
	}
	h.Sum(sum[:0])
	cc.mu.Lock()
	cc.managers, cc.mgrSum, cc.mgrAt = keys, sum, now
	cc.mu.Unlock()
	return keys, sum, nil
}
