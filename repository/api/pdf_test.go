package api_test

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/api"
)

// countingKey counts signatures, and fails them when fail is set.
type countingKey struct {
	crypto.Signer
	n    *atomic.Int32
	fail bool
}

func (k countingKey) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	k.n.Add(1)
	if k.fail {
		return nil, errors.New("CKR_DEVICE_REMOVED")
	}
	return k.Signer.Sign(r, d, o)
}

// pdfRendererWith renders PDFs signed by the fixture home's key through
// key (nil: the key itself).
func (f *fixture) pdfRendererWith(t testing.TB, wrap func(crypto.Signer) crypto.Signer) *docpdf.Renderer {
	t.Helper()
	fonts, err := docpdf.LoadFonts("")
	if err != nil {
		testenv.SkipOrFail(t, err.Error())
	}
	sg, err := f.h.Signer()
	if err != nil {
		t.Fatal(err)
	}
	key := sg.Key()
	if wrap != nil {
		key = wrap(key)
	}
	ps, err := docpdf.NewSigner(key, sg.Chain())
	if err != nil {
		t.Fatal(err)
	}
	return &docpdf.Renderer{Fonts: fonts, VerifyURL: "https://example.gov.in", Signer: ps}
}

func (f *fixture) pdfRenderer(t testing.TB) *docpdf.Renderer { return f.pdfRendererWith(t, nil) }

var docContent = regexp.MustCompile(`<DocContent>([^<]+)</DocContent>`)

func pullDocBody(uri, format string) string {
	return `<PullDocRequest ver="1.0" ts="t" txn="x" orgId="o" format="` + format + `"><DocDetails><URI>` + uri + `</URI></DocDetails></PullDocRequest>`
}

// TestPullPDFSignedOnce: the PDF a locker gets is signed by the home's
// key (pdfsig and docpdf.Verifier agree), and each version is signed once
// however many requests ask for it at once.
func TestPullPDFSignedOnce(t *testing.T) {
	f := sample(t)
	var n atomic.Int32
	ts := f.server(t, func(c *api.Config) {
		c.PDF = f.pdfRendererWith(t, func(k crypto.Signer) crypto.Signer { return countingKey{Signer: k, n: &n} })
	})
	uri := "in.gov.cbse-SSCER-" + f.row["RollNo"] + "2025"
	var wg sync.WaitGroup
	pdfs := make([][]byte, 8)
	for i := range pdfs {
		wg.Go(func() {
			code, reply := f.signed(t, ts.URL+"/digilocker/pulldoc", pullDocBody(uri, "pdf"))
			if m := docContent.FindStringSubmatch(reply); code == 200 && m != nil {
				pdfs[i], _ = base64.StdEncoding.DecodeString(m[1])
			}
		})
	}
	wg.Wait()
	for i, p := range pdfs {
		if !bytes.Equal(p, pdfs[0]) || len(p) == 0 {
			t.Fatalf("reply %d differs from reply 0 (%d and %d bytes)", i, len(p), len(pdfs[0]))
		}
	}
	if got := n.Load(); got != 1 {
		t.Errorf("%d signatures for one version, want 1", got)
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	os.WriteFile(path, pdfs[0], 0o644)
	testenv.CheckPdfsig(t, path, f.cert.Subject.CommonName)
	v, err := (&docpdf.Verifier{Trusted: []*x509.Certificate{f.cert}}).Verify(pdfs[0])
	if err != nil || v.URI != uri || v.Status != "A" {
		t.Fatalf("Verify: %+v %v", v, err)
	}
}

// TestPullPDFKeyCannotSign: when the key fails, a PDF request fails (500,
// the reason in the log) and no unsigned PDF is sent; XML still works.
func TestPullPDFKeyCannotSign(t *testing.T) {
	f := sample(t)
	var n atomic.Int32
	ts := f.server(t, func(c *api.Config) {
		c.PDF = f.pdfRendererWith(t, func(k crypto.Signer) crypto.Signer { return countingKey{Signer: k, n: &n, fail: true} })
	})
	uri := "in.gov.cbse-SSCER-" + f.row["RollNo"] + "2025"
	for _, format := range []string{"pdf", "both"} {
		code, reply := f.signed(t, ts.URL+"/digilocker/pulldoc", pullDocBody(uri, format))
		if code != 500 || strings.Contains(reply, "<DocContent>") || strings.Contains(reply, "<DataContent>") {
			t.Errorf("%s with a failing key: HTTP %d %.300s", format, code, reply)
		}
	}
	if !strings.Contains(f.logs.String(), "CKR_DEVICE_REMOVED") {
		t.Errorf("the log does not say why:\n%s", f.logs.String())
	}
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulldoc", pullDocBody(uri, "xml")); code != 200 || !strings.Contains(reply, "<DataContent>") {
		t.Errorf("xml with a failing PDF key: HTTP %d", code)
	}
}
