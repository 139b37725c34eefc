package api

import (
	"fmt"
	"testing"
	"time"
)

// TestReplayCacheExpiresByTS: an entry lives as long as its ts can pass the
// window check, not a window from first sight. A request with a ts four
// minutes ahead (clock skew within a 5-minute window), replayed five
// minutes and a second later, still has a ts inside the window; the old
// cache had forgotten it by then.
func TestReplayCacheExpiresByTS(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	c := newReplayCache(5*time.Minute, 100)
	ts := t0.Add(4 * time.Minute)
	if v := c.fresh(key("org", "tx"), ts, t0); v != replayFresh {
		t.Fatalf("first: %v", v)
	}
	if v := c.fresh(key("org", "tx"), ts, t0.Add(5*time.Minute+time.Second)); v != replaySeen {
		t.Fatalf("replay 5m1s later with its ts still in the window: %v, want seen", v)
	}
	// Keyed by org and body: another locker's identical body is its own.
	if v := c.fresh(key("other-org", "tx"), ts, t0); v != replayFresh {
		t.Fatalf("another org's request: %v", v)
	}
	// Once every ts of a bucket is out of the window the bucket goes whole.
	later := ts.Add(5*time.Minute + 2*c.bucketWidth())
	c.fresh(key("org", "new"), later, later)
	if n := c.len(); n != 1 {
		t.Fatalf("%d entries after expiry, want 1", n)
	}
}

func (c *replayCache) bucketWidth() time.Duration { return time.Duration(c.width) * time.Second }

func key(org, body string) replayKey { return newReplayKey(org, []byte(body)) }

// TestReplayCacheForget: a forgotten request is fresh again, once.
func TestReplayCacheForget(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	c := newReplayCache(5*time.Minute, 100)
	c.fresh(key("org", "a"), t0, t0)
	c.fresh(key("org", "b"), t0, t0)
	c.forget(key("org", "a"), t0)
	c.forget(key("org", "zzz"), t0) // never recorded: nothing happens
	if n := c.len(); n != 1 {
		t.Fatalf("%d entries after forgetting one of two, want 1", n)
	}
	if v := c.fresh(key("org", "a"), t0, t0); v != replayFresh {
		t.Fatalf("after forget: %v, want fresh", v)
	}
	if v := c.fresh(key("org", "a"), t0, t0); v != replaySeen {
		t.Fatalf("again: %v, want seen", v)
	}
}

// TestReplayCacheBounded: a full cache refuses in O(1) (the old one swept
// the whole map under its mutex on every refusal: 31.9 ms a call at 1M
// entries), and frees itself as the buckets age out instead of refusing
// for ever.
func TestReplayCacheBounded(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	const n = 200_000
	c := newReplayCache(time.Minute, n)
	for i := range n {
		c.fresh(key("org", fmt.Sprint(i)), t0, t0)
	}
	start := time.Now()
	for i := range 2000 {
		if v := c.fresh(key("org", fmt.Sprint("x", i)), t0, t0.Add(time.Second)); v != replayFull {
			t.Fatalf("over the bound: %v", v)
		}
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("2000 refusals of a full cache took %s: not O(1)", d)
	}
	later := t0.Add(2*time.Minute + time.Second)
	if v := c.fresh(key("org", "after"), later, later); v != replayFresh {
		t.Fatalf("after the window: %v, want fresh", v)
	}
}

func BenchmarkReplayFresh(b *testing.B) {
	c := newReplayCache(5*time.Minute, DefaultReplayMax)
	t0 := time.Now()
	for i := 0; b.Loop(); i++ {
		now := t0.Add(time.Duration(i) * 100 * time.Microsecond)
		c.fresh(key("in.gov.locker", fmt.Sprint("txn-", i)), now, now)
	}
}
