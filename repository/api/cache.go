package api

import "sync"

// objectCache keeps verified document bytes by object key and SHA-256.
// Versions are write-once and every entry was checked against the catalog's
// hash, so an entry can never be stale: a new version has another key.
// Memory is bounded by maxBytes; when full, arbitrary entries make room.
type objectCache struct {
	mu       sync.Mutex
	m        map[string][]byte
	size     int
	maxBytes int
}

func newObjectCache(maxBytes int) *objectCache {
	return &objectCache{m: map[string][]byte{}, maxBytes: maxBytes}
}

func (c *objectCache) get(key, sha string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.m[key+"\x00"+sha]
	return b, ok
}

func (c *objectCache) put(key, sha string, b []byte) {
	if len(b) > c.maxBytes/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key + "\x00" + sha
	if _, ok := c.m[k]; ok {
		return
	}
	for c.size+len(b) > c.maxBytes && len(c.m) > 0 {
		for victim, vb := range c.m { // map order is random enough
			delete(c.m, victim)
			c.size -= len(vb)
			break
		}
	}
	c.m[k] = b
	c.size += len(b)
}
