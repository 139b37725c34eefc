package repository

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAuditTamperingDetected: altering, deleting or reordering a past
// entry breaks the chain at that entry.
func TestAuditTamperingDetected(t *testing.T) {
	ctx := context.Background()
	for name, tamper := range map[string]string{
		"altered":  `UPDATE audit SET reason = 'nothing to see' WHERE id = 2`,
		"deleted":  `DELETE FROM audit WHERE id = 2`,
		"reworded": `UPDATE audit SET actor = 'someone else' WHERE id = 3`,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "c.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			var es []AuditEntry
			for _, r := range []string{"a", "b", "c", "d"} {
				es = append(es, AuditEntry{Actor: "t", Action: AuditRevoke, URI: "in.gov.t-X-1", Reason: r})
			}
			if err := c.AppendAudit(ctx, es); err != nil {
				t.Fatal(err)
			}
			if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != 4 {
				t.Fatalf("before: %d %v", n, err)
			}
			if _, err := c.db.db.Exec(tamper); err != nil {
				t.Fatal(err)
			}
			_, _, err = c.VerifyAuditChain(ctx)
			if !errors.Is(err, ErrAuditTampered) || !strings.Contains(err.Error(), "entry") {
				t.Fatalf("after %s: %v", name, err)
			}
		})
	}
}

// TestAuditHashStable: the chain's encoding does not change, or every log
// written before would fail --verify-chain.
func TestAuditHashStable(t *testing.T) {
	e := AuditEntry{At: time.Date(2026, 11, 23, 10, 4, 5, 123456000, time.UTC), Actor: "api:in.gov.locker", Action: AuditPull,
		URI: "in.gov.cbse-SSCER-75000032025", Version: 2, BatchID: "b-1", Reason: "PullURI txn t7 (and 3 more pulls)"}
	for prev, want := range map[string]string{
		"":     "bc225e34ec6750d31f2e723bd6dc1561c9e4f6b99718f388fd09e7b81471851e",
		"ab12": "8c160e08ff524fd5d09028f810545b1d10bf1e2b2f5bdfb4dafaf208b1641571",
	} {
		if got := auditHash(prev, &e); got != want {
			t.Errorf("auditHash(%q) = %s, want %s", prev, got, want)
		}
	}
}

// BenchmarkAppendAudit: a flush of the API's audit writer, 2,500 pulls
// (a quarter second at 10,000 req/s) in one transaction.
func BenchmarkAppendAudit(b *testing.B) {
	c, err := OpenSQLite(context.Background(), filepath.Join(b.TempDir(), "catalog.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	batch := make([]AuditEntry, 2500)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			n++
			batch[i] = AuditEntry{Actor: "api:in.gov.locker", Action: AuditPull, URI: fmt.Sprintf("in.gov.bench-SSCER-%07d2025", n%100_000),
				Version: 1, Reason: "PullURI txn t" + strconv.Itoa(n)}
		}
		if err := c.AppendAudit(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "entries/s")
}

// TestAuditHashConsent: an entry's consent id and purpose are in its hash
// (and an entry without them hashes as before: TestAuditHashStable).
func TestAuditHashConsent(t *testing.T) {
	base := AuditEntry{At: time.Date(2026, 11, 23, 10, 4, 5, 123456000, time.UTC), Actor: "apisetu:bank", Action: AuditAPISetu,
		URI: "in.gov.cbse-SSCER-75000032025", Version: 2}
	seen := map[string]string{}
	for name, e := range map[string]AuditEntry{
		"none":      base,
		"consent":   func() AuditEntry { e := base; e.ConsentID = "ca-1"; return e }(),
		"purpose":   func() AuditEntry { e := base; e.Purpose = "ca-1"; return e }(),
		"both":      func() AuditEntry { e := base; e.ConsentID, e.Purpose = "ca-1", "loan"; return e }(),
		"in reason": func() AuditEntry { e := base; e.Reason = "ca-1"; return e }(),
	} {
		h := auditHash("", &e)
		if other, dup := seen[h]; dup {
			t.Errorf("%s and %s hash alike", name, other)
		}
		seen[h] = name
	}
}

// TestAuditLogConsentUsesIndex: SQLite plans `audit --consent` through
// audit_consent, and the whole log, or a URI's entries (SQLite has no URI
// index), by a scan; with every filter written as optional it scanned
// for a consent too.
func TestAuditLogConsentUsesIndex(t *testing.T) {
	c, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tt := range []struct {
		q    AuditQuery
		want string
	}{
		{AuditQuery{ConsentID: "ca-1"}, "USING INDEX audit_consent"},
		{AuditQuery{ConsentID: "ca-1", URI: "in.gov.t-X-1", Since: time.Now()}, "USING INDEX audit_consent"},
		{AuditQuery{URI: "in.gov.t-X-1"}, "SCAN audit"},
		{AuditQuery{}, "SCAN audit"},
	} {
		q, args := auditLogQuery(tt.q, tsFixed(time.Unix(0, 0)))
		var plan []string
		rs, err := c.db.db.Query("EXPLAIN QUERY PLAN "+rebind(q), args...)
		if err != nil {
			t.Fatal(err)
		}
		for rs.Next() {
			var id, parent, notused int
			var detail string
			if err := rs.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rs.Close()
		if got := strings.Join(plan, "; "); !strings.Contains(got, tt.want) {
			t.Errorf("%+v: plan %q, want %q", tt.q, got, tt.want)
		}
	}
}

// TestAuditLeanChunks: chunks of pulls (no batch, no consent) are written
// without those columns, and with their time, actor and action bound once
// when the chunk shares them; a flush that mixes them with other entries,
// in chunks of every kind (shared, lean of two lockers, full) and across
// chunk boundaries, reads back entry for entry, in order, and verifies.
func TestAuditLeanChunks(t *testing.T) {
	ctx := context.Background()
	c, err := OpenSQLite(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var es []AuditEntry
	for i := range 3*auditPerStmt + 37 {
		e := AuditEntry{Actor: "api:in.gov.locker", Action: AuditPull, URI: fmt.Sprintf("in.gov.t-X-%d", i), Version: 1 + i%3,
			Reason: "PullURI txn t" + strconv.Itoa(i)}
		switch {
		case i == auditPerStmt+5:
			e.BatchID = "b-1"
		case i >= 2*auditPerStmt && i < 3*auditPerStmt && i%7 == 0:
			e.Actor = "api:in.gov.other"
		case i >= 3*auditPerStmt+30:
			e.Action, e.ConsentID, e.Purpose = AuditAPISetu, "ca-"+strconv.Itoa(i), "loan"
		}
		es = append(es, e)
	}
	if err := c.AppendAudit(ctx, es); err != nil {
		t.Fatal(err)
	}
	var got []AuditEntry
	if err := c.AuditLog(ctx, AuditQuery{}, func(e AuditEntry) error { got = append(got, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(es) {
		t.Fatalf("%d entries read back, want %d", len(got), len(es))
	}
	for i, e := range got {
		w := es[i]
		if e.Actor != w.Actor || e.Action != w.Action || e.URI != w.URI || e.Version != w.Version || e.Reason != w.Reason ||
			e.BatchID != w.BatchID || e.ConsentID != w.ConsentID || e.Purpose != w.Purpose || e.Hash != w.Hash || !e.At.Equal(w.At) {
			t.Fatalf("entry %d read back as %+v, want %+v", i, e, w)
		}
	}
	if n, _, err := c.VerifyAuditChain(ctx); err != nil || n != len(es) {
		t.Fatalf("VerifyAuditChain: %d entries, %v", n, err)
	}
}
