package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestHeldDocument: a document held until its release answers a request
// that matches it with Status 9 and when to ask again, and nothing of the
// document; a request that does not match gets the not-found reply; Pull
// Doc says the same, and /verify does not know the URI yet.
func TestHeldDocument(t *testing.T) {
	f := sample(t)
	ts, mts := f.servers(t, nil)
	fields := map[string]string{"FullName": f.held["Name"], "DOB": f.held["DOB"], "RollNo": heldRoll, "Year": "2025"}
	const when = "released on 13-05-2099 at 12:00 IST"

	code, body := f.signed(t, ts.URL+"/digilocker/pulluri", pullURI(f, "", fields))
	if code != http.StatusOK || !strings.Contains(body, `Status="9"`) || !strings.Contains(body, when) {
		t.Fatalf("held, matching: HTTP %d %s; want Status 9 saying %q", code, body, when)
	}
	for _, leak := range []string{"<DataContent>", "<DocContent>", "<URI>", "<Person"} {
		if strings.Contains(body, leak) {
			t.Errorf("the pending reply carries %s: %s", leak, body)
		}
	}

	fields["DOB"] = "01-01-2001"
	code, body = f.signed(t, ts.URL+"/digilocker/pulluri", pullURI(f, "", fields))
	if code != http.StatusOK || !strings.Contains(body, `Status="0"`) || strings.Contains(body, "ResponseMessage") {
		t.Fatalf("held, wrong DOB: HTTP %d %s; want the not-found reply", code, body)
	}

	const uri = "in.gov.cbse-SSCER-" + heldRoll + "2025"
	pullDoc := `<PullDocRequest ver="1.0" ts="2025-06-01T10:00:00+05:30" txn="tx-held" orgId="in.gov.locker" format="xml">` +
		`<DocDetails><URI>` + uri + `</URI><DigiLockerId>x</DigiLockerId></DocDetails></PullDocRequest>`
	code, body = f.signed(t, ts.URL+"/digilocker/pulldoc", pullDoc)
	unknown := strings.Replace(pullDoc, heldRoll, "8800999", 1)
	_, miss := f.signed(t, ts.URL+"/digilocker/pulldoc", unknown)
	if code != http.StatusOK || body != miss {
		t.Fatalf("Pull Doc of a held URI alone: HTTP %d %s; want the answer for an unknown URI: %s", code, body, miss)
	}
	// With the holder's name and date of birth, Pull Doc learns it is held:
	// Status 0 (Pull Doc's Status is 1 or 0) with the release time.
	withHolder := strings.Replace(pullDoc, "<DigiLockerId>", "<FullName>"+f.held["Name"]+"</FullName><DOB>"+f.held["DOB"]+"</DOB><DigiLockerId>", 1)
	code, body = f.signed(t, ts.URL+"/digilocker/pulldoc", withHolder)
	if code != http.StatusOK || !strings.Contains(body, `Status="0"`) || !strings.Contains(body, "it is released on") || strings.Contains(body, "<DataContent>") {
		t.Fatalf("Pull Doc of a held URI with the holder: HTTP %d %s; want Status 0, the release time, no document", code, body)
	}

	resp, err := http.Get(f.verifyURL(ts, uri)) // even with its token
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/verify of a held URI: HTTP %d, want 404", resp.StatusCode)
	}

	resp, err = http.Get(mts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `issuerkit_documents_pending_total{doctype="SSCER"} 2`) {
		t.Errorf("/metrics does not count the two pending answers:\n%s", metrics)
	}
}
