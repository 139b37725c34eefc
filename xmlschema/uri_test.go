package xmlschema

import (
	"errors"
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want URI
	}{
		{"cbse", "in.gov.cbse-SSCER-51171332015", URI{"in.gov.cbse", "SSCER", "51171332015"}},
		{"docid with dashes", "in.gov.tn-DRVLC-TN-01-2019-0001234", URI{"in.gov.tn", "DRVLC", "TN-01-2019-0001234"}},
		{"docid with slash", "in.gov.up-RVCER-UP/32/AB/1234", URI{"in.gov.up", "RVCER", "UP/32/AB/1234"}},
		{"six letter doctype", "in.gov.x-FITCER-a.b_c", URI{"in.gov.x", "FITCER", "a.b_c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURI(tt.in)
			if err != nil {
				t.Fatalf("ParseURI(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseURI(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.String() != tt.in {
				t.Fatalf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestParseURIRejects(t *testing.T) {
	tests := []struct {
		name, in, msg string
	}{
		{"empty", "", "no '-'"},
		{"no docid", "in.gov.cbse-SSCER", "no DocID"},
		{"empty docid", "in.gov.cbse-SSCER-", "1-200"},
		{"lower doctype", "in.gov.cbse-sscer-1", "upper-case"},
		{"traversal", "in.gov.cbse-SSCER-../../etc/passwd", "\"..\""},
		{"absolute", "in.gov.cbse-SSCER-/etc/passwd", "empty or '.'"},
		{"dot segment", "in.gov.cbse-SSCER-a/./b", "empty or '.'"},
		{"trailing slash", "in.gov.cbse-SSCER-a/", "empty or '.'"},
		{"backslash", `in.gov.cbse-SSCER-a\b`, "disallowed character"},
		{"nul", "in.gov.cbse-SSCER-a\x00b", "disallowed character"},
		{"space", "in.gov.cbse-SSCER-a b", "disallowed character"},
		{"issuer empty label", "in..cbse-SSCER-1", "empty label"},
		{"issuer bad char", "in.gov/cbse-SSCER-1", "disallowed character"},
		{"long docid", "in.gov.cbse-SSCER-" + strings.Repeat("1", 201), "1-200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseURI(tt.in)
			if err == nil {
				t.Fatalf("ParseURI(%q) succeeded, want error", tt.in)
			}
			if !errors.Is(err, ErrInvalidURI) {
				t.Fatalf("error %v does not wrap ErrInvalidURI", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

// FuzzParseURI checks that parsing never panics, that every accepted URI
// round-trips, and that no accepted DocID can escape its directory.
func FuzzParseURI(f *testing.F) {
	for _, s := range []string{"in.gov.cbse-SSCER-51171332015", "in.gov.tn-DRVLC-TN-01-2019-1", "a-BB-../x", "a-BB-/x", "-", "--", "a-B-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURI(s)
		if err != nil {
			return
		}
		if u.String() != s {
			t.Fatalf("round trip: %q → %q", s, u.String())
		}
		if strings.Contains(u.DocID, "..") || strings.HasPrefix(u.DocID, "/") || strings.ContainsAny(u.DocID, "\\\x00") {
			t.Fatalf("unsafe DocID accepted: %q", u.DocID)
		}
		if strings.Contains(u.IssuerID, "-") || strings.Contains(u.DocType, "-") {
			t.Fatalf("separator inside issuer or doctype: %+v", u)
		}
	})
}
