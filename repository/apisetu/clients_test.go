package apisetu

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// countingClients is a catalog of requesters that counts its reads and,
// when counting is set, this process's revocations.
type countingClients struct {
	Clients // only Requester is called
	byID    map[string]Requester
	reads   int
	revs    int64
}

func (c *countingClients) Requester(_ context.Context, id string) (Requester, error) {
	c.reads++
	r, ok := c.byID[id]
	if !ok {
		return Requester{}, fmt.Errorf("catalog: requester %s: %w", id, repository.ErrNotFound)
	}
	return r, nil
}

type countedClients struct{ *countingClients }

func (c countedClients) RequesterRevocations() int64 { return c.revs }

// TestRequesterCache: requesters and unknown ids are kept for
// RequesterTTL when the catalog counts revocations; a revocation this
// process made is seen at once, another process's (the row changed, no
// count) once the TTL passed; a catalog that counts none is read every
// time.
func TestRequesterCache(t *testing.T) {
	for _, tc := range []struct {
		name    string
		counted bool
		change  func(c *countingClients) // between the first and second reads
		after   time.Duration            // the second read's time after the first
		revoked bool                     // the second read sees the revocation
		reads   int                      // catalog reads for both
	}{
		{"kept", true, func(*countingClients) {}, RequesterTTL / 2, false, 1},
		{"revoked here", true, revoke(true), time.Millisecond, true, 2},
		{"revoked elsewhere, within the TTL", true, revoke(false), RequesterTTL - time.Millisecond, false, 1},
		{"revoked elsewhere, after the TTL", true, revoke(false), RequesterTTL, true, 2},
		{"clock stepped back", true, revoke(false), -time.Minute, true, 2},
		{"uncounted catalog", false, revoke(false), time.Millisecond, true, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &countingClients{byID: map[string]Requester{"bank": {ID: "bank"}}}
			var cl Clients = c
			if tc.counted {
				cl = countedClients{c}
			}
			now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			cc := newClientCache(cl, time.Minute, func() time.Time { return now })
			ctx := context.Background()
			if r, err := cc.requester(ctx, "bank"); err != nil || !r.RevokedAt.IsZero() {
				t.Fatalf("first read: %+v, %v", r, err)
			}
			tc.change(c)
			now = now.Add(tc.after)
			r, err := cc.requester(ctx, "bank")
			if err != nil || r.RevokedAt.IsZero() != !tc.revoked {
				t.Fatalf("second read: %+v, %v; want revoked %v", r, err, tc.revoked)
			}
			if c.reads != tc.reads {
				t.Fatalf("%d catalog reads, want %d", c.reads, tc.reads)
			}
		})
	}
}

func revoke(here bool) func(c *countingClients) {
	return func(c *countingClients) {
		r := c.byID["bank"]
		r.RevokedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		c.byID["bank"] = r
		if here {
			c.revs++
		}
	}
}

// TestRequesterCacheUnknown: an unknown id is kept as one (ErrNotFound)
// like a client, so it costs what a client's costs; added meanwhile by
// another process, it is known once the TTL passed.
func TestRequesterCacheUnknown(t *testing.T) {
	c := &countingClients{byID: map[string]Requester{}}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cc := newClientCache(countedClients{c}, time.Minute, func() time.Time { return now })
	ctx := context.Background()
	for range 3 {
		if _, err := cc.requester(ctx, "stranger"); !errors.Is(err, repository.ErrNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
	}
	if c.reads != 1 {
		t.Fatalf("%d catalog reads for an unknown id asked 3 times, want 1", c.reads)
	}
	c.byID["stranger"] = Requester{ID: "stranger"}
	now = now.Add(RequesterTTL)
	if r, err := cc.requester(ctx, "stranger"); err != nil || r.ID != "stranger" {
		t.Fatalf("after the TTL: %+v, %v", r, err)
	}
}
