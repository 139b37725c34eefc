package catalogtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
)

// testRequesters: requesters round-trip, an id is never reused (not even
// after a revocation), a revocation shows at once, the list is by id.
func testRequesters(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	added := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
	bank := repository.Requester{ID: "bank", KeyHash: []byte{0xde, 0xad, 0, 1}, DocTypes: []string{"SSCER", "HSCER"},
		RatePerMin: 120, AddedAt: added}
	uni := repository.Requester{ID: "a-university", KeyHash: []byte{7}, NoConsent: true, AddedAt: added}
	for _, r := range []repository.Requester{bank, uni} {
		if err := c.AddRequester(ctx, r); err != nil {
			t.Fatalf("AddRequester(%s): %v", r.ID, err)
		}
	}
	if err := c.AddRequester(ctx, repository.Requester{ID: "bank", KeyHash: []byte{1}, AddedAt: added}); !errors.Is(err, repository.ErrExists) {
		t.Fatalf("a second bank: %v, want ErrExists", err)
	}
	got, err := c.Requester(ctx, "bank")
	if err != nil || !slices.Equal(got.KeyHash, bank.KeyHash) || !slices.Equal(got.DocTypes, bank.DocTypes) ||
		got.NoConsent || got.RatePerMin != 120 || !got.AddedAt.Equal(added) || !got.RevokedAt.IsZero() {
		t.Fatalf("Requester(bank) = %+v, %v; want %+v", got, err, bank)
	}
	if got, err := c.Requester(ctx, "a-university"); err != nil || !got.NoConsent || got.DocTypes != nil || got.RatePerMin != 0 {
		t.Fatalf("Requester(a-university) = %+v, %v", got, err)
	}
	if _, err := c.Requester(ctx, "nobody"); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("Requester(nobody): %v, want ErrNotFound", err)
	}
	revoked := added.Add(30 * time.Minute)
	if err := c.RevokeRequester(ctx, "bank", revoked); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Requester(ctx, "bank"); err != nil || !got.RevokedAt.Equal(revoked) {
		t.Fatalf("after the revocation: %+v, %v; want revoked at %v", got, err, revoked)
	}
	if err := c.RevokeRequester(ctx, "nobody", revoked); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("RevokeRequester(nobody): %v, want ErrNotFound", err)
	}
	if err := c.AddRequester(ctx, bank); !errors.Is(err, repository.ErrExists) {
		t.Fatalf("re-adding a revoked id: %v, want ErrExists", err)
	}
	list, err := c.ListRequesters(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "a-university" || list[1].ID != "bank" || list[1].RevokedAt.IsZero() {
		t.Fatalf("ListRequesters = %+v, %v", list, err)
	}
}

// testConsentManagers: trusting an id again replaces its certificate; the
// list is by id.
func testConsentManagers(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	at := time.Now().UTC().Truncate(time.Microsecond)
	if list, err := c.ConsentManagers(ctx); err != nil || len(list) != 0 {
		t.Fatalf("ConsentManagers before any = %+v, %v", list, err)
	}
	for _, m := range []repository.ConsentManager{{ID: "zcm", CertPEM: "Z1", AddedAt: at}, {ID: "acm", CertPEM: "A1", AddedAt: at},
		{ID: "zcm", CertPEM: "Z2", AddedAt: at.Add(time.Minute)}} {
		if err := c.TrustConsentManager(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	list, err := c.ConsentManagers(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "acm" || list[0].CertPEM != "A1" || list[1].CertPEM != "Z2" ||
		!list[1].AddedAt.Equal(at.Add(time.Minute)) {
		t.Fatalf("ConsentManagers = %+v, %v", list, err)
	}
}

// testUseConsent: uses count within their window only, the limit holds,
// and artifacts count apart.
func testUseConsent(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).UTC()
	steps := []struct {
		id       string
		since    time.Time
		at       time.Time
		limit    int
		ok       bool
		wantUses int
	}{
		{"c1", t0, t0.Add(time.Minute), 2, true, 1},
		{"c1", t0, t0.Add(2 * time.Minute), 2, true, 2},
		{"c1", t0, t0.Add(3 * time.Minute), 2, false, 2},
		{"c2", t0, t0.Add(3 * time.Minute), 2, true, 1},                        // another artifact
		{"c1", t0.Add(90 * time.Second), t0.Add(4 * time.Minute), 2, true, 2},  // the first use left the window
		{"c1", t0.Add(150 * time.Second), t0.Add(5 * time.Minute), 3, true, 2}, // the use at 4 minutes, and this one
		{"c1", time.Time{}, t0.Add(6 * time.Minute), 4, false, 4},              // zero since: every use
		{"c3", t0, t0, 0, false, 0},                                            // a zero limit allows none
	}
	for i, s := range steps {
		ok, uses, err := c.UseConsent(ctx, s.id, s.since, s.at, s.limit)
		if err != nil || ok != s.ok || uses != s.wantUses {
			t.Fatalf("step %d: UseConsent(%s, limit %d) = %v, %d, %v; want %v, %d", i, s.id, s.limit, ok, uses, err, s.ok, s.wantUses)
		}
	}
}

// testUseConsentConcurrently: of many concurrent uses, exactly limit pass.
func testUseConsentConcurrently(t *testing.T, c repository.Catalog) {
	RaceUseConsent(t, []repository.Catalog{c}, 24, 5)
}

// RaceUseConsent runs n concurrent UseConsent calls of one artifact with
// that limit, spread over the catalogs (handles on one database: on
// PostgreSQL, separate pools), and fails t unless exactly limit pass and
// the last count is limit.
func RaceUseConsent(t *testing.T, cats []repository.Catalog, n, limit int) {
	t.Helper()
	ctx := context.Background()
	since := time.Now().Add(-time.Minute)
	id := fmt.Sprintf("race-%d", time.Now().UnixNano())
	var mu sync.Mutex
	passed, maxUses := 0, 0
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, uses, err := cats[i%len(cats)].UseConsent(ctx, id, since, time.Now(), limit)
			if err != nil {
				errs <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if ok {
				passed++
			}
			maxUses = max(maxUses, uses)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("UseConsent: %v", err)
	}
	if passed != limit || maxUses != limit {
		t.Fatalf("%d of %d concurrent uses passed (most uses seen %d); want exactly %d", passed, n, maxUses, limit)
	}
}

// testAuditConsent: an entry's consent and purpose are kept, select by
// consent id, and chain like every other field.
func testAuditConsent(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	if err := c.AppendAudit(ctx, []repository.AuditEntry{
		{Actor: "apisetu:bank", Action: repository.AuditAPISetu, URI: "in.gov.test-SSCER-001", Version: 1, ConsentID: "ca-1", Purpose: "loan"},
		{Actor: "api:in.gov.locker", Action: repository.AuditPull, URI: "in.gov.test-SSCER-001", Version: 1},
		{Actor: "apisetu:bank", Action: repository.AuditAPISetu, URI: "in.gov.test-SSCER-002", ConsentID: "ca-2", Purpose: "job"},
		{Actor: "apisetu:bank", Action: repository.AuditAPISetu, URI: "in.gov.test-SSCER-003", ConsentID: "ca-1", Purpose: "loan"},
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := c.AuditLog(ctx, repository.AuditQuery{ConsentID: "ca-1"}, func(e repository.AuditEntry) error {
		got = append(got, e.URI+"/"+e.ConsentID+"/"+e.Purpose)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"in.gov.test-SSCER-001/ca-1/loan", "in.gov.test-SSCER-003/ca-1/loan"}; !slices.Equal(got, want) {
		t.Fatalf("AuditLog(consent ca-1) = %q, want %q", got, want)
	}
	if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != 4 {
		t.Fatalf("VerifyAuditChain = %d, %v; want 4 entries", n, err)
	}
}

// testUseConsents: a batch is judged use by use, in order, as UseConsent
// judges them (two uses of one consent in a batch count one after the
// other); concurrent batches of one consent let exactly limit uses pass.
func testUseConsents(t *testing.T, c repository.Catalog) {
	b, ok := c.(repository.ConsentBatcher)
	if !ok {
		t.Fatalf("%T does not record consent uses in batches", c)
	}
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).UTC()
	uses := []repository.ConsentUse{
		{ConsentID: "b1", Since: t0, At: t0.Add(time.Minute), Limit: 2},
		{ConsentID: "b2", Since: t0, At: t0.Add(time.Minute), Limit: 1},
		{ConsentID: "b1", Since: t0, At: t0.Add(2 * time.Minute), Limit: 2},
		{ConsentID: "b2", Since: t0, At: t0.Add(2 * time.Minute), Limit: 1},
		{ConsentID: "b1", Since: t0, At: t0.Add(3 * time.Minute), Limit: 2},
	}
	want := []repository.ConsentUsed{{OK: true, Uses: 1}, {OK: true, Uses: 1}, {OK: true, Uses: 2}, {OK: false, Uses: 1}, {OK: false, Uses: 2}}
	got, err := b.UseConsents(ctx, uses)
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("UseConsents = %v, %v; want %v", got, err, want)
	}
	if ok, n, err := c.UseConsent(ctx, "b1", t0, t0.Add(4*time.Minute), 3); err != nil || !ok || n != 3 {
		t.Fatalf("UseConsent after the batch: %v %d %v; want the third use", ok, n, err)
	}
	// Windows: a use two hours back counts only for a use whose window
	// reaches it, in the same batch as in another.
	if ok, _, err := c.UseConsent(ctx, "b3", t0.Add(-3*time.Hour), t0.Add(-2*time.Hour), 5); err != nil || !ok {
		t.Fatalf("UseConsent b3: %v %v", ok, err)
	}
	got, err = b.UseConsents(ctx, []repository.ConsentUse{
		{ConsentID: "b3", Since: t0, At: t0.Add(time.Minute), Limit: 1},                         // the old use is outside: granted
		{ConsentID: "b3", Since: t0.Add(-3 * time.Hour), At: t0.Add(2 * time.Minute), Limit: 2}, // old + the first: refused
		{ConsentID: "b3", Since: t0.Add(-3 * time.Hour), At: t0.Add(3 * time.Minute), Limit: 3}, // the third in its window
	})
	want = []repository.ConsentUsed{{OK: true, Uses: 1}, {OK: false, Uses: 2}, {OK: true, Uses: 3}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("UseConsents over windows = %v, %v; want %v", got, err, want)
	}
	// 8 concurrent batches of 4 uses of one consent, limit 5.
	id := fmt.Sprintf("batch-race-%d", time.Now().UnixNano())
	var wg sync.WaitGroup
	var mu sync.Mutex
	passed := 0
	for range 8 {
		wg.Go(func() {
			batch := make([]repository.ConsentUse, 4)
			for i := range batch {
				batch[i] = repository.ConsentUse{ConsentID: id, Since: t0, At: time.Now(), Limit: 5}
			}
			res, err := b.UseConsents(ctx, batch)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range res {
				if r.OK {
					passed++
				}
			}
		})
	}
	wg.Wait()
	if passed != 5 {
		t.Fatalf("%d of 32 batched uses passed a limit of 5", passed)
	}
}

// testUseConsentsAudited: the audit entries of the granted uses of a
// batch, and only theirs, are appended in the batch's order with the
// uses, on a chain that still verifies; entries that do not match the
// uses in number are refused with nothing recorded.
func testUseConsentsAudited(t *testing.T, c repository.Catalog) {
	b, ok := c.(repository.AuditedUses)
	if !ok {
		t.Fatalf("%T does not record consent uses with their audit entries", c)
	}
	ctx := context.Background()
	t0 := time.Now().Add(-time.Hour).UTC()
	uses := []repository.ConsentUse{
		{ConsentID: "a2", Since: t0, At: t0.Add(time.Minute), Limit: 1},
		{ConsentID: "a1", Since: t0, At: t0.Add(time.Minute), Limit: 1},
		{ConsentID: "a2", Since: t0, At: t0.Add(2 * time.Minute), Limit: 1},
	}
	entry := func(id, what string) repository.AuditEntry {
		return repository.AuditEntry{Actor: "apisetu:bank", Action: repository.AuditAPISetu, URI: "in.gov.t-X-1", Reason: what, ConsentID: id}
	}
	granted := []repository.AuditEntry{entry("a2", "first"), entry("a1", "second"), entry("a2", "third")}
	if _, err := b.UseConsentsAudited(ctx, uses, granted[:2]); err == nil {
		t.Fatal("3 uses with 2 entries were accepted")
	}
	got, err := b.UseConsentsAudited(ctx, uses, granted)
	want := []repository.ConsentUsed{{OK: true, Uses: 1}, {OK: true, Uses: 1}, {OK: false, Uses: 1}}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("UseConsentsAudited = %v, %v; want %v", got, err, want)
	}
	var reasons []string
	err = c.AuditLog(ctx, repository.AuditQuery{}, func(e repository.AuditEntry) error {
		reasons = append(reasons, e.ConsentID+" "+e.Reason)
		return nil
	})
	if err != nil || fmt.Sprint(reasons) != "[a2 first a1 second]" {
		t.Fatalf("audit log %q, %v; want the two granted uses' entries in order", reasons, err)
	}
	if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != 2 {
		t.Fatalf("VerifyAuditChain = %d, %v; want 2 entries", n, err)
	}
}
