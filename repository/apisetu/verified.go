package apisetu

import (
	"crypto"
	"crypto/sha256"
	"sync"

	"github.com/issuerkit/issuerkit/consent"
)

// verifiedCache remembers the consents whose signatures verified, by the
// digest of the artifact's bytes as received (consent and signature) and
// of the trusted consent managers' certificates at the time: a requester
// uses one artifact for each of its repeats, and its canonical form and
// signature need checking once. The rules that depend on the request or
// the time (validity, consumer, document, holder, repeats) are applied to
// every request. Only successes are kept; at most maxVerified of them
// (when full it starts afresh).
type verifiedCache struct {
	mu sync.Mutex
	m  map[[32]byte]consent.Consent
}

const maxVerified = 20000

func newVerifiedCache() *verifiedCache {
	return &verifiedCache{m: map[[32]byte]consent.Consent{}}
}

// verify returns a's consent if one of keys verifies its signature.
func (v *verifiedCache) verify(a *consent.Artifact, keys []crypto.PublicKey, managers [32]byte) (consent.Consent, error) {
	h := sha256.New()
	h.Write(managers[:])
	h.Write([]byte(a.Signature.Signature))
	h.Write([]byte{0})
	h.Write(a.Consent)
	var k [32]byte
	h.Sum(k[:0])
	v.mu.Lock()
	c, ok := v.m[k]
	v.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := a.VerifyAny(keys)
	if err != nil {
		return consent.Consent{}, err
	}
	v.mu.Lock()
	if len(v.m) >= maxVerified {
		clear(v.m)
	}
	v.m[k] = c
	v.mu.Unlock()
	return c, nil
}
