package api

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"
)

// DefaultReplayMax bounds the requests a replay cache remembers: at 16
// bytes a key, about 100 MiB at most; 11,000 requests a second fill a
// 5-minute window with about 3.7 million.
const DefaultReplayMax = 4 << 20

// replayKey is the fixed-size key of a request: a hash of its orgId and its
// exact body. A replay is byte for byte the request (the HMAC covers the
// body), so that is what is refused; two requests that share a txn are
// not replays. DigiLocker's txn need not be unique: the specification's
// own example is the ts in Unix seconds, which every pull of that second
// would share.
type replayKey [16]byte

func newReplayKey(orgID string, body []byte) replayKey {
	h := sha256.New()
	h.Write([]byte(orgID))
	h.Write([]byte{0})
	h.Write(body)
	var k replayKey
	copy(k[:], h.Sum(nil))
	return k
}

// replayCache remembers the keys of requests accepted within the window, in buckets by the request's ts: a request is accepted only while
// its ts is within the window of now, so once a bucket's ts are all older
// than that, nothing in it can come back and the bucket is dropped whole.
// Every call costs a lookup in each live bucket (a constant, about 11) and
// never a sweep of the entries.
type replayCache struct {
	mu      sync.Mutex
	window  time.Duration
	width   int64 // seconds of ts per bucket
	max     int
	n       int
	buckets map[int64]map[replayKey]struct{} // by ts / width
	swept   int64                            // the bucket of now at the last expiry
}

type replayVerdict int

const (
	replayFresh replayVerdict = iota
	replaySeen
	replayFull // refused: remembering it would pass max
)

func newReplayCache(window time.Duration, limit int) *replayCache {
	w := max(1, int64(window/time.Second)/4)
	return &replayCache{window: window, width: w, max: limit, buckets: map[int64]map[replayKey]struct{}{}}
}

func (c *replayCache) bucket(t time.Time) int64 {
	u := t.Unix()
	if u < 0 {
		return (u - c.width + 1) / c.width
	}
	return u / c.width
}

// fresh records k under ts, which the caller has checked is within the
// window of now, unless it was seen before.
func (c *replayCache) fresh(k replayKey, ts, now time.Time) replayVerdict {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	lo, hi := c.bucket(now.Add(-c.window)), c.bucket(now.Add(c.window))
	for b := lo; b <= hi; b++ {
		if _, ok := c.buckets[b][k]; ok {
			return replaySeen
		}
	}
	if c.n >= c.max {
		return replayFull
	}
	b := c.bucket(ts)
	m := c.buckets[b]
	if m == nil {
		m = map[replayKey]struct{}{}
		c.buckets[b] = m
	}
	m[k] = struct{}{}
	c.n++
	return replayFresh
}

// forget drops k, recorded under ts: the request it names was not served
// (a 5xx), so its retry, byte for byte the same, must be.
func (c *replayCache) forget(k replayKey, ts time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m := c.buckets[c.bucket(ts)]; m != nil {
		if _, ok := m[k]; ok {
			delete(m, k)
			c.n--
		}
	}
}

// expire drops the buckets whose every ts is now outside the window; it
// looks at the buckets (a handful) once per bucket width of time.
func (c *replayCache) expire(now time.Time) {
	cur := c.bucket(now)
	if cur == c.swept {
		return
	}
	c.swept = cur
	dead := c.bucket(now.Add(-c.window)) // buckets before it hold only stale ts
	for b, m := range c.buckets {
		if b < dead {
			c.n -= len(m)
			delete(c.buckets, b)
		}
	}
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// pruneReplayLog forgets the shared log's expired txns every quarter
// window, off the request path, until ctx ends.
func (s *Server) pruneReplayLog(ctx context.Context) {
	defer close(s.pruned)
	t := time.NewTicker(max(time.Second, s.cfg.ReplayWindow/4))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := s.cfg.ReplayLog.PruneTxns(ctx, s.cfg.Now()); err != nil && ctx.Err() == nil {
				s.cfg.Logger.Warn("replay log: pruning", "err", err.Error())
			}
		}
	}
}
