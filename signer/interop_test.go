package signer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/xmlschema"
)

type algCase struct {
	name    string
	keyType KeyType
	alg     string
	uri     string // SignatureMethod
}

var algCases = []algCase{
	{"rsa-sha256", RSA2048, AlgRSASHA256, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
	{"rsa-sha1", RSA2048, AlgRSASHA1, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"},
	{"ecdsa-p256", ECDSAP256, AlgECDSASHA256, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
}

var (
	algKeysMu sync.Mutex
	algKeys   = map[KeyType][2]testKey{}
)

// keysFor returns two key pairs of type kt, made once per test binary.
func keysFor(t testing.TB, kt KeyType) (testKey, testKey) {
	t.Helper()
	algKeysMu.Lock()
	defer algKeysMu.Unlock()
	if k, ok := algKeys[kt]; ok {
		return k[0], k[1]
	}
	var pair [2]testKey
	for i := range pair {
		key, err := GenerateKey(kt)
		if err != nil {
			t.Fatal(err)
		}
		cert, err := SelfSignedCert(key, "Test Board", "Test Board", 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		pair[i] = testKey{key, cert}
	}
	algKeys[kt] = pair
	return pair[0], pair[1]
}

func signWith(t testing.TB, k testKey, alg string) []byte {
	t.Helper()
	tree, _ := signBoth(t, k, alg)
	return tree
}

// signBoth signs the test document through the tree (Sign, then Bytes)
// and as bytes (Encode, then SignEnveloped), and checks that the two agree:
// byte for byte for RSA, whose signatures are deterministic, and but for
// the SignatureValue for ECDSA.
func signBoth(t testing.TB, k testKey, alg string) (tree, direct []byte) {
	t.Helper()
	s, err := New(k.key, []*x509.Certificate{k.cert}, Options{Algorithm: alg})
	if err != nil {
		t.Fatal(err)
	}
	doc := testDoc(t)
	if err := s.Sign(doc); err != nil {
		t.Fatal(err)
	}
	if tree, err = xmlschema.Bytes(doc); err != nil {
		t.Fatal(err)
	}
	var e xmlschema.Encoded
	if err := testCert().Encode(&e); err != nil {
		t.Fatal(err)
	}
	if direct, err = s.SignEnveloped(e.Doc, e.End, e.Canon); err != nil {
		t.Fatal(err)
	}
	a, b := string(tree), string(direct)
	if _, ecdsa := k.key.Public().(*ecdsa.PublicKey); ecdsa {
		a, b = withoutSignatureValue(a), withoutSignatureValue(b)
	}
	if a != b {
		t.Fatalf("SignEnveloped differs from Sign:\n tree %s\nbytes %s", tree, direct)
	}
	// SignEnvelopedAll signs a batch of different documents, each to the
	// bytes SignEnveloped gives it (for RSA through the OpenSSL signer, in
	// one call into C).
	items := make([]Enveloped, 3)
	for i := range items {
		c := testCert()
		c.Number = fmt.Sprintf("5117133201%d", i)
		var e xmlschema.Encoded
		if err := c.Encode(&e); err != nil {
			t.Fatal(err)
		}
		items[i] = Enveloped{Doc: e.Doc, End: e.End, Canon: e.Canon}
	}
	want := make([]string, len(items))
	for i, it := range items {
		one, err := s.SignEnveloped(it.Doc, it.End, it.Canon)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = string(one)
	}
	if err := s.SignEnvelopedAll(items); err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		a, b := string(it.Signed), want[i]
		if _, ecdsa := k.key.Public().(*ecdsa.PublicKey); ecdsa {
			a, b = withoutSignatureValue(a), withoutSignatureValue(b)
			if _, err := (&Verifier{Trusted: []*x509.Certificate{k.cert}}).Verify(it.Signed); err != nil {
				t.Fatalf("SignEnvelopedAll's ECDSA document %d does not verify: %v", i, err)
			}
		}
		if a != b {
			t.Fatalf("SignEnvelopedAll's document %d differs from SignEnveloped's:\n%s\n%s", i, it.Signed, want[i])
		}
	}
	return tree, direct
}

func withoutSignatureValue(s string) string {
	i := strings.Index(s, "<SignatureValue>")
	j := strings.Index(s, "</SignatureValue>")
	if i < 0 || j < i {
		return s
	}
	return s[:i] + s[j:]
}

// tamperings change one part of a signed document each.
func tamperings(t testing.TB, other testKey) map[string]func(string) string {
	otherCert := base64.StdEncoding.EncodeToString(other.cert.Raw)
	return map[string]func(string) string{
		"attribute": func(s string) string { return strings.Replace(s, `marksTotal="91"`, `marksTotal="98"`, 1) },
		"text":      func(s string) string { return strings.Replace(s, `Sharma`, `Sherma`, 1) },
		"signature value": func(s string) string {
			i := strings.Index(s, "<SignatureValue>") + len("<SignatureValue>") + 10
			c := "A"
			if s[i] == 'A' {
				c = "B"
			}
			return s[:i] + c + s[i+1:]
		},
		"keyinfo cert swap": func(s string) string {
			i := strings.Index(s, "<X509Certificate>") + len("<X509Certificate>")
			j := strings.Index(s, "</X509Certificate>")
			return s[:i] + otherCert + s[j:]
		},
	}
}

func writeTemp(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func xmlsecVerify(xmlsec, certPath, docPath string) error {
	out, err := exec.Command(xmlsec, "--verify", "--trusted-pem", certPath, docPath).CombinedOutput()
	if err != nil {
		return errors.New(strings.TrimSpace(string(out)))
	}
	return nil
}

func TestInteropIssuerkitToXmlsec1(t *testing.T) {
	xmlsec := testenv.Xmlsec1(t)
	for _, ac := range algCases {
		t.Run(ac.name, func(t *testing.T) {
			a, b := keysFor(t, ac.keyType)
			dir := t.TempDir()
			_, certPath := writeKeyPair(t, dir, a)
			tree, direct := signedWithCheck(t, a, ac)
			v := &Verifier{Trusted: []*x509.Certificate{a.cert}}
			for _, good := range [][]byte{tree, direct} {
				if err := xmlsecVerify(xmlsec, certPath, writeTemp(t, dir, "good.xml", good)); err != nil {
					t.Fatalf("xmlsec1 rejects issuerkit's %s signature: %v\n%s", ac.name, err, good)
				}
				if _, err := v.Verify(good); err != nil {
					t.Fatalf("issuerkit rejects its own %s signature: %v", ac.name, err)
				}
			}
			good := direct
			for what, mutate := range tamperings(t, b) {
				bad := []byte(mutate(string(good)))
				if string(bad) == string(good) {
					t.Fatalf("%s: tampering changed nothing", what)
				}
				if err := xmlsecVerify(xmlsec, certPath, writeTemp(t, dir, "bad.xml", bad)); err == nil {
					t.Errorf("%s: xmlsec1 accepted the tampered document", what)
				}
				if _, err := v.Verify(bad); err == nil {
					t.Errorf("%s: issuerkit accepted the tampered document", what)
				}
			}
		})
	}
}

// signedWithCheck signs through both paths (signBoth) and checks the
// SignatureMethod and, for ECDSA, the r||s encoding of each.
func signedWithCheck(t *testing.T, k testKey, ac algCase) (tree, direct []byte) {
	t.Helper()
	tree, direct = signBoth(t, k, ac.alg)
	for _, b := range [][]byte{tree, direct} {
		checkSignatureShape(t, b, ac)
	}
	return tree, direct
}

func checkSignatureShape(t *testing.T, b []byte, ac algCase) {
	t.Helper()
	if !strings.Contains(string(b), `<SignatureMethod Algorithm="`+ac.uri+`"`) {
		t.Fatalf("SignatureMethod is not %s", ac.uri)
	}
	if ac.keyType == ECDSAP256 {
		i := strings.Index(string(b), "<SignatureValue>") + len("<SignatureValue>")
		j := strings.Index(string(b), "</SignatureValue>")
		raw, err := base64.StdEncoding.DecodeString(string(b[i:j]))
		if err != nil || len(raw) != 64 {
			t.Fatalf("ECDSA SignatureValue is %d bytes, want r||s of 64: %v", len(raw), err)
		}
	}
}

func TestInteropXmlsec1ToIssuerkit(t *testing.T) {
	xmlsec := testenv.Xmlsec1(t)
	for _, ac := range algCases {
		t.Run(ac.name, func(t *testing.T) {
			a, b := keysFor(t, ac.keyType)
			dir := t.TempDir()
			keyPath, certPath := writeKeyPair(t, dir, a)
			digest := "http://www.w3.org/2001/04/xmlenc#sha256"
			if ac.alg == AlgRSASHA1 {
				digest = "http://www.w3.org/2000/09/xmldsig#sha1"
			}
			tmpl := signatureTemplate(t, ac.uri, digest)
			tmplPath, outPath := writeTemp(t, dir, "tmpl.xml", tmpl), filepath.Join(dir, "signed.xml")
			if out, err := exec.Command(xmlsec, "--sign", "--privkey-pem", keyPath+","+certPath, "--output", outPath, tmplPath).CombinedOutput(); err != nil {
				t.Fatalf("xmlsec1 --sign: %v\n%s", err, out)
			}
			signed, err := os.ReadFile(outPath)
			if err != nil {
				t.Fatal(err)
			}
			v := &Verifier{Trusted: []*x509.Certificate{a.cert}}
			if _, err := v.Verify(signed); err != nil {
				t.Fatalf("issuerkit rejects xmlsec1's %s signature: %v", ac.name, err)
			}
			for what, mutate := range tamperings(t, b) {
				if _, err := v.Verify([]byte(mutate(string(signed)))); err == nil {
					t.Errorf("%s: issuerkit accepted a tampered xmlsec1 document", what)
				}
			}
		})
	}
}

// signatureTemplate is the test document with an empty enveloped Signature
// for xmlsec1 --sign to fill in.
func signatureTemplate(t testing.TB, method, digest string) []byte {
	t.Helper()
	doc := testDoc(t)
	sig := doc.Root().CreateElement("Signature")
	sig.CreateAttr("xmlns", "http://www.w3.org/2000/09/xmldsig#")
	si := sig.CreateElement("SignedInfo")
	si.CreateElement("CanonicalizationMethod").CreateAttr("Algorithm", "http://www.w3.org/2001/10/xml-exc-c14n#")
	si.CreateElement("SignatureMethod").CreateAttr("Algorithm", method)
	ref := si.CreateElement("Reference")
	ref.CreateAttr("URI", "")
	tr := ref.CreateElement("Transforms")
	tr.CreateElement("Transform").CreateAttr("Algorithm", "http://www.w3.org/2000/09/xmldsig#enveloped-signature")
	tr.CreateElement("Transform").CreateAttr("Algorithm", "http://www.w3.org/2001/10/xml-exc-c14n#")
	ref.CreateElement("DigestMethod").CreateAttr("Algorithm", digest)
	ref.CreateElement("DigestValue")
	sig.CreateElement("SignatureValue")
	sig.CreateElement("KeyInfo").CreateElement("X509Data").CreateElement("X509Certificate")
	b, err := xmlschema.Bytes(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewRejectsBadCombinations(t *testing.T) {
	rsaKey, _ := keysFor(t, RSA2048)
	ecKey, _ := keysFor(t, ECDSAP256)
	for _, tt := range []struct {
		k    testKey
		alg  string
		want string
	}{
		{rsaKey, AlgECDSASHA256, "does not fit an RSA key"},
		{ecKey, AlgRSASHA1, "does not fit an ECDSA key"},
		{rsaKey, "md5", "does not fit"},
	} {
		if _, err := New(tt.k.key, []*x509.Certificate{tt.k.cert}, Options{Algorithm: tt.alg}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%s): %v, want %q", tt.alg, err, tt.want)
		}
	}
}

func benchSign(b *testing.B, kt KeyType, alg string) {
	k, _ := keysFor(b, kt)
	s, err := New(k.key, []*x509.Certificate{k.cert}, Options{Algorithm: alg})
	if err != nil {
		b.Fatal(err)
	}
	base := testDoc(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Sign(base.Copy()); err != nil {
			b.Fatal(err)
		}
	}
}

func benchVerify(b *testing.B, kt KeyType, alg string) {
	k, _ := keysFor(b, kt)
	data := signWith(b, k, alg)
	v := &Verifier{Trusted: []*x509.Certificate{k.cert}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(data); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRaw(b *testing.B, kt KeyType) {
	k, _ := keysFor(b, kt)
	d := make([]byte, 32)
	for b.Loop() {
		if _, err := k.key.Sign(nil, d, crypto.SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSignRSA2048SHA256(b *testing.B)   { benchSign(b, RSA2048, AlgRSASHA256) }
func BenchmarkSignECDSAP256(b *testing.B)       { benchSign(b, ECDSAP256, AlgECDSASHA256) }
func BenchmarkVerifyRSA2048SHA256(b *testing.B) { benchVerify(b, RSA2048, AlgRSASHA256) }
func BenchmarkVerifyECDSAP256(b *testing.B)     { benchVerify(b, ECDSAP256, AlgECDSASHA256) }
func BenchmarkRawRSA2048(b *testing.B)          { benchRaw(b, RSA2048) }
func BenchmarkRawECDSAP256(b *testing.B)        { benchRaw(b, ECDSAP256) }
