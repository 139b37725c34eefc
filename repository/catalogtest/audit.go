package catalogtest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// testAuditAndHistory: Apply, Settle and AppendAudit write one chained
// entry each; the log filters by URI and time; History lists versions.
func testAuditAndHistory(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	const u = "in.gov.test-SSCER-001"
	start := time.Now().Add(-time.Second)
	issue(t, c, u, "in.gov.test-SSCER-002")
	rev := doc(u, 2, "h1")
	rev.Status = xmlschema.StatusRevoked
	if err := c.Apply(ctx, "lifecycle", []repository.Change{{Doc: rev, PrevVersion: 1, Size: 1, Outbox: outbox("D"),
		AuditAction: repository.AuditRevoke, Actor: "registrar", Reason: "issued in error"}}, nil); err != nil {
		t.Fatal(err)
	}
	items := claim(t, c, "p", 10, lease)
	var s []repository.Settlement
	for _, it := range items {
		s = append(s, repository.Settlement{ID: it.ID, URI: it.URI, Action: it.Action, Outcome: repository.Pushed})
	}
	if _, err := c.Settle(ctx, "p", s); err != nil {
		t.Fatal(err)
	}
	if err := c.AppendAudit(ctx, []repository.AuditEntry{{Actor: "api:in.gov.locker", Action: repository.AuditPull, URI: u, Version: 2}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := c.AuditLog(ctx, repository.AuditQuery{URI: u, Since: start}, func(e repository.AuditEntry) error {
		got = append(got, e.Actor+":"+e.Action+":"+e.Reason)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "ingest:issue: registrar:revoke:issued in error push:push:A api:in.gov.locker:pull:"
	if strings.Join(got, " ") != want {
		t.Fatalf("audit of %s:\n got %s\nwant %s", u, strings.Join(got, " "), want)
	}
	none := 0
	c.AuditLog(ctx, repository.AuditQuery{Since: time.Now().Add(time.Hour)}, func(repository.AuditEntry) error { none++; return nil })
	if none != 0 {
		t.Fatalf("%d entries from the future", none)
	}
	n, head, err := c.VerifyAuditChain(ctx)
	if err != nil || n != 6 || len(head) != 64 {
		t.Fatalf("VerifyAuditChain = %d %q %v, want 6 entries", n, head, err)
	}
	h, err := c.History(ctx, u)
	if err != nil || len(h) != 2 || h[0].Status != xmlschema.StatusActive || h[1].Status != xmlschema.StatusRevoked || h[1].BatchID != "lifecycle" {
		t.Fatalf("History = %+v %v", h, err)
	}
	if last, err := c.LastPush(ctx, u); err != nil || last.Action != "D" {
		t.Fatalf("LastPush = %+v %v", last, err)
	}
}
