package ingest_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/samples"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/store"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

const correctionProfile = `
doctype: TESTX
doc_name: Test
doc_id: "{Id}"
holder: {name: Name, dob: DOB}
columns:
  Id: {required: true}
  PrevId: {}
  Name: {required: true, type: name}
  DOB: {required: true, type: date}
certificate:
  person: {name: "{Name}"}
  prev_number: "{PrevId}"
`

// TestCorrectionUnderANewDocID: a corrected row under a new DocID names
// the document it replaces in prevNumber, and the audit log links them.
func TestCorrectionUnderANewDocID(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	prof, err := ingest.ParseProfile([]byte(correctionProfile))
	if err != nil {
		t.Fatal(err)
	}
	in := f.writeCSV(t, "a.csv", [][]string{{"Id", "PrevId", "Name", "DOB"}, {"100", "", "Asha Rao", "01-02-2009"}})
	if _, err := f.run(t, ctx, []string{in}, func(o *ingest.Options) { o.Profile = prof }); err != nil {
		t.Fatal(err)
	}
	in2 := f.writeCSV(t, "b.csv", [][]string{{"Id", "PrevId", "Name", "DOB"}, {"101", "100", "Asha Rao", "01-02-2009"}})
	if _, err := f.run(t, ctx, []string{in2}, func(o *ingest.Options) { o.Profile = prof }); err != nil {
		t.Fatal(err)
	}
	d, err := f.deps.Catalog.Current(ctx, "in.gov.test-TESTX-101")
	if err != nil {
		t.Fatal(err)
	}
	data, err := repository.GetVerified(ctx, f.deps.Store, d)
	if err != nil || !strings.Contains(string(data), `prevNumber="100"`) {
		t.Fatalf("prevNumber not set: %v\n%s", err, data)
	}
	var reason string
	f.deps.Catalog.AuditLog(ctx, repository.AuditQuery{URI: d.URI}, func(e repository.AuditEntry) error {
		reason = e.Reason
		return nil
	})
	if reason != "replaces in.gov.test-TESTX-100" {
		t.Fatalf("audit reason %q", reason)
	}
}

// TestChangeStatus: revoke, suspend and reinstate re-sign a new version,
// keep the old one, queue the right push, and refuse what the status does
// not allow.
func TestChangeStatus(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	uri := f.sampleURI(t)
	change := func(action string) (repository.Document, error) {
		return ingest.ChangeStatus(ctx, f.deps, ingest.StatusChange{URI: uri, Action: action, Reason: "test " + action, Actor: "t"})
	}
	steps := []struct {
		action  string
		status  xmlschema.Status
		push    string
		refused bool
	}{
		{repository.AuditReinstate, "", "", true}, // not suspended
		{repository.AuditSuspend, xmlschema.StatusSuspended, "U", false},
		{repository.AuditSuspend, "", "", true},
		{repository.AuditReinstate, xmlschema.StatusActive, "U", false},
		{repository.AuditRevoke, xmlschema.StatusRevoked, "D", false},
		{repository.AuditReinstate, "", "", true}, // revoked is final
		{repository.AuditRevoke, "", "", true},
	}
	version := 1
	for _, s := range steps {
		d, err := change(s.action)
		if s.refused {
			if !errors.Is(err, ingest.ErrTransition) {
				t.Fatalf("%s: %v, want ErrTransition", s.action, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.action, err)
		}
		version++
		if d.Version != version || d.Status != s.status {
			t.Fatalf("%s: v%d %s", s.action, d.Version, d.Status)
		}
		if last, err := f.deps.Catalog.LastPush(ctx, uri); err != nil || last.Action != s.push || last.Version != version {
			t.Fatalf("%s: last push %+v %v", s.action, last, err)
		}
		data, err := repository.GetVerified(ctx, f.deps.Store, d)
		if err != nil || !strings.Contains(string(data), `status="`+string(s.status)+`"`) {
			t.Fatalf("%s: stored v%d: %v", s.action, d.Version, err)
		}
		v := &signer.Verifier{Trusted: []*x509.Certificate{f.deps.Signer.Certificate()}}
		if _, err := v.Verify(data); err != nil {
			t.Fatalf("%s: v%d does not verify: %v", s.action, d.Version, err)
		}
	}
	h, _ := f.deps.Catalog.History(ctx, uri)
	if len(h) != 4 {
		t.Fatalf("history %+v, want 4 versions", h)
	}
	u, _ := xmlschema.ParseURI(uri)
	for _, v := range h { // every version is kept
		if _, err := f.deps.Store.Stat(ctx, store.ObjectKey(u, v.Version)); err != nil {
			t.Fatalf("v%d: %v", v.Version, err)
		}
	}
	if _, err := ingest.ChangeStatus(ctx, f.deps, ingest.StatusChange{URI: uri, Action: repository.AuditRevoke}); err == nil {
		t.Fatal("a change without a reason was accepted")
	}
}

// TestShardsPartitionTheRows: shards 0/2 and 1/2 together issue every
// document once and report every bad row once.
func TestShardsPartitionTheRows(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	rows := genRows(300, samples.Options{Seed: 5, BadRate: 0.1})
	in := f.writeCSV(t, "in.csv", rows)
	// A row is rejected when it does not map, or repeats the DocID of an
	// earlier row that was accepted (a "duplicate" of a rejected row is
	// the first of its DocID).
	bad := 0
	m, err := f.prof.Bind(rows[0])
	if err != nil {
		t.Fatal(err)
	}
	accepted := map[string]bool{}
	for i, cells := range rows[1:] {
		rec, err := m.Map(ingest.Row{Line: i + 2, Cells: cells})
		if err != nil || accepted[rec.DocID] {
			bad++
			continue
		}
		accepted[rec.DocID] = true
	}
	if bad < 20 {
		t.Fatalf("only %d bad rows: the test needs a few dozen", bad)
	}
	var total repository.Counts
	for i := range 2 {
		sum, err := f.run(t, ctx, []string{in}, func(o *ingest.Options) {
			o.Shard = ingest.Shard{Index: i, Count: 2}
			o.RejectsPath = filepath.Join(f.dir, fmt.Sprintf("rejects-%d.csv", i))
		})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Read == 0 || sum.OtherShards == 0 || sum.Read+sum.OtherShards != 300 {
			t.Fatalf("shard %d: %+v", i, sum)
		}
		total.Read += sum.Read
		total.Issued += sum.Issued
		total.Rejected += sum.Rejected
	}
	if total.Read != 300 || total.Rejected != bad || total.Issued != 300-bad {
		t.Fatalf("together: %+v, want 300 read, %d rejected", total, bad)
	}
	if st := f.stats(t); st.Documents != 300-bad {
		t.Fatalf("%d documents, want %d", st.Documents, 300-bad)
	}
}
