package api_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestPullPolicy: only the profile's search keys and the holder fields are
// read from DocDetails; the policy says which holder fields are required.
func TestPullPolicy(t *testing.T) {
	f := sample(t)
	good := f.goodFields()
	with := func(extra string) string {
		return strings.Replace(pullURI(f, "", good), "</DocDetails>", extra+"</DocDetails>", 1)
	}
	tests := []struct {
		name   string
		policy *xmlschema.PullPolicy // nil: the sample profile's (default)
		body   string
		status string
	}{
		{"extra children are not search keys", nil, with("<Mobile>9999999999</Mobile><UDF1>u</UDF1><tracking_id>t</tracking_id>"), "1"},
		{"search keys ignore case", nil, strings.NewReplacer("<RollNo>", "<rollno>", "</RollNo>", "</rollno>").Replace(pullURI(f, "", good)), "1"},
		{"a search key missing", nil, strings.Replace(pullURI(f, "", good), "<Year>2025</Year>", "", 1), "0"},
		{"no DOB, default policy", nil, strings.Replace(pullURI(f, "", good), "<DOB>"+good["DOB"]+"</DOB>", "", 1), "0"},
		{"no DOB, policy requires FullName only", &xmlschema.PullPolicy{Require: []string{"FullName"}, Match: []string{"FullName", "DOB", "UID"}},
			strings.Replace(pullURI(f, "", good), "<DOB>"+good["DOB"]+"</DOB>", "", 1), "1"},
		{"wrong DOB not matched when the policy does not match DOB", &xmlschema.PullPolicy{Require: []string{"FullName"}, Match: []string{"FullName"}},
			strings.Replace(pullURI(f, "", good), "<DOB>"+good["DOB"]+"</DOB>", "<DOB>01-01-1990</DOB>", 1), "1"},
		{"empty template elements are absent", nil, with("<UID></UID><Photo></Photo><UDF2> </UDF2>"), "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := f.server(t, func(c *api.Config) {
				if tt.policy != nil {
					c.Profiles = []xmlschema.PullProfile{{DocType: "SSCER", SearchKeys: []string{"RollNo", "Year"}, Policy: *tt.policy}}
				}
			})
			code, body := f.signed(t, ts.URL+"/digilocker/pulluri", tt.body)
			if code != 200 || !strings.Contains(body, `<ResponseStatus Status="`+tt.status+`"`) {
				t.Fatalf("HTTP %d, want 200 Status %s:\n%s", code, tt.status, body)
			}
			for _, never := range []string{"9999999999", "<UDF1>", "tracking_id", "<UID>"} {
				if strings.Contains(body, never) {
					t.Errorf("the reply echoes %s: %s", never, body)
				}
			}
		})
	}
}

// TestUIDOnlyProfile: a DocType whose profile has no search keys is found
// by UID alone, and a RollNo the request carries is not taken as a key.
func TestUIDOnlyProfile(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) {
		c.Profiles = []xmlschema.PullProfile{{DocType: "SSCER", Policy: xmlschema.DefaultPullPolicy()}}
	})
	fields := f.goodFields()
	fields["UID"] = md5Hex(f.row["Aadhaar"])
	fields["RollNo"] = "0000000" // not a search key of this profile: ignored
	code, body := f.signed(t, ts.URL+"/digilocker/pulluri", pullURI(f, "", fields))
	if code != 200 || !strings.Contains(body, `Status="1"`) || strings.Contains(body, "<RollNo>") {
		t.Fatalf("HTTP %d %s", code, body)
	}
}

// TestOrgID: with an orgId configured, other lockers' requests are 401.
func TestOrgID(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.OrgID = "in.gov.locker" })
	body := pullURI(f, "", f.goodFields()) // orgId="in.gov.locker"
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != 200 || !strings.Contains(reply, `Status="1"`) {
		t.Fatalf("the configured orgId: HTTP %d %s", code, reply)
	}
	other := strings.Replace(body, `orgId="in.gov.locker"`, `orgId="in.gov.other"`, 1)
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", other); code != 401 || strings.Contains(reply, "DataContent") {
		t.Fatalf("another orgId: HTTP %d %s, want 401", code, reply)
	}
}

// TestUnauthenticatedNotParsed (issue 21 point 12): a request with a bad
// HMAC costs one bounded read and nothing more — a body of 400 elements
// costs what a body of one element of the same size does.
func TestUnauthenticatedNotParsed(t *testing.T) {
	f := sample(t)
	s, err := api.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := s.Handler()
	many := `<PullURIRequest ver="1.0" ts="t" txn="x"><DocDetails>` + strings.Repeat(`<UDF1>a</UDF1>`, 400) + `</DocDetails></PullURIRequest>`
	one := `<PullURIRequest ver="1.0" ts="t" txn="x"><DocDetails><UDF1>` + strings.Repeat("a", len(many)-len(`<PullURIRequest ver="1.0" ts="t" txn="x"><DocDetails><UDF1></UDF1></DocDetails></PullURIRequest>`)) + `</UDF1></DocDetails></PullURIRequest>`
	if len(one) != len(many) {
		t.Fatalf("bodies differ in size: %d %d", len(one), len(many))
	}
	allocs := func(body string) float64 {
		return testing.AllocsPerRun(50, func() {
			req := httptest.NewRequest("POST", "/digilocker/pulluri", strings.NewReader(body))
			req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody([]byte("not the key"), []byte(body)))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != 401 {
				t.Fatalf("HTTP %d", rec.Code)
			}
		})
	}
	a, b := allocs(many), allocs(one)
	if a > b+10 {
		t.Fatalf("an unauthenticated body of 400 elements costs %.0f allocations, one of 1 element %.0f: it was parsed", a, b)
	}
}
