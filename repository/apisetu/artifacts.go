package apisetu

import (
	"crypto"
	"crypto/sha256"
	"sync"

	"github.com/issuerkit/issuerkit/consent"
)

// artifactCache remembers what was learnt of the consent artifacts seen,
// by the digest of an artifact's bytes as received (signature and
// consent): its consentId as read before the signature is checked, and
// its consent once the signature verified with the trusted consent
// managers of the time. A requester sends one artifact for each of its
// repeats; the JSON reading, canonical form and signature check are done
// once. The rules that depend on the request or the time (validity,
// consumer, document, holder, repeats) are applied to every request. At
// most maxArtifacts are kept (when full it starts afresh).
type artifactCache struct {
	mu sync.Mutex
	m  map[artifactKey]artifactFacts
}

// artifactKey is the SHA-256 of an artifact's signature, a zero byte and
// its consent as received.
type artifactKey [32]byte

func keyOf(a *consent.Artifact) artifactKey {
	h := sha256.New()
	h.Write([]byte(a.Signature.Signature))
	h.Write([]byte{0})
	h.Write(a.Consent)
	var k artifactKey
	h.Sum(k[:0])
	return k
}

// artifactFacts is what is known of one artifact.
type artifactFacts struct {
	id    string // the consentId, read before verification
	hasID bool   // the consent is an object with a string consentId
	// verifiedWith is the digest of the trusted consent managers'
	// certificates that verified the signature (zero: not verified), and c
	// the verified consent.
	verifiedWith [32]byte
	c            consent.Consent
}

const maxArtifacts = 20000

func newArtifactCache() *artifactCache {
	return &artifactCache{m: map[artifactKey]artifactFacts{}}
}

func (ac *artifactCache) get(k artifactKey) (artifactFacts, bool) {
	ac.mu.Lock()
	f, ok := ac.m[k]
	ac.mu.Unlock()
	return f, ok
}

func (ac *artifactCache) put(k artifactKey, f artifactFacts) {
	ac.mu.Lock()
	if _, ok := ac.m[k]; !ok && len(ac.m) >= maxArtifacts {
		clear(ac.m)
	}
	ac.m[k] = f
	ac.mu.Unlock()
}

// consentID is the consentId of a (whose key is k), as consentID reads it.
func (ac *artifactCache) consentID(k artifactKey, a *consent.Artifact) (string, bool) {
	if f, ok := ac.get(k); ok {
		return f.id, f.hasID
	}
	f := artifactFacts{}
	f.id, f.hasID = consentID(a.Consent)
	ac.put(k, f)
	return f.id, f.hasID
}

// verify returns a's consent if one of keys (the trusted consent
// managers', whose certificates' digest is managers) verifies its
// signature. Only successes are kept.
func (ac *artifactCache) verify(k artifactKey, a *consent.Artifact, keys []crypto.PublicKey, managers [32]byte) (consent.Consent, error) {
	f, known := ac.get(k)
	if known && f.verifiedWith == managers && managers != ([32]byte{}) {
		return f.c, nil
	}
	c, err := a.VerifyAny(keys)
	if err != nil {
		return consent.Consent{}, err
	}
	if !known {
		f.id, f.hasID = consentID(a.Consent)
	}
	f.verifiedWith, f.c = managers, c
	ac.put(k, f)
	return c, nil
}
