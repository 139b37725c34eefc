package docpdf

import (
	"bytes"
	"compress/zlib"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

const testURI = "in.gov.cbse-SSCER-75000032025"

// testSigner makes a key of kind and a self-signed certificate for it.
func testSigner(t testing.TB, kind signer.KeyType) (*Signer, *x509.Certificate) {
	t.Helper()
	key, err := signer.GenerateKey(kind)
	if err != nil {
		t.Fatal(err)
	}
	return signerFor(t, key, "CBSE document signing ("+string(kind)+")")
}

func signerFor(t testing.TB, key crypto.Signer, cn string) (*Signer, *x509.Certificate) {
	t.Helper()
	cert, err := signer.SelfSignedCert(key, cn, "Central Board of Secondary Education", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(key, []*x509.Certificate{cert})
	if err != nil {
		t.Fatal(err)
	}
	return s, cert
}

// checkSignedPDF checks pdf, signed by s (whose certificate is cert), three
// independent ways (pdfsig, openssl cms, Verify) and checks that one
// changed byte, in the signed bytes or in the signature, fails all of them.
func checkSignedPDF(t *testing.T, pdf []byte, cert *x509.Certificate) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "doc.pdf")
	os.WriteFile(path, pdf, 0o644)
	testenv.CheckPdfsig(t, path, cert.Subject.CommonName)
	opensslCMS(t, dir, pdf, cert)
	v := &Verifier{Trusted: []*x509.Certificate{cert}}
	got, err := v.Verify(pdf)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if !got.Cert.Equal(cert) || got.URI != testURI || got.Status != "A" || time.Since(got.Signed) > time.Minute {
		t.Errorf("Verify: %+v", got)
	}

	br := byteRangeRE.FindSubmatch(pdf)
	holeAt := bytes.Index(pdf, []byte("/Contents <")) + len("/Contents <")
	hole := pdf[holeAt : holeAt+bytes.IndexByte(pdf[holeAt:], '>')]
	sigEnd := holeAt + 2*len(holeCMS(t, hole)) // the signature value ends the SignedData
	for name, at := range map[string]int{
		"page content": bytes.Index(pdf, []byte("stream\n")) + 20,
		"info":         bytes.LastIndex(pdf, []byte("(issuerkit)")) + 1,
		"signature":    sigEnd - 10,
	} {
		t.Run("tampered "+name, func(t *testing.T) {
			bad := bytes.Clone(pdf)
			bad[at] ^= 0x01
			if name == "signature" && bad[at] == ':' {
				bad[at] = 'a' // stay a hex digit
			}
			p := filepath.Join(t.TempDir(), "bad.pdf")
			os.WriteFile(p, bad, 0o644)
			if out := testenv.Pdfsig(t, p); strings.Contains(out, "Signature is Valid") {
				t.Errorf("pdfsig accepts a changed byte at %d (byte range %s):\n%s", at, br[0], out)
			}
			if _, err := v.Verify(bad); err == nil {
				t.Errorf("Verify accepts a changed byte at %d", at)
			}
		})
	}
}

// holeCMS is the SignedData in a /Contents hole's hex: the DER value its
// own length says, without the zero padding after it (which trimming
// zeros cannot tell from a signature that ends in a zero byte).
func holeCMS(t *testing.T, hexHole []byte) []byte {
	t.Helper()
	all, err := hex.DecodeString(string(hexHole))
	if err != nil {
		t.Fatalf("/Contents hole: %v", err)
	}
	var v asn1.RawValue
	if _, err := asn1.Unmarshal(all, &v); err != nil {
		t.Fatalf("/Contents hole: %v", err)
	}
	return v.FullBytes
}

// opensslCMS has openssl check the SignedData over the signed byte ranges,
// chaining to cert, and find the signing-certificate-v2 attribute in it.
func opensslCMS(t *testing.T, dir string, pdf []byte, cert *x509.Certificate) {
	t.Helper()
	openssl := testenv.Tool(t, "openssl", "openssl")
	m := byteRangeRE.FindSubmatchIndex(pdf)
	if m == nil {
		t.Fatal("no /ByteRange")
	}
	var r [4]int
	for i := range r {
		for _, c := range pdf[m[2+2*i]:m[3+2*i]] {
			r[i] = r[i]*10 + int(c-'0')
		}
	}
	content := append(bytes.Clone(pdf[r[0]:r[0]+r[1]]), pdf[r[2]:r[2]+r[3]]...)
	der := holeCMS(t, pdf[r[1]+1:r[2]-1])
	files := map[string][]byte{"sig.der": der, "content.bin": content, "ca.pem": signer.MarshalCertsPEM(cert)}
	for n, b := range files {
		os.WriteFile(filepath.Join(dir, n), b, 0o644)
	}
	cmd := exec.Command(openssl, "cms", "-verify", "-binary", "-inform", "DER", "-in", "sig.der", "-content", "content.bin",
		"-CAfile", "ca.pem", "-purpose", "any", "-out", os.DevNull)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Verification successful") {
		t.Errorf("openssl cms -verify: %v\n%s", err, out)
	}
	cmd = exec.Command(openssl, "cms", "-cmsout", "-print", "-inform", "DER", "-in", "sig.der")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("openssl cms -print: %v\n%s", err, out)
	}
	for _, want := range []string{"signingCertificateV2", "messageDigest", "contentType", "eContent: <ABSENT>"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the SignedData has no %s:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "signingTime") {
		t.Error("the SignedData carries signing-time, which PAdES B-B forbids")
	}
}

// TestSignedPDF: RSA and ECDSA keys sign PDFs that pdfsig, openssl and
// Verify accept, and that fail when one byte changes.
func TestSignedPDF(t *testing.T) {
	fs := testFonts(t)
	for _, kind := range []signer.KeyType{signer.RSA2048, signer.ECDSAP256} {
		t.Run(string(kind), func(t *testing.T) {
			s, cert := testSigner(t, kind)
			r := &Renderer{Fonts: fs, VerifyURL: "https://results.example.gov.in", Signer: s}
			pdf, err := r.Render(sampleDoc(t, "Meera Nair"), testURI)
			if err != nil {
				t.Fatal(err)
			}
			checkSignedPDF(t, pdf, cert)
		})
	}
}

// TestSignatureField: the page shows the signature: who, with which
// certificate, when.
func TestSignatureField(t *testing.T) {
	pdftoppm := testenv.Tool(t, "pdftoppm", "poppler-utils")
	s, _ := testSigner(t, signer.ECDSAP256)
	at := time.Now().Add(time.Minute).Truncate(time.Second)
	s.Now = func() time.Time { return at }
	r := &Renderer{Fonts: testFonts(t), VerifyURL: "https://results.example.gov.in", Signer: s}
	pdf, err := r.Render(sampleDoc(t, "Meera Nair"), testURI)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf, []byte("/M "+pdfDate(at.In(xmlschema.IST)))) || !bytes.Contains(pdf, []byte("/FT /Sig")) {
		t.Error("no signing time or signature field in the PDF")
	}
	// The field's appearance says who signed and when.
	i := bytes.Index(pdf, []byte("/Subtype /Form"))
	j := bytes.Index(pdf[i:], []byte("stream\n"))
	zr, err := zlib.NewReader(bytes.NewReader(pdf[i+j+len("stream\n"):]))
	if err != nil {
		t.Fatal(err)
	}
	ap, _ := io.ReadAll(zr)
	for _, want := range []string{"Digitally signed by Central Board of Secondary Education", "Signed on " + at.In(xmlschema.IST).Format("02-01-2006 at 15:04:05 IST"),
		"Certificate: " + s.Certificate().Subject.CommonName + " (self-signed)"} {
		if !bytes.Contains(ap, []byte(utf16Hex(want))) {
			t.Errorf("the signature's appearance does not show %q", want)
		}
	}
	// And poppler draws it: the page differs with annotations hidden.
	dir := t.TempDir()
	path := filepath.Join(dir, "doc.pdf")
	os.WriteFile(path, pdf, 0o644)
	for _, args := range [][]string{{"with"}, {"without", "-hide-annotations"}} {
		cmd := append([]string{"-r", "40", "-png", "-singlefile"}, args[1:]...)
		if out, err := exec.Command(pdftoppm, append(cmd, path, filepath.Join(dir, args[0]))...).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
	}
	with, _ := os.ReadFile(filepath.Join(dir, "with.png"))
	without, _ := os.ReadFile(filepath.Join(dir, "without.png"))
	if len(with) == 0 || bytes.Equal(with, without) {
		t.Error("poppler draws no signature field")
	}
}

type brokenKey struct{ crypto.Signer }

func (brokenKey) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("CKR_PIN_INCORRECT")
}

type wrongSigKey struct{ crypto.Signer }

func (k wrongSigKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return k.Signer.Sign(r, make([]byte, len(d)), o)
}

// TestKeyThatCannotSign: a key that fails, a key that signs wrongly, an
// expired certificate and no key at all give an error and no PDF.
func TestKeyThatCannotSign(t *testing.T) {
	fs := testFonts(t)
	key, _ := signer.GenerateKey(signer.ECDSAP256)
	good, cert := signerFor(t, key, "CBSE")
	broken, _ := NewSigner(brokenKey{key}, []*x509.Certificate{cert})
	wrong, _ := NewSigner(wrongSigKey{key}, []*x509.Certificate{cert})
	expired, _ := NewSigner(key, []*x509.Certificate{cert})
	expired.Now = func() time.Time { return cert.NotAfter.Add(time.Hour) }
	for _, c := range []struct {
		name string
		s    *Signer
		want string
	}{
		{"broken key", broken, "cannot sign: CKR_PIN_INCORRECT"},
		{"wrong signature", wrong, "does not verify"},
		{"expired certificate", expired, "not now"},
		{"no key", nil, "no signing key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := &Renderer{Fonts: fs, VerifyURL: "https://x.gov.in", Signer: c.s}
			pdf, err := r.Render(sampleDoc(t, "Meera Nair"), testURI)
			if err == nil || !strings.Contains(err.Error(), c.want) || pdf != nil {
				t.Fatalf("Render: %d bytes, %v; want no PDF and %q", len(pdf), err, c.want)
			}
		})
	}
	other, _ := signer.GenerateKey(signer.ECDSAP256)
	if _, err := NewSigner(other, []*x509.Certificate{cert}); err == nil {
		t.Error("NewSigner accepts a certificate of another key")
	}
	_ = good
}

// TestVerifyTrust: pinning another certificate, or trust anchors that do
// not issue the signer, fail; the right anchor passes.
func TestVerifyTrust(t *testing.T) {
	s, cert := testSigner(t, signer.ECDSAP256)
	_, other := testSigner(t, signer.ECDSAP256)
	r := &Renderer{Fonts: testFonts(t), VerifyURL: "https://x.gov.in", Signer: s}
	pdf, err := r.Render(sampleDoc(t, "Meera Nair"), testURI)
	if err != nil {
		t.Fatal(err)
	}
	pool := func(c *x509.Certificate) *x509.CertPool { p := x509.NewCertPool(); p.AddCert(c); return p }
	for _, c := range []struct {
		name string
		v    Verifier
		want error
	}{
		{"pinned", Verifier{Trusted: []*x509.Certificate{cert}}, nil},
		{"pinned other", Verifier{Trusted: []*x509.Certificate{other}}, ErrUntrustedCert},
		{"anchor", Verifier{Roots: pool(cert)}, nil},
		{"other anchor", Verifier{Roots: pool(other)}, ErrUntrustedCert},
		{"expired", Verifier{Roots: pool(cert), Now: cert.NotAfter.Add(time.Hour)}, ErrUntrustedCert},
		{"nothing trusted", Verifier{}, ErrUntrustedCert},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.v.Verify(pdf)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("Verify: %v, want %v", err, c.want)
			}
		})
	}
	// An appended revision leaves bytes unsigned.
	if _, err := (&Verifier{Trusted: []*x509.Certificate{cert}}).Verify(append(bytes.Clone(pdf), "\n% more\n"...)); !errors.Is(err, ErrNotWholeDocument) {
		t.Errorf("appended bytes: %v", err)
	}
}

// FuzzVerify: Verify never panics on any input.
func FuzzVerify(f *testing.F) {
	s, cert := testSigner(f, signer.ECDSAP256)
	r := &Renderer{Fonts: testFonts(f), VerifyURL: "https://x.gov.in", Signer: s}
	pdf, err := r.Render(sampleDoc(f, "Meera Nair"), testURI)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pdf)
	f.Add([]byte("%PDF-1.7\n/ByteRange [0 10 20 5] /Contents <00>"))
	v := &Verifier{Trusted: []*x509.Certificate{cert}}
	f.Fuzz(func(t *testing.T, b []byte) {
		v.Verify(b)
	})
}

// BenchmarkSignature is the signature's share of a PDF: the CMS
// SignedData over a digest (sign, then check against the certificate).
func BenchmarkSignature(b *testing.B) {
	for _, kind := range []signer.KeyType{signer.RSA2048, signer.ECDSAP256} {
		b.Run(string(kind), func(b *testing.B) {
			s, _ := testSigner(b, kind)
			digest := make([]byte, 32)
			at := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.signedData(digest, at); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "sigs/s")
		})
	}
}
