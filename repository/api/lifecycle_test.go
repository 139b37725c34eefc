package api_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/signer"
)

// TestRevokedNotServedAndAudited: after a revocation the API no longer
// serves the document (the stored new version is signed with status R);
// /verify shows the status and the history; every document served is in
// the audit log, without personal data.
func TestRevokedNotServedAndAudited(t *testing.T) {
	f, err := buildFixture() // its own: it revokes a document
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cells, _ := samples.Options{Seed: 2025}.Row(5)
	uri := "in.gov.cbse-SSCER-" + cells[0] + "2025"
	sgn, err := f.h.Signer()
	if err != nil {
		t.Fatal(err)
	}
	d, err := ingest.ChangeStatus(ctx, ingest.Deps{Store: f.cfg.Store, Catalog: f.cfg.Catalog, Signer: sgn},
		ingest.StatusChange{URI: uri, Action: repository.AuditRevoke, Reason: "issued in error", Actor: "test"})
	if err != nil || d.Version != 2 {
		t.Fatalf("revoke: %+v %v", d, err)
	}
	s, err := api.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	pullDoc := func(uri string) (int, string) {
		body := `<PullDocRequest ver="1.0" ts="t" txn="audit-me" orgId="in.gov.testlocker"><DocDetails><URI>` + uri + `</URI></DocDetails></PullDocRequest>`
		return f.signed(t, ts.URL+"/digilocker/pulldoc", body)
	}
	if code, reply := pullDoc(uri); code != 200 || !strings.Contains(reply, `Status="0"`) || strings.Contains(reply, "DataContent") {
		t.Fatalf("a revoked document was served: HTTP %d %s", code, reply)
	}
	stored, err := repository.GetVerified(ctx, f.cfg.Store, d)
	if err != nil {
		t.Fatal(err)
	}
	ver, err := (&signer.Verifier{Trusted: []*x509.Certificate{f.cert}}).Verify(stored)
	if err != nil || ver.Root.SelectAttrValue("status", "") != "R" {
		t.Fatalf("version 2 is not signed as revoked: %v", err)
	}
	// Another student's document is served, and that is audited.
	other, _ := samples.Options{Seed: 2025}.Row(6)
	otherURI := "in.gov.cbse-SSCER-" + other[0] + "2025"
	pullDoc(otherURI) // pulled twice: one audit entry with a count
	code, reply := pullDoc(otherURI)
	m := regexp.MustCompile(`<DataContent>([^<]+)</DataContent>`).FindStringSubmatch(reply)
	if code != 200 || m == nil {
		t.Fatalf("HTTP %d %s", code, reply)
	}
	if _, err := base64.StdEncoding.DecodeString(m[1]); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", f.verifyURL(ts, uri), nil)
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v api.Verification
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if v.Valid || v.Status != "R" || len(v.History) != 2 || v.History[0].Status != "A" || v.History[1].StatusText != "Revoked" || v.History[1].Date == "" {
		t.Fatalf("/verify of a revoked document: %+v", v)
	}
	ts.Close()
	s.Close()
	audit := func(uri string) []repository.AuditEntry {
		var log []repository.AuditEntry
		f.cfg.Catalog.AuditLog(ctx, repository.AuditQuery{URI: uri}, func(e repository.AuditEntry) error {
			log = append(log, e)
			for _, pii := range []string{cells[3], cells[8], other[3], other[8]} { // names, Aadhaars
				if strings.Contains(e.Reason+e.Actor, pii) {
					t.Fatalf("audit entry %d holds personal data", e.ID)
				}
			}
			return nil
		})
		return log
	}
	acts := func(log []repository.AuditEntry) string {
		var a []string
		for _, e := range log {
			a = append(a, e.Actor+"/"+e.Action)
		}
		return strings.Join(a, " ")
	}
	if got := acts(audit(uri)); got != "ingest/issue test/revoke" {
		t.Fatalf("audit of %s: %s", uri, got)
	}
	log := audit(otherURI)
	if got := acts(log); !strings.HasSuffix(got, "api:in.gov.testlocker/pull") {
		t.Fatalf("audit of %s: %s", otherURI, got)
	}
	if last := log[len(log)-1]; last.Version != 1 || !strings.Contains(last.Reason, "audit-me") || !strings.Contains(last.Reason, "and 1 more pulls") {
		t.Fatalf("pull entry %+v", last)
	}
	if _, _, err := f.cfg.Catalog.VerifyAuditChain(ctx); err != nil {
		t.Fatal(err)
	}
}
