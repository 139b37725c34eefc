package repository

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// readCache keeps the answers of the catalog's lookups (Current,
// FindBySearchKey, FindByUID), so that a locker asking again for a popular
// document costs no query. Misses are kept too: a request for a record that
// does not exist and one for a record whose holder does not match then cost
// the same, so the API's timing does not tell them apart either.
//
// It is emptied when this catalog commits changes, and when the generation
// counter that every Apply bumps has moved — checked at most every
// cacheCheck, so another process's change is seen within about that time.
// Audit entries do not bump it.
type readCache struct {
	db *sql.DB

	mu sync.Mutex
	m  map[string]lookup
	// epoch counts the times m was emptied. A lookup that started before
	// an emptying may have read what the emptying was for, so its answer
	// is not kept.
	epoch    uint64
	checking bool // a generation query is running
	checked  time.Time
	version  int64
}

// lookup is a kept answer: a document, or a miss (err is ErrNotFound).
type lookup struct {
	doc Document
	err error
}

const (
	cacheCheck   = 50 * time.Millisecond
	cacheEntries = 200_000
)

func newReadCache(db *sql.DB) *readCache { return &readCache{db: db, m: map[string]lookup{}} }

// get returns the kept answer for key, or loads and keeps it. Errors other
// than ErrNotFound are returned and not kept.
func (c *readCache) get(ctx context.Context, key string, load func() (Document, error)) (Document, error) {
	c.refresh(ctx)
	c.mu.Lock()
	l, ok := c.m[key]
	epoch := c.epoch
	c.mu.Unlock()
	if ok {
		return l.doc, l.err
	}
	d, err := load()
	if err != nil && !errors.Is(err, ErrNotFound) {
		return d, err
	}
	c.mu.Lock()
	if c.epoch == epoch {
		if len(c.m) >= cacheEntries {
			c.emptyLocked()
		}
		c.m[key] = lookup{d, err}
	}
	c.mu.Unlock()
	return d, err
}

// refresh empties the cache if documents changed since the last check. One
// caller runs the query at a time; the others go on with the cache as it is
// meanwhile, instead of waiting behind the query.
func (c *readCache) refresh(ctx context.Context) {
	c.mu.Lock()
	if c.checking || time.Since(c.checked) < cacheCheck {
		c.mu.Unlock()
		return
	}
	c.checking = true
	c.mu.Unlock()
	// Not the request's own context: a client hanging up must not empty
	// the cache that every other request relies on.
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	var v int64
	err := c.db.QueryRowContext(qctx, "SELECT n FROM generation").Scan(&v)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checking = false
	c.checked = time.Now()
	if err != nil {
		// Whether documents changed is unknown: forget everything and
		// ask again next time.
		c.emptyLocked()
		c.checked = time.Time{}
		return
	}
	if v != c.version {
		c.emptyLocked()
		c.version = v
	}
}

// clear empties the cache: the caller has just committed changes.
func (c *readCache) clear() {
	c.mu.Lock()
	c.emptyLocked()
	c.mu.Unlock()
}

func (c *readCache) emptyLocked() {
	c.m = map[string]lookup{}
	c.epoch++
}
