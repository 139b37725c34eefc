package xmlschema

import (
	"bytes"
	"encoding/base64"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// The test vectors of digilocker-spec.md §2.
const (
	vecKey    = "test-api-key"
	vecBody   = `<PullURIRequest ver="1.0" ts="2016-01-11T14:44:48+05:30" txn="1452503688" orgId="in.gov.example" format="xml"><DocDetails><DocType>SSCER</DocType><DigiLockerId>123e4567-e89b-12d3-a456-426655440000</DigiLockerId><RollNo>5117133</RollNo><Year>2015</Year></DocDetails></PullURIRequest>`
	vecHex64  = "OWMxZjE2MTIyMDc4ZDI1NDM4Y2VlNTUzMGQ0ZWUwYzA3MmRjY2QzYTJmZDQyZWZkYWE2Nzc0Yzc3YmYzYTc5Nw=="
	vecRaw64  = "nB8WEiB40lQ4zuVTDU7gwHLczTov1C79qmd0x3vzp5c="
	vecKeyTS  = "2016-01-11T14:44:48+05:30"
	vecKeyhex = "771bbb1879b15bd962518fd71f30bcb6ab87e67959e0feb53da28f2e0d6557bd"
)

func TestHMACVectors(t *testing.T) {
	if got := SignBody([]byte(vecKey), []byte(vecBody)); got != vecHex64 {
		t.Fatalf("SignBody = %s, want %s", got, vecHex64)
	}
	hexSum, _ := base64.StdEncoding.DecodeString(vecHex64)
	upper := base64.StdEncoding.EncodeToString(bytes.ToUpper(hexSum))
	verifiers := map[string]func(key, body []byte, header string) bool{
		"VerifyBody": VerifyBody,
		"BodyVerifier": func() func(key, body []byte, header string) bool {
			byKey := map[string]*BodyVerifier{} // one per key, reused: its pooled hashes must reset
			return func(key, body []byte, header string) bool {
				v := byKey[string(key)]
				if v == nil {
					v = NewBodyVerifier(key)
					byKey[string(key)] = v
				}
				return v.Verify(body, header)
			}
		}(),
	}
	for name, verify := range verifiers {
		for range 2 {
			for _, h := range []string{vecHex64, vecRaw64, " " + vecRaw64 + " ", upper} {
				if !verify([]byte(vecKey), []byte(vecBody), h) {
					t.Errorf("%s rejects the spec's header %q", name, h)
				}
			}
			for _, h := range []string{"", "x", vecRaw64[:40], strings.Replace(vecHex64, "O", "P", 1), vecHex64 + vecRaw64, "!" + vecRaw64[1:]} {
				if verify([]byte(vecKey), []byte(vecBody), h) {
					t.Errorf("%s accepts %q", name, h)
				}
			}
			if verify([]byte("other-key"), []byte(vecBody), vecHex64) || verify([]byte(vecKey), []byte(vecBody+" "), vecHex64) {
				t.Errorf("%s accepts another key or another body", name)
			}
		}
	}
	if got := KeyHash(vecKey, vecKeyTS); got != vecKeyhex {
		t.Fatalf("KeyHash = %s, want %s", got, vecKeyhex)
	}
	if !VerifyKeyHash(vecKey, vecKeyTS, strings.ToUpper(vecKeyhex)) || VerifyKeyHash(vecKey, vecKeyTS+"x", vecKeyhex) {
		t.Error("VerifyKeyHash")
	}
}

func TestParseRequest(t *testing.T) {
	r, err := ParseRequest([]byte(vecBody))
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != "PullURIRequest" || r.TS != vecKeyTS || r.Txn != "1452503688" || r.Format != "xml" || r.Get("RollNo") != "5117133" || r.Get("Year") != "2015" {
		t.Fatalf("parsed %+v", r)
	}
	ns := `<?xml version="1.0" encoding="UTF-8"?><ns2:PullDocRequest xmlns:ns2="http://tempuri.org/" ver="1.0" ts="t" txn="x"><ns2:DocDetails><ns2:URI>in.gov.cbse-SSCER-1</ns2:URI><!-- c --><DigiLockerId>d</DigiLockerId></ns2:DocDetails></ns2:PullDocRequest>`
	r, err = ParseRequest([]byte(ns))
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != "PullDocRequest" || r.Get("URI") != "in.gov.cbse-SSCER-1" || r.Get("DigiLockerId") != "d" {
		t.Fatalf("namespaced: %+v", r)
	}
	bad := map[string]string{
		"doctype":        `<!DOCTYPE x [<!ENTITY e "boom">]><PullURIRequest><DocDetails><A>&e;</A></DocDetails></PullURIRequest>`,
		"external":       `<!DOCTYPE x SYSTEM "file:///etc/passwd"><PullURIRequest/>`,
		"unknown entity": `<PullURIRequest><DocDetails><A>&e;</A></DocDetails></PullURIRequest>`,
		"pi":             `<PullURIRequest><?php x?></PullURIRequest>`,
		"other root":     `<Foo/>`,
		"two roots":      `<PullURIRequest/><PullURIRequest/>`,
		"unclosed":       `<PullURIRequest><DocDetails>`,
		"empty":          ``,
		"deep":           `<PullURIRequest><a><b><c><d><e><f><g><h><i/></h></g></f></e></d></c></b></a></PullURIRequest>`,
	}
	for name, body := range bad {
		if _, err := ParseRequest([]byte(body)); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
}

// FuzzParseRequest: the parser never panics, and what it accepts has a
// known root.
func FuzzParseRequest(f *testing.F) {
	f.Add(vecBody)
	f.Add(`<ns2:PullDocRequest xmlns:ns2="http://tempuri.org/"><ns2:DocDetails><ns2:URI>u</ns2:URI></ns2:DocDetails></ns2:PullDocRequest>`)
	f.Add(`<!DOCTYPE a [<!ENTITY b "c">]><PullURIRequest/>`)
	f.Add("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<PullURIRequest xmlns=\"http://tempuri.org/\" ver=\"3.0\" ts=\"t\" txn=\"1\" orgId=\"\" keyhash=\"\" format=\"both\">\n <DocDetails>\n  <DocType>SSCER</DocType>\n  <UID></UID>\n  <FullName> A </FullName>\n  <UDF1></UDF1>\n </DocDetails>\n</PullURIRequest>")
	f.Add(`<PullURIRequest keyHash="ab" orgid="o" FORMAT=" XML "><DocDetails><rollno>1</rollno></DocDetails></PullURIRequest>`)
	f.Fuzz(func(t *testing.T, body string) {
		r, err := ParseRequest([]byte(body))
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("error does not wrap ErrBadRequest: %v", err)
			}
			return
		}
		if r.Kind != "PullURIRequest" && r.Kind != "PullDocRequest" {
			t.Fatalf("accepted root %q", r.Kind)
		}
		if strings.Contains(body, "<!") && strings.Contains(strings.ToUpper(body), "<!DOCTYPE") {
			t.Fatalf("accepted a DOCTYPE: %q", body)
		}
	})
}

func BenchmarkParseRequest(b *testing.B) {
	for _, bc := range []struct {
		name string
		walk func([]byte, func(string) error, int, func(element) error) error
	}{{"plain", walk}, {"encoding-xml", walkTokens}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bc.walk([]byte(vecBody), func(string) error { return nil }, maxFieldBytes, func(element) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRootAttributesIgnoreCase: keyhash, keyHash and KeyHash, orgId and
// orgid are read alike, values trimmed, an empty one beside a filled one
// does not hide it, and a namespace declaration is not an attribute.
func TestRootAttributesIgnoreCase(t *testing.T) {
	for _, tc := range []struct{ body, keyhash, org, format string }{
		{`<PullURIRequest keyhash="k1" orgId="o1" format="xml"><DocDetails/></PullURIRequest>`, "k1", "o1", "xml"},
		{`<PullURIRequest keyHash="k2" orgid="o2" format=" PDF "><DocDetails/></PullURIRequest>`, "k2", "o2", "pdf"},
		{`<PullURIRequest KeyHash="" keyhash="k3"><DocDetails/></PullURIRequest>`, "k3", "", ""},
		{`<PullURIRequest xmlns="http://tempuri.org/" xmlns:keyhash="urn:x" keyhash=""><DocDetails/></PullURIRequest>`, "", "", ""},
	} {
		r, err := ParseRequest([]byte(tc.body))
		if err != nil {
			t.Fatalf("%s: %v", tc.body, err)
		}
		if r.KeyHash != tc.keyhash || r.OrgID != tc.org || r.Format != tc.format {
			t.Errorf("%s: keyhash %q orgId %q format %q", tc.body, r.KeyHash, r.OrgID, r.Format)
		}
	}
}

// TestRequestAppendXML: what AppendXML writes, ParseRequest reads back as
// it was, escapes and all.
func TestRequestAppendXML(t *testing.T) {
	for _, r := range []Request{
		{Kind: "PullURIRequest", Ver: "1.0", TS: "2025-06-01T10:00:00+05:30", Txn: "17", OrgID: "in.gov.locker", Format: "xml", KeyHash: "abc",
			Details: []Field{{"DocType", "SSCER"}, {"DigiLockerId", "x"}, {"FullName", `Meera "M" <Iyer> & Co`}, {"DOB", "01-02-2008"}, {"RollNo", "75000032"}, {"Year", "2025"}}},
		{Kind: "PullDocRequest", Ver: "1.0", TS: "2025-06-01T10:00:00+05:30", Txn: "18", OrgID: "in.gov.locker", Format: "pdf",
			Details: []Field{{"URI", "in.gov.cbse-SSCER-75000032025"}}},
	} {
		body := r.AppendXML(nil)
		got, err := ParseRequest(body)
		if err != nil {
			t.Fatalf("%s: %v\n%s", r.Kind, err, body)
		}
		if !reflect.DeepEqual(*got, r) {
			t.Fatalf("%s read back as %+v, want %+v\n%s", r.Kind, *got, r, body)
		}
	}
}

// TestParseRequestReusesNothing: the scanner's recycled slices carry
// nothing of one request into the next.
func TestParseRequestReusesNothing(t *testing.T) {
	big, err := ParseRequest([]byte(vecBody))
	if err != nil {
		t.Fatal(err)
	}
	small := `<PullDocRequest ver="1.0" ts="t2" txn="x2"><DocDetails><URI>in.gov.x-A-1</URI></DocDetails></PullDocRequest>`
	for range 3 {
		r, err := ParseRequest([]byte(small))
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != "PullDocRequest" || r.TS != "t2" || r.Txn != "x2" || r.OrgID != "" || len(r.Details) != 1 || r.Get("URI") != "in.gov.x-A-1" {
			t.Fatalf("after a request of %d fields, %+v", len(big.Details), r)
		}
		if _, err := ParseRequest([]byte(vecBody)); err != nil {
			t.Fatal(err)
		}
	}
	if again, _ := ParseRequest([]byte(vecBody)); !reflect.DeepEqual(again, big) {
		t.Fatalf("the same request parsed again: %+v, first %+v", again, big)
	}
}
