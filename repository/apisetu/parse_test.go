package apisetu

import (
	"testing"

	"github.com/issuerkit/issuerkit/consent"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// FuzzParse: any body either fails with one of the 400 pairs or yields a
// UUID txnId, a known format and every search key non-empty.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"txnId": "0f6c0d52-6f77-4d0c-9a1c-3d3c1b7e9a10", "format": "xml", "certificateParameters": {"rollno": "7500003", "year": 2025, "FullName": "Meera Nair", "DOB": "11-12-2009"}}`,
		`{"txnId": "x", "format": "pdf", "certificateParameters": {}}`,
		`{"txnId": "0f6c0d52-6f77-4d0c-9a1c-3d3c1b7e9a10", "format": "json", "certificateParameters": {"ROLLNO": 1, "YEAR": 2, "fullname": "a", "dob": "b"}, "consentArtifact": {"consent": {"consentId": "nope"}, "signature": {"signature": ""}}}`,
		`[]`, `{"certificateParameters": {"rollno": [1]}}`, `null`,
	} {
		f.Add([]byte(s))
	}
	prof := xmlschema.PullProfile{DocType: "SSCER", SearchKeys: []string{"RollNo", "Year"}, Policy: xmlschema.DefaultPullPolicy(),
		APIParameters: map[string]string{"RollNo": "roll_no"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		req := &request{profile: prof}
		if e := req.parse(body); e != nil {
			if e.status != 400 {
				t.Fatalf("a parse failure answered %d", e.status)
			}
			return
		}
		if !consent.IsUUID(*req.TxnID) {
			t.Fatalf("txnId %q accepted", *req.TxnID)
		}
		switch *req.Format {
		case "xml", "pdf", "json":
		default:
			t.Fatalf("format %q accepted", *req.Format)
		}
		for _, k := range prof.SearchKeys {
			if req.params[k] == "" {
				t.Fatalf("search key %s empty", k)
			}
		}
		for _, k := range []string{xmlschema.HolderFullName, xmlschema.HolderDOB} {
			if req.holder[k] == "" {
				t.Fatalf("required %s empty", k)
			}
		}
	})
}
