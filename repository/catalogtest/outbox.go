package catalogtest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

const lease = time.Minute

// issue applies version 1 (action A) of each URI.
func issue(t *testing.T, c repository.Catalog, uris ...string) {
	t.Helper()
	var chs []repository.Change
	for _, u := range uris {
		chs = append(chs, repository.Change{Doc: doc(u, 1, "h1"), Size: 1, Outbox: outbox("A")})
	}
	if err := c.Apply(context.Background(), "b", chs, nil); err != nil {
		t.Fatal(err)
	}
}

// update applies version v (action U) of uri.
func update(t *testing.T, c repository.Catalog, uri string, v int) {
	t.Helper()
	ch := repository.Change{Doc: doc(uri, v, fmt.Sprint("h", v)), PrevVersion: v - 1, Size: 1, Outbox: outbox("U")}
	if err := c.Apply(context.Background(), "b", []repository.Change{ch}, nil); err != nil {
		t.Fatal(err)
	}
}

func claim(t *testing.T, c repository.Catalog, owner string, max int, lease time.Duration) []repository.PushItem {
	t.Helper()
	items, err := c.Claim(context.Background(), owner, max, lease, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return items
}

// settle settles items as owner and returns how many it no longer held.
func settle(t *testing.T, c repository.Catalog, owner string, outcome repository.Outcome, items ...repository.PushItem) int {
	t.Helper()
	var s []repository.Settlement
	for _, it := range items {
		s = append(s, repository.Settlement{ID: it.ID, Outcome: outcome, Next: time.Now().Add(time.Hour), Error: "boom"})
	}
	lost, err := c.Settle(context.Background(), owner, s)
	if err != nil {
		t.Fatal(err)
	}
	return lost
}

func actions(items []repository.PushItem) string {
	s := ""
	for _, it := range items {
		s += fmt.Sprintf("%s:%s@v%d ", it.URI[len(it.URI)-3:], it.Action, it.Version)
	}
	return s
}

// testOutboxOrder: an U is not handed out while its URI's A is pending.
func testOutboxOrder(t *testing.T, c repository.Catalog) {
	issue(t, c, "in.gov.test-SSCER-001", "in.gov.test-SSCER-002")
	update(t, c, "in.gov.test-SSCER-001", 2)
	got := claim(t, c, "p1", 10, lease)
	if a := actions(got); a != "001:A@v1 002:A@v1 " {
		t.Fatalf("first claim: %s", a)
	}
	if it := got[0]; it.DocName != "Class X Marksheet" || it.IssuedOn != "01/06/2025" || string(it.AadhaarEnc) != "\x01\x02\x03" || it.DocType != "SSCER" {
		t.Fatalf("item fields: %+v", it)
	}
	if more := claim(t, c, "p1", 10, lease); len(more) != 0 {
		t.Fatalf("U handed out while its A is leased: %s", actions(more))
	}
	settle(t, c, "p1", repository.Pushed, got...)
	next := claim(t, c, "p1", 10, lease)
	if a := actions(next); a != "001:U@v2 " {
		t.Fatalf("after the A: %s", a)
	}
	settle(t, c, "p1", repository.Pushed, next...)
	st, err := c.Stats(context.Background(), 1)
	if err != nil || st.Outbox.Pending != 0 || st.Outbox.Pushed != 3 {
		t.Fatalf("stats %+v %v", st.Outbox, err)
	}
	if _, ok, err := c.NextDue(context.Background()); ok || err != nil {
		t.Fatalf("NextDue with nothing pending: %v %v", ok, err)
	}
}

// testOutboxLeases: concurrent claimers never share a row; a dead owner's
// lease expires; a stale owner's settlement is ignored.
func testOutboxLeases(t *testing.T, c repository.Catalog) {
	var uris []string
	for i := range 60 {
		uris = append(uris, fmt.Sprintf("in.gov.test-SSCER-%03d", i))
	}
	issue(t, c, uris...)
	seen := map[int64]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		owner := fmt.Sprint("w", w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				items, err := c.Claim(context.Background(), owner, 7, lease, time.Time{})
				if err != nil {
					t.Error(err)
					return
				}
				if len(items) == 0 {
					return
				}
				mu.Lock()
				for _, it := range items {
					if prev, dup := seen[it.ID]; dup {
						t.Errorf("row %d claimed by %s and %s", it.ID, prev, owner)
					}
					seen[it.ID] = owner
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 60 {
		t.Fatalf("claimed %d rows, want 60", len(seen))
	}

	// A short lease expires: the row is due again for another owner, and
	// the first owner's late settlement changes nothing.
	issue(t, c, "in.gov.test-SSCER-900")
	short := claim(t, c, "dead-owner", 1, 50*time.Millisecond)
	if len(short) != 1 {
		t.Fatalf("claimed %d", len(short))
	}
	if got := claim(t, c, "other", 1, lease); len(got) != 0 {
		t.Fatalf("claimed a leased row: %s", actions(got))
	}
	due, ok, err := c.NextDue(context.Background())
	if err != nil || !ok || time.Until(due) > time.Second {
		t.Fatalf("NextDue = %v %v %v, want the lease's end", due, ok, err)
	}
	time.Sleep(time.Until(due) + 10*time.Millisecond)
	again := claim(t, c, "other", 1, lease)
	if len(again) != 1 || again[0].ID != short[0].ID {
		t.Fatalf("after the lease expired: %s", actions(again))
	}
	if lost := settle(t, c, "dead-owner", repository.Dead, short...); lost != 1 {
		t.Fatalf("the stale owner's settlement: %d lost, want 1", lost)
	}
	if lost := settle(t, c, "other", repository.Pushed, again...); lost != 0 {
		t.Fatalf("the owner's settlement: %d lost, want 0", lost)
	}
	st, _ := c.Stats(context.Background(), 1)
	if st.Outbox.Dead != 0 || st.Outbox.Pushed != 1 {
		t.Fatalf("a stale owner's settlement counted: %+v", st.Outbox)
	}
}

// testOutboxRetry: a retry waits for its time; a release is due at once and
// does not count as an attempt.
func testOutboxRetry(t *testing.T, c repository.Catalog) {
	issue(t, c, "in.gov.test-SSCER-001", "in.gov.test-SSCER-002")
	items := claim(t, c, "p", 2, lease)
	if len(items) != 2 {
		t.Fatalf("claimed %d", len(items))
	}
	settle(t, c, "p", repository.Retry, items[0])
	settle(t, c, "p", repository.Released, items[1])
	got := claim(t, c, "p", 10, lease)
	if len(got) != 1 || got[0].ID != items[1].ID || got[0].Attempts != 0 {
		t.Fatalf("after retry+release: %+v", got)
	}
	settle(t, c, "p", repository.Pushed, got...)
	due, ok, err := c.NextDue(context.Background())
	if err != nil || !ok || time.Until(due) < 59*time.Minute {
		t.Fatalf("NextDue = %v %v %v, want in an hour", due, ok, err)
	}
}

// testOutboxDueBy: a claim bounded by dueBy leaves out rows due after it;
// NextDue is the time of a URI's first pending row, not of a row waiting
// behind it.
func testOutboxDueBy(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	issue(t, c, "in.gov.test-SSCER-001")
	update(t, c, "in.gov.test-SSCER-001", 2) // its U waits behind the A
	a := claim(t, c, "p", 10, lease)
	if got := actions(a); got != "001:A@v1 " {
		t.Fatalf("claimed %s", got)
	}
	settle(t, c, "p", repository.Retry, a...) // due in an hour
	due, ok, err := c.NextDue(ctx)
	if err != nil || !ok || time.Until(due) < 59*time.Minute {
		t.Fatalf("NextDue = %v %v %v: want the A's retry in an hour, not the U waiting behind it", due, ok, err)
	}
	issue(t, c, "in.gov.test-SSCER-002") // due now
	if items, err := c.Claim(ctx, "p", 10, lease, time.Now().Add(-time.Minute)); err != nil || len(items) != 0 {
		t.Fatalf("a claim due by a minute ago took %s (%v)", actions(items), err)
	}
	items, err := c.Claim(ctx, "p", 10, lease, time.Now().Add(time.Minute))
	if err != nil || actions(items) != "002:A@v1 " {
		t.Fatalf("a claim due by a minute from now took %s (%v), want 002 only", actions(items), err)
	}
}

// testOutboxDeadLetters: a dead row holds back later pushes of its URI,
// including ones written after it died, until RetryDead requeues them in
// order.
func testOutboxDeadLetters(t *testing.T, c repository.Catalog) {
	const u = "in.gov.test-SSCER-001"
	issue(t, c, u, "in.gov.test-SSCER-002")
	update(t, c, u, 2)
	items := claim(t, c, "p", 10, lease)
	if actions(items) != "001:A@v1 002:A@v1 " {
		t.Fatalf("claim: %s", actions(items))
	}
	settle(t, c, "p", repository.Dead, items[0])
	settle(t, c, "p", repository.Pushed, items[1])
	update(t, c, u, 3)
	if got := claim(t, c, "p", 10, lease); len(got) != 0 {
		t.Fatalf("claimed behind a dead row: %s", actions(got))
	}
	dead, err := c.DeadLetters(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if actions(dead) != "001:A@v1 001:U@v2 001:U@v3 " || dead[0].LastError != "boom" || dead[0].Attempts != 1 {
		t.Fatalf("dead letters: %s %+v", actions(dead), dead[0])
	}
	st, _ := c.Stats(context.Background(), 1)
	if st.Outbox.Dead != 3 || st.Outbox.Pending != 0 {
		t.Fatalf("stats: %+v", st.Outbox)
	}
	n, err := c.RetryDead(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("RetryDead = %d, %v", n, err)
	}
	var order string
	for {
		got := claim(t, c, "p", 10, lease)
		if len(got) == 0 {
			break
		}
		order += actions(got)
		settle(t, c, "p", repository.Pushed, got...)
	}
	if order != "001:A@v1 001:U@v2 001:U@v3 " {
		t.Fatalf("after RetryDead: %s", order)
	}
}
