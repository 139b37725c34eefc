package apisetu_test

import (
	"bytes"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/repository/apisetu"
)

// TestGrantedPDF: format pdf is the document's signed PDF (PAdES, checked
// by pdfsig); a server without a PDF renderer answers invalid_format,
// never an unsigned PDF.
func TestGrantedPDF(t *testing.T) {
	f := sample(t)
	fonts, err := docpdf.LoadFonts("")
	if err != nil {
		testenv.SkipOrFail(t, err.Error())
	}
	sg, err := f.h.Signer()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := docpdf.NewSigner(sg.Key(), sg.Chain())
	if err != nil {
		t.Fatal(err)
	}
	e := f.start(t, nil, func(dc *api.Config, _ *apisetu.Config) {
		dc.PDF = &docpdf.Renderer{Fonts: fonts, VerifyURL: "https://example.gov.in", Signer: ps}
	})
	meera := f.rows[meeraIdx]
	r := e.post(t, "SSCER", "bank", bankKey, body(meera, "pdf", f.sign(t, consentFor(meera))))
	if r.code != 200 || r.ctype != "application/pdf" || !bytes.HasPrefix(r.body, []byte("%PDF-")) {
		t.Fatalf("HTTP %d %s %.40q", r.code, r.ctype, r.body)
	}
	file := filepath.Join(t.TempDir(), "m.pdf")
	os.WriteFile(file, r.body, 0o600)
	testenv.CheckPdfsig(t, file, sg.Certificate().Subject.CommonName)

	plain := f.start(t, nil)
	if r := plain.post(t, "SSCER", "registry", regKey, body(meera, "pdf", nil)); r.code != 400 || !strings.Contains(string(r.body), `"invalid_format"`) {
		t.Fatalf("without a renderer: HTTP %d %.100s", r.code, r.body)
	}
}

// TestMetrics: requests are counted by client and outcome.
func TestMetrics(t *testing.T) {
	f := sample(t)
	e := f.start(t, nil)
	meera := f.rows[meeraIdx]
	e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", f.sign(t, consentFor(meera))))
	e.post(t, "SSCER", "bank", bankKey, body(meera, "xml", nil))
	e.post(t, "SSCER", "bank", "wrong-key-0123456789", body(meera, "xml", nil))
	e.post(t, "SSCER", "registry", regKey, body(with(meera, "RollNo", "9999999"), "xml", nil))
	m := httptest.NewServer(e.docs.MetricsHandler())
	defer m.Close()
	resp, err := m.Client().Get(m.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`issuerkit_apisetu_requests_total{client="bank",outcome="granted"} 1`,
		`issuerkit_apisetu_requests_total{client="bank",outcome="refused"} 1`,
		`issuerkit_apisetu_requests_total{client="unknown",outcome="unauthenticated"} 1`,
		`issuerkit_apisetu_requests_total{client="registry",outcome="not_found"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
