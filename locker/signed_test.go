package locker

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// FuzzSignedOnly: whatever it keeps is one XML element after the fixed
// declaration, taken verbatim from the input, with no comment in it.
func FuzzSignedOnly(f *testing.F) {
	for _, s := range []string{`<?xml version="1.0"?><!-- c --><a x="1"><b/></a>`, `<a><!-- c --></a>`, `<a/><b/>`, `text<a/>`, `<a><?pi x?></a><?pi y?>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := signedOnly(data)
		if err != nil {
			if !errors.Is(err, ErrUnsigned) {
				t.Fatalf("error %v does not wrap ErrUnsigned", err)
			}
			return
		}
		body, ok := bytes.CutPrefix(out, []byte(xml.Header))
		if !ok || !bytes.Contains(data, body) {
			t.Fatalf("kept %q: not the header and a piece of the input", out)
		}
		dec := xml.NewDecoder(bytes.NewReader(body))
		depth, roots := 0, 0
		for {
			tok, err := dec.RawToken()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("kept %q does not parse: %v", body, err)
			}
			switch tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					roots++
				}
				depth++
			case xml.EndElement:
				depth--
			case xml.Comment:
				t.Fatalf("kept a comment: %q", body)
			}
		}
		if roots != 1 || depth != 0 {
			t.Fatalf("kept %q: %d roots", body, roots)
		}
	})
}

// TestSafeNext: only a path of this site passes; whatever a browser could
// read as another host falls back to /issued.
func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"/issued":                    "/issued",
		"/issued?doc=in.gov.x-A-1":   "/issued?doc=in.gov.x-A-1",
		"/activity#top":              "/activity#top",
		"":                           "/issued",
		"issued":                     "/issued",
		"//evil.example":             "/issued",
		"/\\evil.example":            "/issued",
		"/\t/evil.example":           "/issued",
		"/\n/evil.example":           "/issued",
		"/ /evil.example":            "/issued",
		"/\x7f/evil.example":         "/issued",
		"https://evil.example/":      "/issued",
		"/%2F%2Fevil.example":        "/issued",
		"javascript:alert(1)":        "/issued",
		"/x?next=https://evil.other": "/x?next=https://evil.other",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestUnderRedirect: a consent session's redirect stays on the requester's
// registered site and path; user info, another host or a path that only
// shares a prefix is refused.
func TestUnderRedirect(t *testing.T) {
	const reg = "https://bank.example/kyc"
	for redirect, want := range map[string]bool{
		"https://bank.example/kyc":                 true,
		"https://bank.example/kyc/done?s=1":        true,
		"https://BANK.example/kyc/done":            true,
		"https://bank.example/kycx":                false,
		"https://bank.example@evil.example/kyc":    false,
		"https://bank.example.evil.example/kyc":    false,
		"http://bank.example/kyc":                  false,
		"https://evil.example/kyc":                 false,
		"https://bank.example:8443/kyc":            false,
		"https://user:pw@bank.example/kyc":         false,
		"javascript:alert(1)//bank.example/kyc":    false,
		"https://bank.example/kyc/../../elsewhere": true, // the browser's path, still on the site
	} {
		if got := underRedirect(redirect, reg); got != want {
			t.Errorf("underRedirect(%q) = %v, want %v", redirect, got, want)
		}
	}
	if !underRedirect("https://bank.example/x", "https://bank.example") || underRedirect("https://bank.example@evil.example/x", "https://bank.example") {
		t.Error("a registered URL without a path")
	}
}

// TestNormalizeMobile: a mobile number as people write it is the 10 digits.
func TestNormalizeMobile(t *testing.T) {
	for in, want := range map[string]string{
		"9876543210":      "9876543210",
		"+91 98765 43210": "9876543210",
		"+919876543210":   "9876543210",
		"919876543210":    "9876543210",
		"09876543210":     "9876543210",
		"98765-43210":     "9876543210",
		"(987) 654.3210":  "9876543210",
		" 98765 43210 ":   "9876543210",
		"12345":           "12345",
		"98765x43210":     "98765x43210",
		"9+876543210":     "9+876543210",
	} {
		if got := NormalizeMobile(in); got != want {
			t.Errorf("NormalizeMobile(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestActivityRows: the activity page shows times in IST and actions in
// words; an action without words, or a time that does not parse, is shown
// as it is.
func TestActivityRows(t *testing.T) {
	for _, tt := range []struct {
		in         Activity
		when, what string
	}{
		{Activity{At: "2026-12-07T16:25:00Z", Action: "signin"}, "7 Dec 2026, 21:55 IST", "Signed in"},
		{Activity{At: "2026-12-31T20:00:00Z", Action: "consent_denied"}, "1 Jan 2027, 01:30 IST", "Consent refused"},
		{Activity{At: "yesterday", Action: "something_new"}, "yesterday", "something_new"},
	} {
		got := activityRows([]Activity{tt.in})[0]
		if got.When != tt.when || got.What != tt.what || got.At != tt.in.At {
			t.Errorf("%+v shown as %+v, want %q, %q", tt.in, got, tt.when, tt.what)
		}
	}
}

// TestErrorAtField: an error placed at an input loses its "field: "
// prefix (the label says it) and is shown there only; one with no field
// stays at the top.
func TestErrorAtField(t *testing.T) {
	for _, tt := range []struct {
		id, msg, want string
	}{
		{"mobile", "mobile: enter the 10-digit mobile number", "Enter the 10-digit mobile number"},
		{"otp", "the OTP is wrong, used or expired", "the OTP is wrong, used or expired"},
		{"dob", "name: required", "name: required"}, // another field's prefix is kept
		{"", "at most 5 OTPs an hour", "at most 5 OTPs an hour"},
	} {
		v := view{}.at(tt.id, tt.msg)
		if v.Field != tt.id || v.Error != tt.want || v.ErrorAt(tt.id) != tt.want {
			t.Errorf("at(%q, %q) = %+v, want %q", tt.id, tt.msg, v, tt.want)
		}
		if tt.id != "" && v.ErrorAt("elsewhere") != "" {
			t.Errorf("at(%q) shows its error at another field", tt.id)
		}
	}
}

// TestPullDocRequestAsDigiLocker: the sandbox's Pull Doc carries the
// citizen's DigiLockerId (a default parameter since the specification's
// v1.9) and its ts in IST, as DigiLocker's does.
func TestPullDocRequestAsDigiLocker(t *testing.T) {
	req, err := xmlschema.ParseRequest(pullDocRequest(&Issuer{APIKey: "k"}, "in.gov.x-SSCER-1", "dl-1", "xml"))
	if err != nil {
		t.Fatal(err)
	}
	if req.Kind != "PullDocRequest" || req.Get("URI") != "in.gov.x-SSCER-1" || req.Get("DigiLockerId") != "dl-1" ||
		!strings.HasSuffix(req.TS, "+05:30") || !xmlschema.VerifyKeyHash("k", req.TS, req.KeyHash) {
		t.Errorf("Pull Doc request: %+v", req)
	}
}

// TestLinkErrorRedacted: a signed link's JSON error, which may carry an
// issuer's message, shows no Aadhaar number beyond its last four digits.
func TestLinkErrorRedacted(t *testing.T) {
	base := "23412341234"
	num := base + string(aadhaar.VerhoeffDigit(base))
	w := httptest.NewRecorder()
	(&Server{}).linkError(w, httptest.NewRequest("GET", "/x", nil), 502, "issuer said: no record for "+num, "t", "m")
	if body := w.Body.String(); strings.Contains(body, num) || !strings.Contains(body, num[8:]) {
		t.Errorf("the error reads %s", body)
	}
}
