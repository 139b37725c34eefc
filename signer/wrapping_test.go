package signer

import (
	"crypto/x509"
	"errors"
	"strings"
	"testing"
)

// TestSignatureWrapping tries the known XML-signature-wrapping variants on
// a genuine document. Each must fail, or (comment injection) must leave the
// verified tree unchanged.
func TestSignatureWrapping(t *testing.T) {
	a, _ := testKeys(t)
	good := string(signWith(t, a, ""))
	v := &Verifier{Trusted: []*x509.Certificate{a.cert}}
	sigStart, sigEnd := strings.Index(good, "<Signature "), strings.Index(good, "</Signature>")+len("</Signature>")
	sig := good[sigStart:sigEnd]
	body := good[strings.Index(good, "<Certificate"):sigStart] // the signed content before the signature
	decl := good[:strings.Index(good, "<Certificate")]
	forgedBody := strings.Replace(body, `marksTotal="91"`, `marksTotal="99"`, 1)

	tests := []struct {
		name string
		doc  string
		want error
	}{
		// The forged document at the root; the genuine one hidden in the
		// Signature's Object, where a careless verifier finds its digest.
		{"original hidden in Object", decl + forgedBody +
			strings.Replace(sig, "</Signature>", "<Object>"+body+"</Certificate></Object></Signature>", 1) + "</Certificate>", ErrBadSignature},
		// The genuine document wrapped inside a forged root.
		{"genuine wrapped in a forged root", decl + `<Certificate type="SSCER"><Wrapper>` + good[len(decl):] + `</Wrapper>` + sig + `</Certificate>`, ErrNotEnveloped},
		{"reference to an ID", strings.Replace(good, `<Reference URI="">`, `<Reference URI="#x">`, 1), ErrNotEnveloped},
		{"ID on the root", strings.Replace(good, `<Certificate `, `<Certificate ID="x" `, 1), ErrNotEnveloped},
		{"extra transform", strings.Replace(good, `</Transforms>`, `<Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><XPath>1</XPath></Transform></Transforms>`, 1), nil},
		{"second reference", strings.Replace(good, `</SignedInfo>`, `<Reference URI=""><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>AAAA</DigestValue></Reference></SignedInfo>`, 1), ErrNotEnveloped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.doc == good {
				t.Fatal("test setup: the document did not change")
			}
			_, err := v.Verify([]byte(tt.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}

	// Comment injection: C14N drops comments, so the signature still holds,
	// and the verified tree (rebuilt from the signed bytes) has the whole
	// value, not the part before the comment.
	injected := strings.Replace(good, `</Subjects>`, `<!-- injected --></Subjects>`, 1)
	if injected == good {
		t.Fatal("test setup: no comment injected")
	}
	got, err := v.Verify([]byte(injected))
	if err != nil {
		t.Fatalf("comment injection: %v", err)
	}
	if name := got.Root.FindElement("./IssuedTo/Person").SelectAttrValue("name", ""); name != "Aarav \"A\" Sharma\tमौर्य" {
		t.Fatalf("verified name after comment injection = %q", name)
	}
	if strings.Contains(got.Root.FindElement("./CertificateData").Text(), "injected") {
		t.Fatal("the verified tree keeps the injected comment")
	}
}
