// Package catalogtest is the conformance suite every repository.Catalog
// implementation runs.
package catalogtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// Factory returns a new, empty catalog; the suite closes it.
type Factory func(t *testing.T) repository.Catalog

// Run runs every conformance test against catalogs made by newCatalog.
func Run(t *testing.T, newCatalog Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, repository.Catalog)
	}{
		{"NewThenUpdate", testNewThenUpdate},
		{"Conflict", testConflict},
		{"AllOrNothing", testAllOrNothing},
		{"Search", testSearch},
		{"Stats", testStats},
		{"Journal", testJournal},
		{"OutboxOrder", testOutboxOrder},
		{"OutboxLeases", testOutboxLeases},
		{"OutboxRetry", testOutboxRetry},
		{"OutboxDueBy", testOutboxDueBy},
		{"OutboxDeadLetters", testOutboxDeadLetters},
		{"AuditAndHistory", testAuditAndHistory},
		{"Release", testRelease},
		{"Requesters", testRequesters},
		{"ConsentManagers", testConsentManagers},
		{"UseConsent", testUseConsent},
		{"UseConsentConcurrently", testUseConsentConcurrently},
		{"UseConsents", testUseConsents},
		{"UseConsentsAudited", testUseConsentsAudited},
		{"AuditConsent", testAuditConsent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCatalog(t)
			t.Cleanup(func() { c.Close() })
			tt.fn(t, c)
		})
	}
}

func doc(uri string, version int, hash string) repository.Document {
	return repository.Document{
		URI: uri, DocType: "SSCER", DocID: uri[len(uri)-3:], Version: version,
		ObjectKey: "k/v.xml", ObjectSHA256: "ab", ContentHash: hash, Status: xmlschema.StatusActive,
		SearchKey:  repository.SearchKey(map[string]string{"RollNo": uri[len(uri)-3:], "Year": "2025"}),
		HolderName: "A", HolderDOB: "01-01-2000", IssueDate: "01-06-2025",
	}
}

func outbox(action string) *repository.OutboxEntry {
	return &repository.OutboxEntry{Action: action, DocName: "Class X Marksheet", IssuedOn: "01/06/2025",
		ValidFrom: "01/06/2025", AadhaarEnc: []byte{1, 2, 3}}
}

func testNewThenUpdate(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	const uri = "in.gov.test-SSCER-001"
	if _, err := c.Current(ctx, uri); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("Current before insert: %v, want ErrNotFound", err)
	}
	if err := c.Apply(ctx, "b1", []repository.Change{{Doc: doc(uri, 1, "h1"), Size: 10, Outbox: outbox("A")}}, nil); err != nil {
		t.Fatal(err)
	}
	got, err := c.Current(ctx, uri)
	if err != nil || got.Version != 1 || got.ContentHash != "h1" || got.BatchID != "b1" {
		t.Fatalf("Current = %+v, %v", got, err)
	}
	if err := c.Apply(ctx, "b2", []repository.Change{{Doc: doc(uri, 2, "h2"), PrevVersion: 1, Size: 10, Outbox: outbox("U")}}, nil); err != nil {
		t.Fatal(err)
	}
	got, _ = c.Current(ctx, uri)
	if got.Version != 2 || got.ContentHash != "h2" {
		t.Fatalf("after update: %+v", got)
	}
	for v, want := range map[int]bool{1: true, 2: true, 3: false} {
		if has, err := c.HasVersion(ctx, uri, v); err != nil || has != want {
			t.Errorf("HasVersion(%d) = %v, %v; want %v", v, has, err, want)
		}
	}
}

func testConflict(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	const uri = "in.gov.test-SSCER-002"
	if err := c.Apply(ctx, "b", []repository.Change{{Doc: doc(uri, 1, "h1")}}, nil); err != nil {
		t.Fatal(err)
	}
	// A second "new" for the same URI, and an update from a stale version.
	if err := c.Apply(ctx, "b", []repository.Change{{Doc: doc(uri, 1, "hx")}}, nil); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("second insert: %v, want ErrConflict", err)
	}
	if err := c.Apply(ctx, "b", []repository.Change{{Doc: doc(uri, 3, "hy"), PrevVersion: 2}}, nil); !errors.Is(err, repository.ErrConflict) {
		t.Errorf("stale update: %v, want ErrConflict", err)
	}
}

func testAllOrNothing(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	if err := c.Apply(ctx, "b", []repository.Change{{Doc: doc("in.gov.test-SSCER-003", 1, "h")}}, nil); err != nil {
		t.Fatal(err)
	}
	err := c.Apply(ctx, "b", []repository.Change{
		{Doc: doc("in.gov.test-SSCER-004", 1, "h"), Outbox: outbox("A")},
		{Doc: doc("in.gov.test-SSCER-003", 1, "h")}, // conflict
	}, nil)
	if !errors.Is(err, repository.ErrConflict) {
		t.Fatalf("Apply: %v, want ErrConflict", err)
	}
	if _, err := c.Current(ctx, "in.gov.test-SSCER-004"); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("first change of a failed Apply was kept: %v", err)
	}
	st, err := c.Stats(ctx, 5)
	if err != nil || st.Outbox.Pending != 0 {
		t.Fatalf("outbox after failed Apply: %+v, %v", st.Outbox, err)
	}
}

func testSearch(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	if err := c.Apply(ctx, "b", []repository.Change{{Doc: doc("in.gov.test-SSCER-005", 1, "h")}}, nil); err != nil {
		t.Fatal(err)
	}
	key := repository.SearchKey(map[string]string{"Year": "2025", "RollNo": "005"})
	got, err := c.FindBySearchKey(ctx, "SSCER", key)
	if err != nil || got.URI != "in.gov.test-SSCER-005" {
		t.Fatalf("FindBySearchKey = %+v, %v", got, err)
	}
	if _, err := c.FindBySearchKey(ctx, "HSCER", key); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("search in another doctype: %v", err)
	}
	d := doc("in.gov.test-SSCER-015", 1, "h")
	d.UIDHash = "uidhash"
	if err := c.Apply(ctx, "b", []repository.Change{{Doc: d}}, nil); err != nil {
		t.Fatal(err)
	}
	if got, err := c.FindByUID(ctx, "SSCER", "uidhash"); err != nil || got.URI != d.URI {
		t.Fatalf("FindByUID = %+v, %v", got, err)
	}
	if _, err := c.FindByUID(ctx, "SSCER", "other"); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("FindByUID of an unknown holder: %v", err)
	}
	var uris []string
	if err := c.ForEachURI(ctx, "SSCER", func(u string) error { uris = append(uris, u); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(uris) != 2 {
		t.Fatalf("ForEachURI(SSCER) = %v", uris)
	}
	if err := c.ForEachURI(ctx, "HSCER", func(string) error { t.Fatal("called for HSCER"); return nil }); err != nil {
		t.Fatal(err)
	}
}

func testStats(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	b := repository.Batch{ID: "b9", Profile: "p.yaml", DocType: "SSCER", Inputs: "x.csv", StartedAt: time.Now()}
	if err := c.StartBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, "b9", []repository.Change{
		{Doc: doc("in.gov.test-SSCER-006", 1, "h"), Outbox: outbox("A")},
		{Doc: doc("in.gov.test-SSCER-007", 1, "h")},
	}, nil); err != nil {
		t.Fatal(err)
	}
	b.State, b.FinishedAt, b.Counts = "done", time.Now(), repository.Counts{Read: 2, Issued: 2}
	if err := c.FinishBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	st, err := c.Stats(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if st.Documents != 2 || st.ByStatus["A"] != 2 || st.ByDocType["SSCER"]["A"] != 2 || st.Outbox.Pending != 1 {
		t.Fatalf("Stats = %+v", st)
	}
	if len(st.Batches) != 1 || st.Batches[0].State != "done" || st.Batches[0].Issued != 2 {
		t.Fatalf("Batches = %+v", st.Batches)
	}
}

func testJournal(t *testing.T, c repository.Catalog) {
	ctx := context.Background()
	if _, err := c.ResumableBatch(ctx, "p.yaml", "fp"); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("ResumableBatch on an empty catalog: %v", err)
	}
	b := repository.Batch{ID: "j1", Profile: "p.yaml", DocType: "SSCER", Inputs: "a.csv", StartedAt: time.Now(), Fingerprint: "fp"}
	if err := c.StartBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	mark := &repository.Watermark{InputIndex: 0, Seq: 41, Counts: repository.Counts{Read: 42, Issued: 40, Rejected: 2},
		RejectsPath: "r.csv", RejectsSize: 900}
	if err := c.Apply(ctx, "j1", []repository.Change{{Doc: doc("in.gov.test-SSCER-010", 1, "h")}}, mark); err != nil {
		t.Fatal(err)
	}
	got, err := c.ResumableBatch(ctx, "p.yaml", "fp")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "j1" || got.Mark.Seq != 41 || got.Mark.Counts.Issued != 40 || got.Mark.RejectsSize != 900 || got.Mark.RejectsPath != "r.csv" {
		t.Fatalf("resumable = %+v", got)
	}
	if _, err := c.ResumableBatch(ctx, "p.yaml", "other"); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("another fingerprint: %v", err)
	}
	// A failing Apply must not move the mark.
	bad := &repository.Watermark{Seq: 99}
	if err := c.Apply(ctx, "j1", []repository.Change{{Doc: doc("in.gov.test-SSCER-010", 1, "h")}}, bad); err == nil {
		t.Fatal("conflicting Apply succeeded")
	}
	if got, _ := c.ResumableBatch(ctx, "p.yaml", "fp"); got.Mark.Seq != 41 {
		t.Fatalf("a failed Apply moved the mark to %d", got.Mark.Seq)
	}
	b.State, b.FinishedAt = "done", time.Now()
	if err := c.FinishBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ResumableBatch(ctx, "p.yaml", "fp"); !errors.Is(err, repository.ErrNotFound) {
		t.Fatalf("a finished batch is resumable: %v", err)
	}
}
