package signer

import (
	"crypto"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/issuerkit/issuerkit/xmlschema"
)

type testKey struct {
	key  crypto.Signer
	cert *x509.Certificate
}

var (
	keyOnce  sync.Once
	keyA     testKey
	keyB     testKey
	errSetup error
)

// testKeys returns two RSA-2048 key pairs, generated once per test binary.
func testKeys(t testing.TB) (testKey, testKey) {
	t.Helper()
	keyOnce.Do(func() {
		for _, k := range []*testKey{&keyA, &keyB} {
			if k.key, errSetup = GenerateKey(RSA2048); errSetup != nil {
				return
			}
			if k.cert, errSetup = SelfSignedCert(k.key, "Test Board", "Test Board", 24*time.Hour); errSetup != nil {
				return
			}
		}
	})
	if errSetup != nil {
		t.Fatal(errSetup)
	}
	return keyA, keyB
}

func testCert() *xmlschema.Certificate {
	return &xmlschema.Certificate{
		Name: "Class X Marksheet", Type: "SSCER", Number: "51171332015", IssuedAt: "Delhi",
		IssueDate: "20-05-2015", ValidFromDate: "20-05-2015", Status: xmlschema.StatusActive,
		IssuedBy: xmlschema.Organization{Name: "Test Board", Code: "in.gov.test", Type: "SG"},
		Person:   []xmlschema.Attr{{Name: "uid", Value: "XXXXXXXX1234"}, {Name: "name", Value: "Aarav \"A\" Sharma\tमौर्य"}, {Name: "dob", Value: "14-03-2000"}},
		Data: []xmlschema.Node{{Tag: "Performance", Attrs: []xmlschema.Attr{{Name: "result", Value: "PASS"}},
			Children: []xmlschema.Node{{Tag: "Subjects", Children: []xmlschema.Node{{Tag: "Subject", Attrs: []xmlschema.Attr{{Name: "name", Value: "English & Co"}, {Name: "marksTotal", Value: "91"}}}}}}}},
	}
}

func testDoc(t testing.TB) *etree.Document {
	t.Helper()
	doc, err := testCert().Render()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSignShape(t *testing.T) {
	a, _ := testKeys(t)
	b := signWith(t, a, "")
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		t.Fatal(err)
	}
	kids := doc.Root().ChildElements()
	last := kids[len(kids)-1]
	if last.Tag != "Signature" || last.SelectAttrValue("xmlns", "") != "http://www.w3.org/2000/09/xmldsig#" {
		t.Fatalf("last child = %s xmlns=%q, want default-namespaced Signature", last.Tag, last.SelectAttrValue("xmlns", ""))
	}
	want := map[string]string{
		"./SignedInfo/CanonicalizationMethod":            "http://www.w3.org/2001/10/xml-exc-c14n#",
		"./SignedInfo/SignatureMethod":                   "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
		"./SignedInfo/Reference/DigestMethod":            "http://www.w3.org/2001/04/xmlenc#sha256",
		"./SignedInfo/Reference/Transforms/Transform[1]": "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
		"./SignedInfo/Reference/Transforms/Transform[2]": "http://www.w3.org/2001/10/xml-exc-c14n#",
	}
	for path, alg := range want {
		el := last.FindElement(path)
		if el == nil {
			t.Fatalf("missing %s", path)
		}
		if got := el.SelectAttrValue("Algorithm", ""); got != alg {
			t.Errorf("%s Algorithm = %q, want %q", path, got, alg)
		}
	}
	if ref := last.FindElement("./SignedInfo/Reference"); ref.SelectAttrValue("URI", "-") != "" {
		t.Errorf("Reference URI = %q, want empty", ref.SelectAttrValue("URI", "-"))
	}
	if last.FindElement("./KeyInfo/X509Data/X509Certificate") == nil {
		t.Error("no X509Certificate in KeyInfo")
	}
}

func TestVerify(t *testing.T) {
	a, b := testKeys(t)
	good := signWith(t, a, "")
	v := &Verifier{Trusted: []*x509.Certificate{a.cert}}
	got, err := v.Verify(good)
	if err != nil {
		t.Fatalf("Verify(good): %v", err)
	}
	if got.Root.Tag != "Certificate" || !got.Cert.Equal(a.cert) {
		t.Fatalf("verified root %s cert %v", got.Root.Tag, got.Cert.Subject)
	}
	if name := got.Root.FindElement("./IssuedTo/Person").SelectAttrValue("name", ""); name != "Aarav \"A\" Sharma\tमौर्य" {
		t.Fatalf("verified name = %q", name)
	}

	tests := []struct {
		name    string
		mutate  func(string) string
		trusted []*x509.Certificate
		now     time.Time
		want    error
	}{
		{"one changed character", func(s string) string { return strings.Replace(s, `marksTotal="91"`, `marksTotal="97"`, 1) }, nil, time.Time{}, ErrBadSignature},
		{"changed text in name", func(s string) string { return strings.Replace(s, "Sharma", "Sharmа", 1) }, nil, time.Time{}, ErrBadSignature},
		{"signature value", func(s string) string {
			i := strings.Index(s, "<SignatureValue>") + len("<SignatureValue>")
			c := "A"
			if s[i] == 'A' {
				c = "B"
			}
			return s[:i] + c + s[i+1:]
		}, nil, time.Time{}, ErrBadSignature},
		{"wrong pinned cert", func(s string) string { return s }, []*x509.Certificate{b.cert}, time.Time{}, ErrUntrustedCert},
		{"expired", func(s string) string { return s }, nil, time.Now().Add(48 * time.Hour), ErrUntrustedCert},
		{"doctype", func(s string) string {
			return strings.Replace(s, "<Certificate", "<!DOCTYPE Certificate [<!ENTITY x \"y\">]><Certificate", 1)
		}, nil, time.Time{}, ErrForbiddenXML},
		{"not xml", func(string) string { return "<Certificate" }, nil, time.Time{}, ErrMalformed},
		{"signature moved inside", func(s string) string {
			i, j := strings.Index(s, "<Signature "), strings.Index(s, "</Signature>")+len("</Signature>")
			sig := s[i:j]
			s = s[:i] + s[j:]
			return strings.Replace(s, "</CertificateData>", sig+"</CertificateData>", 1)
		}, nil, time.Time{}, ErrNotEnveloped},
		{"unsigned", func(s string) string {
			i, j := strings.Index(s, "<Signature "), strings.Index(s, "</Signature>")+len("</Signature>")
			return s[:i] + s[j:]
		}, nil, time.Time{}, ErrNotEnveloped},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			trusted := tt.trusted
			if trusted == nil {
				trusted = []*x509.Certificate{a.cert}
			}
			v := &Verifier{Trusted: trusted, Now: tt.now}
			_, err := v.Verify([]byte(tt.mutate(string(good))))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNewRejectsMismatchedCert(t *testing.T) {
	a, b := testKeys(t)
	if _, err := New(a.key, []*x509.Certificate{b.cert}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("New with another key's cert: %v", err)
	}
}

// writeKeyPair writes k's PEM key and certificate into dir.
func writeKeyPair(t testing.TB, dir string, k testKey) (keyPath, certPath string) {
	t.Helper()
	keyPEM, err := MarshalKeyPEM(k.key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath, certPath = filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certPath, MarshalCertsPEM(k.cert), 0o644); err != nil {
		t.Fatal(err)
	}
	return keyPath, certPath
}

// TestSignEnvelopedAllNamesTheItem: a batch that cannot be signed fails
// whole, with an *ItemError naming the item to blame, on the one-call
// path (RSA through OpenSSL) and the one-at-a-time path (ECDSA) alike.
func TestSignEnvelopedAllNamesTheItem(t *testing.T) {
	for _, kt := range []KeyType{RSA2048, ECDSAP256} {
		t.Run(string(kt), func(t *testing.T) {
			k, _ := keysFor(t, kt)
			s, err := New(k.key, []*x509.Certificate{k.cert})
			if err != nil {
				t.Fatal(err)
			}
			var e xmlschema.Encoded
			if err := testCert().Encode(&e); err != nil {
				t.Fatal(err)
			}
			items := []Enveloped{{Doc: e.Doc, End: e.End, Canon: e.Canon}, {Doc: e.Doc, End: len(e.Doc) + 1, Canon: e.Canon}, {Doc: e.Doc, End: e.End, Canon: e.Canon}}
			err = s.SignEnvelopedAll(items)
			ie, ok := errors.AsType[*ItemError](err)
			if !ok || ie.Item != 1 {
				t.Fatalf("got %v, want an *ItemError for item 1", err)
			}
		})
	}
}
