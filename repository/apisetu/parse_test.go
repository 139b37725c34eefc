package apisetu

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"
	"time"

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
		e := req.parse(body)
		if e == nil {
			e = req.readArtifact(newArtifactCache())
		}
		if e != nil {
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

// benchBody is a certificate request as requesters send them: the search
// keys, the holder's name and DOB, and an RSA-signed consent artifact; and
// the consent manager's key.
func benchBody(b *testing.B) ([]byte, *rsa.PublicKey) {
	b.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	c := consent.Consent{ConsentID: consent.NewID(), Timestamp: consent.FormatTime(now), DataConsumer: consent.Party{ID: "bank"},
		DataProvider: consent.Party{ID: "in.gov.cbse"}, Purpose: consent.Purpose{Description: "education loan"},
		User: consent.User{IDType: consent.IDAadhaar, IDNumber: "999941057058"}, Data: consent.Party{ID: "SSCER"},
		Permission: consent.Permission{Access: "VIEW", DateRange: consent.DateRange{From: consent.FormatTime(now), To: consent.FormatTime(now.Add(time.Hour))},
			Frequency: consent.Frequency{Unit: "DAY", Value: 1, Repeats: 3}}}
	a, err := consent.Sign(key, c)
	if err != nil {
		b.Fatal(err)
	}
	body, err := json.Marshal(map[string]any{"txnId": consent.NewID(), "format": "xml", "consentArtifact": a,
		"certificateParameters": map[string]any{"rollno": "7500003", "year": 2025, "FullName": "Meera Nair", "DOB": "11-12-2009"}})
	if err != nil {
		b.Fatal(err)
	}
	return body, &key.PublicKey
}

// BenchmarkParse: decoding a certificate request and reading its
// consentId, as admit does for every request after the artifact's first.
func BenchmarkParse(b *testing.B) {
	body, pub := benchBody(b)
	prof := xmlschema.PullProfile{DocType: "SSCER", SearchKeys: []string{"RollNo", "Year"}, Policy: xmlschema.DefaultPullPolicy()}
	arts := newArtifactCache()
	first := &request{profile: prof}
	if first.parse(body) != nil || first.readArtifact(arts) != nil {
		b.Fatal("the request does not parse")
	}
	if _, err := arts.verify(first.artifact, []crypto.PublicKey{pub}, [32]byte{1}); err != nil {
		b.Fatal(err) // the artifact's later uses find it verified, as a requester's repeats do
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := &request{profile: prof}
		if e := req.parse(body); e != nil {
			b.Fatal(e)
		}
		if e := req.readArtifact(arts); e != nil {
			b.Fatal(e)
		}
	}
}

// paramReference reads a parameter the slow way param's fast paths must
// agree with: as encoding/json reads a string, else a json.Number.
func paramReference(raw []byte) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

// FuzzParam: a certificate parameter decoded inside a request reads as
// encoding/json reads it alone, whatever its JSON (escapes, non-ASCII,
// invalid UTF-8, numbers, literals, objects).
func FuzzParam(f *testing.F) {
	for _, s := range []string{`"7500003"`, `2025`, `-1.5e3`, `null`, `true`, `[1]`, `{"a":1}`, `"Meera\u0020Nair"`, `"Mīra"`, "\"\xff\"", `"a\"b"`, `""`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var got struct {
			P map[string]param `json:"p"`
		}
		doc := append(append([]byte(`{"p":{"k":`), raw...), "}}"...)
		if !json.Valid(raw) || json.Unmarshal(doc, &got) != nil {
			return // not one JSON value: the request is refused whole
		}
		want, ok := paramReference(raw)
		if p := got.P["k"]; p.ok != ok || p.s != want {
			t.Fatalf("%q: read (%q, %v), encoding/json (%q, %v)", raw, p.s, p.ok, want, ok)
		}
	})
}
