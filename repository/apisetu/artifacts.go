package apisetu

import (
	"crypto"
	"crypto/sha256"
	"errors"
	"sync"

	"github.com/issuerkit/issuerkit/consent"
)

// artifactCache remembers the consent artifacts whose signatures verified,
// by the digest of an artifact's bytes as received (signature and
// consent), with the digest of the trusted consent managers' certificates
// that verified it and the consentId read before verification. A
// requester sends one artifact for each of its repeats; its JSON reading,
// canonical form and signature check are done once. The rules that depend
// on the request or the time (validity, consumer, document, holder,
// repeats) are applied to every request. Only verified artifacts are kept,
// so no request can fill the cache with artifacts nobody signed; at most
// maxArtifacts of them (when full it starts afresh).
type artifactCache struct {
	mu sync.Mutex
	m  map[artifactKey]verifiedArtifact
}

// artifactKey is the SHA-256 of an artifact's signature, a zero byte and
// its consent as received.
type artifactKey [32]byte

// artifactRef is a request's artifact with its key, made together (refOf)
// so that a key can never stand for another artifact's bytes, and the
// consentId read from it before verification (readArtifact), kept with
// the artifact once it verifies.
type artifactRef struct {
	a     *consent.Artifact
	key   artifactKey
	id    string
	hasID bool
}

func refOf(a *consent.Artifact) artifactRef {
	h := sha256.New()
	h.Write([]byte(a.Signature.Signature))
	h.Write([]byte{0})
	h.Write(a.Consent)
	r := artifactRef{a: a}
	h.Sum(r.key[:0])
	return r
}

// verifiedArtifact is what is kept of a verified artifact.
type verifiedArtifact struct {
	id           string   // the consentId, as consentID reads it before verification
	hasID        bool     // the consent has a string consentId
	verifiedWith [32]byte // the trusted consent managers' digest that verified it
	c            consent.Consent
}

const maxArtifacts = 20000

func newArtifactCache() *artifactCache {
	return &artifactCache{m: map[artifactKey]verifiedArtifact{}}
}

func (ac *artifactCache) get(k artifactKey) (verifiedArtifact, bool) {
	ac.mu.Lock()
	v, ok := ac.m[k]
	ac.mu.Unlock()
	return v, ok
}

// consentID is the consentId of r's consent, as consentID reads it: from
// the cache when the artifact verified before, else read (and not kept).
func (ac *artifactCache) consentID(r artifactRef) (string, bool) {
	if v, ok := ac.get(r.key); ok {
		return v.id, v.hasID
	}
	return consentID(r.a.Consent)
}

var errNoArtifact = errors.New("apisetu: no artifact to verify")

// verify returns r's consent if one of keys (the trusted consent
// managers', whose certificates' digest is managers) verifies its
// signature. Only successes are kept.
func (ac *artifactCache) verify(r artifactRef, keys []crypto.PublicKey, managers [32]byte) (consent.Consent, error) {
	if r.a == nil {
		return consent.Consent{}, errNoArtifact
	}
	if v, ok := ac.get(r.key); ok && v.verifiedWith == managers && managers != ([32]byte{}) {
		return v.c, nil
	}
	c, err := r.a.VerifyAny(keys)
	if err != nil {
		return consent.Consent{}, err
	}
	v := verifiedArtifact{id: r.id, hasID: r.hasID, verifiedWith: managers, c: c}
	ac.mu.Lock()
	if _, ok := ac.m[r.key]; !ok && len(ac.m) >= maxArtifacts {
		clear(ac.m)
	}
	ac.m[r.key] = v
	ac.mu.Unlock()
	return c, nil
}
