package repository

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Generationer is a catalog that counts document changes: its Generation
// moves whenever Apply commits a change, whichever process commits it.
type Generationer interface {
	Generation(ctx context.Context) (int64, error)
}

// CacheReads returns c with its lookups (Current, FindBySearchKey,
// FindByUID) cached, for a process that reads far more than it writes: the
// API server, where a locker asking again for a popular document then costs
// no query. A catalog that counts no Generation is returned as it is.
func CacheReads(c Catalog) Catalog {
	g, ok := c.(Generationer)
	if !ok {
		return c
	}
	return &cachedCatalog{Catalog: c, reads: newReadCache(g.Generation)}
}

// cachedCatalog is a Catalog whose lookups go through a readCache.
type cachedCatalog struct {
	Catalog
	reads *readCache
}

var _ Catalog = (*cachedCatalog)(nil)

func (c *cachedCatalog) Current(ctx context.Context, uri string) (Document, error) {
	return c.reads.get(ctx, readKey{kind: byURI, b: uri}, func() (Document, error) { return c.Catalog.Current(ctx, uri) })
}

func (c *cachedCatalog) FindBySearchKey(ctx context.Context, doctype, searchKey string) (Document, error) {
	return c.reads.get(ctx, readKey{kind: bySearchKey, a: doctype, b: searchKey}, func() (Document, error) {
		return c.Catalog.FindBySearchKey(ctx, doctype, searchKey)
	})
}

func (c *cachedCatalog) FindByUID(ctx context.Context, doctype, uidHash string) (Document, error) {
	return c.reads.get(ctx, readKey{kind: byUID, a: doctype, b: uidHash}, func() (Document, error) {
		return c.Catalog.FindByUID(ctx, doctype, uidHash)
	})
}

// Apply empties the cache after the commit (or the attempt): this process
// sees its own changes at once.
func (c *cachedCatalog) Apply(ctx context.Context, batchID string, changes []Change, mark *Watermark) error {
	err := c.Catalog.Apply(ctx, batchID, changes, mark)
	c.reads.clear()
	return err
}

// Release empties the cache like Apply.
func (c *cachedCatalog) Release(ctx context.Context, doctype string, at time.Time) (int, error) {
	n, err := c.Catalog.Release(ctx, doctype, at)
	c.reads.clear()
	return n, err
}

// readCache keeps the answers of the catalog's lookups (Current,
// FindBySearchKey, FindByUID), so that a locker asking again for a popular
// document costs no query. Misses are kept too: a request for a record that
// does not exist and one for a record whose holder does not match then cost
// the same, so the API's timing does not tell them apart either.
//
// It is emptied when this process commits changes, and when the catalog's
// Generation has moved — checked at most every cacheCheck, so another
// process's change is seen within about that time. Audit entries and
// pushes do not move it.
type readCache struct {
	generation func(context.Context) (int64, error)

	// due is when the next generation check is due, in nanoseconds of
	// the monotonic clock since born: read without the lock, so that the
	// requests between checks (nearly all) take the lock once, for the
	// map, not twice. Not wall time: a clock stepped back would have
	// skipped the checks for as long.
	due  atomic.Int64
	born time.Time

	mu sync.Mutex
	m  map[readKey]lookup
	// epoch counts the times m was emptied. A lookup that started before
	// an emptying may have read what the emptying was for, so its answer
	// is not kept.
	epoch    uint64
	checking bool // a generation query is running
	checked  time.Time
	version  int64
}

// readKey names a lookup: its kind and arguments, kept apart (not joined
// into one string, which cost an allocation on every request).
type readKey struct {
	kind readKind
	a, b string // doctype and search key or UID hash; "" and the URI
}

type readKind uint8

const (
	byURI readKind = iota
	bySearchKey
	byUID
)

// lookup is a kept answer: a document, or a miss (err is ErrNotFound).
type lookup struct {
	doc Document
	err error
}

const (
	cacheCheck   = 50 * time.Millisecond
	cacheEntries = 200_000
)

func newReadCache(generation func(context.Context) (int64, error)) *readCache {
	return &readCache{generation: generation, m: map[readKey]lookup{}, born: time.Now()}
}

// get returns the kept answer for key, or loads and keeps it. Errors other
// than ErrNotFound are returned and not kept.
func (c *readCache) get(ctx context.Context, key readKey, load func() (Document, error)) (Document, error) {
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
	if int64(time.Since(c.born)) < c.due.Load() {
		return
	}
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
	v, err := c.generation(qctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checking = false
	c.checked = time.Now()
	if err != nil {
		// Whether documents changed is unknown: forget everything and
		// ask again next time.
		c.emptyLocked()
		c.checked = time.Time{}
		c.due.Store(0)
		return
	}
	c.due.Store(int64(c.checked.Add(cacheCheck).Sub(c.born)))
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
	c.m = map[readKey]lookup{}
	c.epoch++
}

// UseConsents forwards the group commit of consent uses (ConsentBatcher).
func (c *cachedCatalog) UseConsents(ctx context.Context, uses []ConsentUse) ([]ConsentUsed, error) {
	b, ok := c.Catalog.(ConsentBatcher)
	if !ok {
		return nil, errors.New("catalog: this catalog records consent uses one at a time only")
	}
	return b.UseConsents(ctx, uses)
}

// UseConsentsAudited forwards the uses recorded with their audit entries
// (AuditedUses).
func (c *cachedCatalog) UseConsentsAudited(ctx context.Context, uses []ConsentUse, granted []AuditEntry) ([]ConsentUsed, error) {
	b, ok := c.Catalog.(AuditedUses)
	if !ok {
		return nil, errors.New("catalog: this catalog records consent uses without their audit entries only")
	}
	return b.UseConsentsAudited(ctx, uses, granted)
}

// RequesterRevocations forwards the count of this process's revocations
// (RevocationCounter; 0 from a catalog that counts none).
func (c *cachedCatalog) RequesterRevocations() int64 {
	if r, ok := c.Catalog.(RevocationCounter); ok {
		return r.RequesterRevocations()
	}
	return 0
}
