package repository

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// readCache keeps the documents the API looked up, so that a locker asking
// again for a popular document does not cost a query. It is emptied when
// this catalog commits changes, and when the generation counter that every
// Apply bumps has moved — checked at most every cacheCheck, so another
// process's change is seen within that time. Audit entries do not bump it.
type readCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]Document
	checked time.Time
	version int64
}

const (
	cacheCheck   = 50 * time.Millisecond
	cacheEntries = 200_000
)

func newReadCache(db *sql.DB) *readCache { return &readCache{db: db, m: map[string]Document{}} }

// get returns the cached document for key, or loads and caches it. Misses
// are not cached.
func (c *readCache) get(ctx context.Context, key string, load func() (Document, error)) (Document, error) {
	c.mu.Lock()
	if time.Since(c.checked) > cacheCheck {
		c.refresh(ctx)
	}
	d, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return d, nil
	}
	d, err := load()
	if err != nil {
		return d, err
	}
	c.mu.Lock()
	if len(c.m) >= cacheEntries {
		c.m = map[string]Document{}
	}
	c.m[key] = d
	c.mu.Unlock()
	return d, nil
}

// refresh empties the cache if documents changed since the last check;
// c.mu is held.
func (c *readCache) refresh(ctx context.Context) {
	c.checked = time.Now()
	var v int64
	if err := c.db.QueryRowContext(ctx, "SELECT n FROM generation").Scan(&v); err != nil || v != c.version {
		c.m = map[string]Document{}
		c.version = v
		if err != nil {
			c.checked = time.Time{} // ask again next time
		}
	}
}

func (c *readCache) clear() {
	c.mu.Lock()
	c.m = map[string]Document{}
	c.mu.Unlock()
}
