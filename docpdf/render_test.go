package docpdf

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

var (
	fontsOnce sync.Once
	fonts     *FontSet
	fontsErr  error
)

func testFonts(t testing.TB) *FontSet {
	t.Helper()
	fontsOnce.Do(func() { fonts, fontsErr = LoadFonts("") })
	if fontsErr != nil {
		testenv.SkipOrFail(t, fontsErr.Error())
	}
	return fonts
}

// sampleDoc is a marksheet whose holder and one subject are in Devanagari.
func sampleDoc(t testing.TB, name string) []byte {
	t.Helper()
	c := &xmlschema.Certificate{
		Name: "Class X Marksheet", Type: "SSCER", Number: "75000032025", IssuedAt: "Delhi",
		IssueDate: "20-05-2025", ValidFromDate: "20-05-2025", Status: xmlschema.StatusActive,
		IssuedBy: xmlschema.Organization{Name: "Central Board of Secondary Education", Code: "in.gov.cbse", Type: "CG"},
		Person:   []xmlschema.Attr{{Name: "uid", Value: "XXXXXXXX1234"}, {Name: "name", Value: name}, {Name: "dob", Value: "11-12-2009"}, {Name: "gender", Value: "F"}},
		Data: []xmlschema.Node{{Tag: "Performance", Attrs: []xmlschema.Attr{{Name: "result", Value: "PASS"}, {Name: "marksTotal", Value: "443"},
			{Name: "marksMax", Value: "600"}, {Name: "percentage", Value: "73.83"}, {Name: "division", Value: "First Division with Distinction"},
			{Name: "resultDate", Value: "20-05-2025"}},
			Children: []xmlschema.Node{{Tag: "Subjects", Children: []xmlschema.Node{
				{Tag: "Subject", Attrs: []xmlschema.Attr{{Name: "name", Value: "संस्कृत"}, {Name: "code", Value: "122"}, {Name: "marksTotal", Value: "85"}, {Name: "gpMax", Value: ""}}},
				{Tag: "Subject", Attrs: []xmlschema.Attr{{Name: "name", Value: "Mathematics Standard"}, {Name: "code", Value: "041"}, {Name: "marksTotal", Value: "91"}, {Name: "gpMax", Value: ""}}},
			}}}}},
	}
	d, err := c.Render()
	if err != nil {
		t.Fatal(err)
	}
	b, err := xmlschema.Bytes(d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDevanagariIsShaped: the shaper reorders the short-i sign before its
// consonant and forms conjuncts — what unshaped glyph placement gets wrong.
func TestDevanagariIsShaped(t *testing.T) {
	fs := testFonts(t)
	p := newPage(fs)
	ka, _ := fs.Deva.font.NominalGlyph('क')
	glyphs, _ := p.shape("कि", 12, false)
	if len(glyphs) != 2 || glyphs[0].gid == uint16(ka) || glyphs[1].gid != uint16(ka) {
		t.Fatalf("कि: glyphs %+v, want the i-sign first, then क (%d)", glyphs, ka)
	}
	glyphs, _ = p.shape("क्ष", 12, false) // three runes, one conjunct
	if len(glyphs) != 1 {
		t.Fatalf("क्ष shaped into %d glyphs, want one conjunct", len(glyphs))
	}
	if g, _ := fs.Deva.font.NominalGlyph('क'); glyphs[0].gid == uint16(g) {
		t.Fatal("क्ष drawn as a bare क")
	}
}

// TestRenderPDF renders a marksheet, rasterizes it with pdftoppm, decodes
// the QR code with zbarimg and extracts the text with pdftotext.
func TestRenderPDF(t *testing.T) {
	pdftoppm := testenv.Tool(t, "pdftoppm", "poppler-utils")
	pdftotext := testenv.Tool(t, "pdftotext", "poppler-utils")
	zbarimg := testenv.Tool(t, "zbarimg", "zbar-tools")
	s, cert := testSigner(t, signer.ECDSAP256)
	r := &Renderer{Fonts: testFonts(t), VerifyURL: "https://results.example.gov.in/", Signer: s}
	const uri = "in.gov.cbse-SSCER-75000032025"
	for _, name := range []string{"Meera Nair", "आरव शर्मा"} {
		t.Run(name, func(t *testing.T) {
			pdf, err := r.Render(sampleDoc(t, name), uri)
			if err != nil {
				t.Fatal(err)
			}
			if len(pdf) > 200<<10 {
				t.Errorf("the PDF is %d KB: the fonts are not subsetted", len(pdf)>>10)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "doc.pdf")
			os.WriteFile(path, pdf, 0o644)
			testenv.CheckPdfsig(t, path, cert.Subject.CommonName)
			if out, err := exec.Command(pdftoppm, "-r", "110", "-png", "-singlefile", path, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
				t.Fatalf("pdftoppm: %v\n%s", err, out)
			}
			out, err := exec.Command(zbarimg, "-q", "--raw", filepath.Join(dir, "page.png")).Output()
			if err != nil {
				t.Fatalf("zbarimg found no QR code: %v", err)
			}
			if got := strings.TrimSpace(string(out)); got != "https://results.example.gov.in/verify/"+uri {
				t.Fatalf("QR code says %q", got)
			}
			text, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
			if err != nil {
				t.Fatal(err)
			}
			// The long Performance line wraps (its last part stays on the
			// page), and a column empty in every row is left out.
			for _, want := range []string{name, "संस्कृत", "Mathematics Standard", "Central Board of Secondary Education", uri, "Result Date 20-05-2025"} {
				if !strings.Contains(string(text), want) {
					t.Errorf("pdftotext does not find %q in:\n%s", want, text)
				}
			}
			if strings.Contains(string(text), "Gp") {
				t.Errorf("the empty gpMax column is shown:\n%s", text)
			}
		})
	}
}

// BenchmarkRender renders and signs a marksheet with Devanagari text, on
// every core, with each kind of key.
func BenchmarkRender(b *testing.B) {
	for _, kind := range []signer.KeyType{signer.RSA2048, signer.ECDSAP256} {
		b.Run(string(kind), func(b *testing.B) {
			s, _ := testSigner(b, kind)
			r := &Renderer{Fonts: testFonts(b), VerifyURL: "https://results.example.gov.in", Signer: s}
			doc := sampleDoc(b, "आरव शर्मा")
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.Render(doc, testURI); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "docs/s")
		})
	}
}
