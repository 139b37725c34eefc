package signer

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"
	"time"
)

// canonRoot is the canonical form of a verified root, to compare what the
// two paths hand their callers.
func canonRoot(v *Verified) string {
	var b bytes.Buffer
	writeC14N(&b, v.Root)
	return b.String()
}

// bothPaths verifies data on the fast and the general path.
func bothPaths(v *Verifier, data []byte) (fast *Verified, fastOK bool, general *Verified, err error) {
	now := time.Now()
	fast, fastOK = v.fastVerify(data, now)
	general, err = v.verifyGeneral(data, now)
	return
}

// TestFastVerifyTakesIssuerkitDocuments: every document issuerkit signs
// takes the fast path, and the tree it returns is the general path's.
func TestFastVerifyTakesIssuerkitDocuments(t *testing.T) {
	for _, ac := range algCases {
		t.Run(ac.name, func(t *testing.T) {
			a, _ := keysFor(t, ac.keyType)
			data := signWith(t, a, ac.alg)
			v := &Verifier{Trusted: []*x509.Certificate{a.cert}}
			fast, ok, general, err := bothPaths(v, data)
			if !ok || err != nil {
				t.Fatalf("fast path %v, general path %v", ok, err)
			}
			if canonRoot(fast) != canonRoot(general) || !fast.Cert.Equal(general.Cert) {
				t.Errorf("the paths return different documents:\n%s\n%s", canonRoot(fast), canonRoot(general))
			}
			if fast.Root.SelectAttrValue("number", "") != "51171332015" || fast.Root.FindElement("IssuedTo/Person") == nil {
				t.Error("the fast path's tree lacks the document's content")
			}
		})
	}
}

// TestFastVerifyEquivalentForms: forms that differ in bytes but not in
// canonical form verify on both paths (the fast one included); forms the
// fast path leaves alone still verify on the general path.
func TestFastVerifyEquivalentForms(t *testing.T) {
	a, _ := keysFor(t, RSA2048)
	good := string(signWith(t, a, ""))
	v := &Verifier{Trusted: []*x509.Certificate{a.cert}}
	for _, tt := range []struct {
		name string
		edit func(string) string
		fast bool // the fast path takes it
	}{
		{"no declaration", func(s string) string { return s[strings.Index(s, "<Certificate"):] }, true},
		{"attributes reordered", func(s string) string {
			return strings.Replace(s, `result="PASS"`, `result="PASS"`, 1)
		}, true},
		{"single quotes", func(s string) string { return strings.Replace(s, `status="A"`, `status='A'`, 1) }, true},
		{"start and end tag", func(s string) string {
			return strings.Replace(s, `marksTotal="91"/>`, `marksTotal="91"></Subject>`, 1)
		}, true},
		{"space in tags", func(s string) string {
			return strings.Replace(strings.Replace(s, `marksTotal="91"/>`, `marksTotal = "91" />`, 1), "</Subjects>", "</Subjects  >", 1)
		}, true},
		{"character references", func(s string) string {
			return strings.Replace(s, `name="English &amp; Co"`, `name="&#69;nglish &#x26; Co"`, 1)
		}, true},
		{"declaration and newline", func(s string) string { return strings.Replace(s, "?><Certificate", "?>\n<Certificate", 1) }, true},
		{"trailing newline", func(s string) string { return s + "\n" }, true},
		{"comment after the root", func(s string) string { return s + "<!-- x -->" }, false},
		{"comment before the root", func(s string) string { return strings.Replace(s, "?><Certificate", "?><!-- x --><Certificate", 1) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.edit(good))
			_, ok, _, err := bothPaths(v, data)
			if err != nil {
				t.Fatalf("general path: %v", err)
			}
			if ok != tt.fast {
				t.Errorf("fast path took it: %v, want %v", ok, tt.fast)
			}
		})
	}
}

// TestFastVerifyRefuses: tampered documents and documents outside the
// fast path's shape are not accepted by it.
func TestFastVerifyRefuses(t *testing.T) {
	a, b := keysFor(t, RSA2048)
	good := string(signWith(t, a, ""))
	v := &Verifier{Trusted: []*x509.Certificate{a.cert}}
	cases := tamperings(t, b)
	for name, edit := range map[string]func(string) string{
		"namespace in the body": func(s string) string { return strings.Replace(s, "<IssuedBy>", `<IssuedBy xmlns="urn:x">`, 1) },
		"prefix in the body":    func(s string) string { return strings.Replace(s, "<IssuedBy>", `<x:IssuedBy xmlns:x="urn:x">`, 1) },
		"second signature":      func(s string) string { return strings.Replace(s, "<IssuedBy>", "<IssuedBy><Signature/>", 1) },
		"text after signature": func(s string) string {
			return strings.Replace(s, "</Signature></Certificate>", "</Signature>x</Certificate>", 1)
		},
		"DTD": func(s string) string {
			return strings.Replace(s, "?><Certificate", "?><!DOCTYPE Certificate><Certificate", 1)
		},
		"unknown entity": func(s string) string { return strings.Replace(s, "English &amp; Co", "English &co; Co", 1) },
		"ID on the root": func(s string) string { return strings.Replace(s, "<Certificate ", `<Certificate ID="x" `, 1) },
		"whitespace in signature": func(s string) string {
			return strings.Replace(s, "<SignedInfo>", "<SignedInfo>\n", 1)
		},
		"other digest method": func(s string) string {
			return strings.Replace(s, algDigest256, "http://www.w3.org/2001/04/xmldsig-more#sha384", 1)
		},
		"two references": func(s string) string {
			i := strings.Index(s, "<Reference ")
			j := strings.Index(s, "</Reference>") + len("</Reference>")
			return s[:j] + s[i:j] + s[j:]
		},
		"literal newline in an attribute": func(s string) string { return strings.Replace(s, "Meera", "Me\nera", 1) },
		"expired pin":                     nil,
	} {
		cases[name] = edit
	}
	for name, edit := range cases {
		t.Run(name, func(t *testing.T) {
			data, vv := []byte(good), v
			if edit != nil {
				data = []byte(edit(good))
			} else {
				vv = &Verifier{Trusted: v.Trusted, Now: a.cert.NotAfter.Add(time.Hour)}
			}
			if _, ok := vv.fastVerify(data, vv.Now); ok && edit == nil {
				t.Fatal("fast path accepted an expired certificate")
			} else if ok {
				t.Fatal("fast path accepted it")
			}
			if edit != nil && string(data) == good && name != "literal newline in an attribute" {
				t.Fatalf("%s changed nothing", name)
			}
		})
	}
}

// FuzzFastVerify: the fast path never accepts a document the general path
// rejects, and when both accept they return the same document.
func FuzzFastVerify(f *testing.F) {
	var vs []*Verifier
	for _, ac := range algCases {
		k, _ := keysFor(f, ac.keyType)
		f.Add(signWith(f, k, ac.alg))
		vs = append(vs, &Verifier{Trusted: []*x509.Certificate{k.cert}})
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, v := range vs {
			fast, ok, general, err := bothPaths(v, data)
			if !ok {
				continue
			}
			if err != nil {
				t.Fatalf("the fast path accepted what the general path rejects (%v):\n%q", err, data)
			}
			if canonRoot(fast) != canonRoot(general) {
				t.Fatalf("the paths return different documents for\n%q", data)
			}
		}
	})
}

// BenchmarkVerifyGeneral is the general path alone, to compare with
// BenchmarkVerifyRSA2048SHA256 (which takes the fast one).
func BenchmarkVerifyGeneral(b *testing.B) {
	k, _ := keysFor(b, RSA2048)
	data := signWith(b, k, "")
	v := &Verifier{Trusted: []*x509.Certificate{k.cert}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.verifyGeneral(data, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
