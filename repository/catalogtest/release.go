package catalogtest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// testRelease: a held document keeps its release time through reads and
// updates, its push is not claimable before it, Stats counts it, Release
// brings the time forward (or moves it) for the documents still held and
// their untried pushes, and the audit log records it.
func testRelease(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	now := time.Now()
	later := now.Add(time.Hour).Truncate(time.Microsecond) // what every catalog keeps
	const held, public, other = "in.gov.test-SSCER-020", "in.gov.test-SSCER-021", "in.gov.test-HSCER-022"
	h := doc(held, 1, "h1")
	h.ReleaseAt = later
	o := doc(other, 1, "h1")
	o.DocType, o.ReleaseAt = "HSCER", later
	if err := c.Apply(ctx, "b", []repository.Change{
		{Doc: h, Size: 1, Outbox: outbox("A")},
		{Doc: doc(public, 1, "h1"), Size: 1, Outbox: outbox("A")},
		{Doc: o, Size: 1, Outbox: outbox("A")},
	}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.Current(ctx, held)
	if err != nil || !got.ReleaseAt.Equal(later) || !got.Held(now) || got.Held(later) {
		t.Fatalf("Current(held) = %+v, %v; want held until %v", got, err, later)
	}
	if got, _ := c.Current(ctx, public); !got.ReleaseAt.IsZero() || got.Held(now) {
		t.Fatalf("Current(public) = %+v, want no release time", got)
	}
	if got, err := c.FindBySearchKey(ctx, "SSCER", h.SearchKey); err != nil || !got.ReleaseAt.Equal(later) {
		t.Fatalf("FindBySearchKey(held) = %+v, %v", got, err)
	}
	// A correction keeps what the change says (ingest carries the hold).
	h2 := doc(held, 2, "h2")
	h2.ReleaseAt = later
	if err := c.Apply(ctx, "b", []repository.Change{{Doc: h2, PrevVersion: 1, Size: 1, Outbox: outbox("U")}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Current(ctx, held); got.Version != 2 || !got.ReleaseAt.Equal(later) {
		t.Fatalf("after a correction: %+v", got)
	}
	items := claim(t, c, "p", 10, lease)
	if actions(items) != "021:A@v1 " {
		t.Fatalf("claimable before the release: %s, want only the public document's push", actions(items))
	}
	settle(t, c, "p", repository.Pushed, items...)
	st, err := c.Stats(ctx, 5)
	if err != nil || st.Held != 2 || st.NextRelease == nil || !st.NextRelease.Equal(later) || st.Outbox.Held != 3 || st.Outbox.Pending != 3 {
		t.Fatalf("Stats = held %d, next %v, outbox %+v, %v; want 2 at %v, 3 pushes pending and held", st.Held, st.NextRelease, st.Outbox, err, later)
	}

	// Moving the SSCER hold later moves its pushes too; HSCER is untouched.
	latest := later.Add(time.Hour)
	if n, err := c.Release(ctx, "SSCER", latest); err != nil || n != 1 {
		t.Fatalf("Release(SSCER, later) = %d, %v; want 1", n, err)
	}
	if got, _ := c.Current(ctx, held); !got.ReleaseAt.Equal(latest) {
		t.Fatalf("after moving the release: %v, want %v", got.ReleaseAt, latest)
	}
	if next, ok, err := c.NextDue(ctx); err != nil || !ok || !next.Equal(later) {
		t.Fatalf("NextDue = %v, %v, %v; want HSCER's push at %v", next, ok, err, later)
	}

	// Releasing now makes them public and their pushes due, A before U.
	if n, err := c.Release(ctx, "", time.Time{}); err != nil || n != 2 {
		t.Fatalf("Release(all, now) = %d, %v; want 2", n, err)
	}
	if got, _ := c.Current(ctx, held); got.Held(time.Now()) || !got.ReleaseAt.IsZero() {
		t.Fatalf("after the release: %+v", got)
	}
	items = claim(t, c, "p2", 10, lease)
	slices.SortFunc(items, func(a, b repository.PushItem) int { return strings.Compare(a.DocID, b.DocID) })
	if actions(items) != "020:A@v1 022:A@v1 " {
		t.Fatalf("claimable after the release: %s, want both As (the U waits behind its A)", actions(items))
	}
	if n, err := c.Release(ctx, "", time.Time{}); err != nil || n != 0 {
		t.Fatalf("a second Release = %d, %v; want 0", n, err)
	}
	if st, _ := c.Stats(ctx, 5); st.Held != 0 || st.NextRelease != nil || st.Outbox.Held != 0 || st.Outbox.Pending != 3 {
		t.Fatalf("Stats after the release: held %d, next %v, outbox %+v", st.Held, st.NextRelease, st.Outbox)
	}
	checkReleaseAudit(t, c)
	checkBatchRelease(t, c, later)
}

// checkReleaseAudit: testRelease's two releases are in the audit log,
// which still verifies.
func checkReleaseAudit(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	var releases []string
	if err := c.AuditLog(ctx, repository.AuditQuery{}, func(e repository.AuditEntry) error {
		if e.Action == repository.AuditRelease {
			releases = append(releases, e.Reason)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(releases) != 2 || !strings.Contains(releases[0], "1 held documents of SSCER released at ") ||
		releases[1] != "2 held documents of every doctype released now" {
		t.Fatalf("audit of the releases: %q", releases)
	}
	if _, _, err := c.VerifyAuditChain(ctx); err != nil {
		t.Fatalf("audit chain after releases: %v", err)
	}
}

// checkBatchRelease: a batch remembers its release time for a resumed run.
func checkBatchRelease(t *testing.T, c repository.Catalog, later time.Time) {
	ctx := context.Background()
	b := repository.Batch{ID: "r1", Profile: "p.yaml", DocType: "SSCER", Inputs: "a.csv", StartedAt: time.Now(),
		Fingerprint: "fp-release", ReleaseAt: later}
	if err := c.StartBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if got, err := c.ResumableBatch(ctx, "p.yaml", "fp-release"); err != nil || !got.ReleaseAt.Equal(later) {
		t.Fatalf("ResumableBatch = %+v, %v; want release %v", got, err, later)
	}
}
