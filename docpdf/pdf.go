package docpdf

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"

	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
)

// page is one A4 page being drawn: a content stream in PDF points, origin
// at the bottom left, and the glyphs each font used.
type page struct {
	fonts   *FontSet
	faces   map[*fontFile]*font.Face
	content bytes.Buffer
	used    map[*fontFile]map[uint16]string // glyph → the text it stands for
	order   []*fontFile                     // fonts in first-use order
	shaper  shaping.HarfbuzzShaper
	scratch []byte // one content operator being written
}

const (
	pageW = 595.28
	pageH = 841.89
)

func newPage(fs *FontSet) *page {
	return &page{fonts: fs, faces: map[*fontFile]*font.Face{}, used: map[*fontFile]map[uint16]string{}}
}

func (p *page) face(f *fontFile) *font.Face {
	if fc := p.faces[f]; fc != nil {
		return fc
	}
	fc := font.NewFace(f.font)
	p.faces[f] = fc
	return fc
}

// isDeva reports whether r is Devanagari (or a Vedic extension).
func isDeva(r rune) bool {
	return r >= 0x0900 && r <= 0x097F || r >= 0xA8E0 && r <= 0xA8FF || r >= 0x1CD0 && r <= 0x1CFF
}

// neutral runes (spaces, digits, punctuation) stay in the run around them.
func neutral(r rune) bool {
	return r == ' ' || r >= '0' && r <= '9' || strings.ContainsRune(".,-/()&:'", r) || r == 0x200C || r == 0x200D
}

type run struct {
	text []rune
	deva bool
}

func splitRuns(s string) []run {
	var runs []run
	for _, r := range s {
		d := isDeva(r)
		if len(runs) > 0 && (neutral(r) || runs[len(runs)-1].deva == d) {
			runs[len(runs)-1].text = append(runs[len(runs)-1].text, r)
			continue
		}
		runs = append(runs, run{text: []rune{r}, deva: d})
	}
	return runs
}

type placed struct {
	f    *fontFile
	gid  uint16
	x, y float64
}

// shape lays out s at size from the pen position x; it returns the glyphs
// and the width. Each script run is shaped with its own font, so
// Devanagari conjuncts, reordered vowel signs and attached marks come out
// as the font designs them.
func (p *page) shape(s string, size float64, bold bool) ([]placed, float64) {
	var out []placed
	x := 0.0
	for _, r := range splitRuns(s) {
		f, script, lang := p.fonts.Latin, language.Latin, language.NewLanguage("en")
		if bold {
			f = p.fonts.LatinBold
		}
		if r.deva {
			f, script, lang = p.fonts.Deva, language.Devanagari, language.NewLanguage("hi")
			if bold {
				f = p.fonts.DevaBold
			}
		}
		o := p.shaper.Shape(shaping.Input{Text: r.text, RunStart: 0, RunEnd: len(r.text), Direction: di.DirectionLTR,
			Face: p.face(f), Size: fixed.Int26_6(size * 64), Script: script, Language: lang})
		if p.used[f] == nil {
			p.used[f] = map[uint16]string{}
			p.order = append(p.order, f)
		}
		for _, g := range o.Glyphs {
			gid := uint16(g.GlyphID)
			out = append(out, placed{f: f, gid: gid, x: x + float64(g.XOffset)/64, y: float64(g.YOffset) / 64})
			if _, seen := p.used[f][gid]; !seen {
				text := ""
				if ti := g.TextIndex(); ti < len(r.text) {
					text = string(r.text[ti:min(len(r.text), ti+g.RunesCount())])
				}
				p.used[f][gid] = text
			}
			x += float64(g.Advance) / 64
		}
	}
	return out, x
}

// text draws s with its left end at (x, y) and returns its width.
func (p *page) text(x, y, size float64, bold bool, s string) float64 {
	if s == "" {
		return 0
	}
	glyphs, w := p.shape(s, size, bold)
	// ActualText gives text extraction the string as written, whatever
	// the glyphs became.
	fmt.Fprintf(&p.content, "/Span <</ActualText <FEFF%s>>> BDC BT\n", utf16Hex(s))
	var cur *fontFile
	for _, g := range glyphs {
		if g.f != cur {
			cur = g.f
			fmt.Fprintf(&p.content, "/%s %.2f Tf\n", p.fontRes(cur), size)
		}
		// "1 0 0 1 X Y Tm <GID> Tj", without fmt: this runs per glyph.
		b := p.scratch[:0]
		b = append(b, "1 0 0 1 "...)
		b = strconv.AppendFloat(b, x+g.x, 'f', 2, 64)
		b = append(b, ' ')
		b = strconv.AppendFloat(b, y+g.y, 'f', 2, 64)
		b = append(b, " Tm <"...)
		b = appendHex4(b, uint16(g.gid))
		b = append(b, "> Tj\n"...)
		p.content.Write(b)
		p.scratch = b
	}
	p.content.WriteString("ET EMC\n")
	return w
}

// width measures s without drawing it.
func (p *page) width(size float64, bold bool, s string) float64 {
	_, w := p.shape(s, size, bold)
	return w
}

func (p *page) fontRes(f *fontFile) string {
	for i, g := range p.order {
		if g == f {
			return fmt.Sprintf("F%d", i+1)
		}
	}
	return "F0"
}

func utf16Hex(s string) string {
	units := utf16.Encode([]rune(s))
	b := make([]byte, 0, 4*len(units))
	for _, u := range units {
		b = appendHex4(b, u)
	}
	return string(b)
}

// appendHex4 appends v as four upper-case hex digits (%04X).
func appendHex4(b []byte, v uint16) []byte {
	const digits = "0123456789ABCDEF"
	return append(b, digits[v>>12], digits[v>>8&0xf], digits[v>>4&0xf], digits[v&0xf])
}

func (p *page) rect(x, y, w, h float64, fill bool) {
	op := "S"
	if fill {
		op = "f"
	}
	fmt.Fprintf(&p.content, "%.2f %.2f %.2f %.2f re %s\n", x, y, w, h, op)
}

func (p *page) line(x1, y1, x2, y2 float64) {
	fmt.Fprintf(&p.content, "%.2f %.2f m %.2f %.2f l S\n", x1, y1, x2, y2)
}

func (p *page) color(r, g, b float64, fill bool) {
	if fill {
		fmt.Fprintf(&p.content, "%.3f %.3f %.3f rg\n", r, g, b)
	} else {
		fmt.Fprintf(&p.content, "%.3f %.3f %.3f RG\n", r, g, b)
	}
}

// pdfWriter assembles the objects of one PDF file.
type pdfWriter struct {
	b    bytes.Buffer
	offs []int
}

func (w *pdfWriter) obj(body string) int {
	w.offs = append(w.offs, w.b.Len())
	n := len(w.offs)
	fmt.Fprintf(&w.b, "%d 0 obj\n%s\nendobj\n", n, body)
	return n
}

// next returns the number the next object will get.
func (w *pdfWriter) next() int { return len(w.offs) + 1 }

// zlibWriters are reused: a new compressor allocates about a megabyte.
var zlibWriters = sync.Pool{New: func() any {
	zw, _ := zlib.NewWriterLevel(io.Discard, zlib.BestSpeed)
	return zw
}}

func (w *pdfWriter) stream(dict string, data []byte) int {
	var z bytes.Buffer
	zw := zlibWriters.Get().(*zlib.Writer)
	zw.Reset(&z)
	zw.Write(data)
	zw.Close()
	zlibWriters.Put(zw)
	w.offs = append(w.offs, w.b.Len())
	n := len(w.offs)
	fmt.Fprintf(&w.b, "%d 0 obj\n<< %s /Length %d /Filter /FlateDecode >>\nstream\n", n, dict, z.Len())
	w.b.Write(z.Bytes())
	w.b.WriteString("\nendstream\nendobj\n")
	return n
}

// finish writes a one-page PDF: the page's content and fonts, the
// signature field whose appearance ap holds, and the document's metadata;
// then signs it (see sign).
func (p *page) finish(meta docMeta, ap *appearance, sig *Signer) ([]byte, error) {
	w := &pdfWriter{}
	w.b.Grow(64 << 10)
	w.b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	// Objects: 1 catalog, 2 pages, 3 page, 4 content, five per font from
	// 5, then the signature, its widget, the widget's appearance, the info.
	const pagesN, pageN, contentN, fontBase = 2, 3, 4, 5
	sigN := fontBase + 5*len(p.order)
	widgetN, apN, infoN := sigN+1, sigN+2, sigN+3
	w.obj(fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /AcroForm << /Fields [%d 0 R] /SigFlags 3 >> >>", pagesN, widgetN))
	w.obj(fmt.Sprintf("<< /Type /Pages /Kids [%d 0 R] /Count 1 >>", pageN))
	var fonts strings.Builder
	for i := range p.order {
		fmt.Fprintf(&fonts, "/F%d %d 0 R ", i+1, fontBase+5*i)
	}
	w.obj(fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %.2f %.2f] /Contents %d 0 R /Resources << /Font << %s>> >> /Annots [%d 0 R] >>",
		pagesN, pageW, pageH, contentN, fonts.String(), widgetN))
	if got := w.stream("", p.content.Bytes()); got != contentN {
		return nil, fmt.Errorf("pdf: object numbering")
	}
	for i, f := range p.order {
		if err := p.writeFont(w, f, fontBase+5*i); err != nil {
			return nil, err
		}
	}
	if w.next() != sigN {
		return nil, fmt.Errorf("pdf: object numbering")
	}
	hole, err := writeSigDict(w, sig, meta)
	if err != nil {
		return nil, err
	}
	w.obj(fmt.Sprintf("<< /Type /Annot /Subtype /Widget /FT /Sig /T (Signature1) /TU %s /V %d 0 R /F 132 /P %d 0 R /Rect [%.2f %.2f %.2f %.2f] /AP << /N %d 0 R >> >>",
		pdfText("Digital signature of "+meta.issuer), sigN, pageN, ap.x, ap.y, ap.x+ap.w, ap.y+ap.h, apN))
	w.stream(fmt.Sprintf("/Type /XObject /Subtype /Form /BBox [0 0 %.2f %.2f] /Resources << /Font << %s>> >>", ap.w, ap.h, fonts.String()), ap.content)
	if w.next() != infoN {
		return nil, fmt.Errorf("pdf: object numbering")
	}
	w.obj(fmt.Sprintf("<< /Title %s /Subject %s /Author %s /%s %s /Producer (issuerkit) /CreationDate %s >>",
		pdfText(meta.title), pdfText(meta.uri), pdfText(meta.issuer), statusKey, pdfText(meta.status), pdfDate(meta.signed)))
	xref := w.b.Len()
	fmt.Fprintf(&w.b, "xref\n0 %d\n0000000000 65535 f \n", len(w.offs)+1)
	for _, o := range w.offs {
		fmt.Fprintf(&w.b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&w.b, "trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(w.offs)+1, infoN, xref)
	out := w.b.Bytes()
	if err := sig.sign(out, hole, meta.signed); err != nil {
		return nil, err
	}
	return out, nil
}

// writeFont writes a font's five objects from base: the Type0 font, its
// CIDFont, descriptor, subsetted file and ToUnicode CMap.
func (p *page) writeFont(w *pdfWriter, f *fontFile, base int) error {
	used := p.used[f]
	gids := make([]int, 0, len(used))
	set := make(map[uint16]bool, len(used))
	for g := range used {
		gids = append(gids, int(g))
		set[g] = true
	}
	sort.Ints(gids)
	sub, err := f.subset(set)
	if err != nil {
		return fmt.Errorf("pdf: font %s: %w", f.name, err)
	}
	name := fmt.Sprintf("ISSKIT+%s", f.name)
	face := p.face(f)
	var widths strings.Builder
	for _, g := range gids {
		fmt.Fprintf(&widths, "%d [%.0f] ", g, f.width(face, uint16(g)))
	}
	w.obj(fmt.Sprintf("<< /Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R >>",
		name, base+1, base+4))
	w.obj(fmt.Sprintf("<< /Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 500 /W [%s] >>",
		name, base+2, widths.String()))
	w.obj(fmt.Sprintf("<< /Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [-1000 -1000 2000 2000] /ItalicAngle 0 /Ascent %.0f /Descent %.0f /CapHeight %.0f /StemV 80 /FontFile2 %d 0 R >>",
		name, f.ascent, f.desc, f.ascent, base+3))
	w.stream("", sub)
	w.stream("", toUnicode(used, gids))
	return nil
}

// toUnicode is the CMap that maps each glyph back to the text it shows.
func toUnicode(used map[uint16]string, gids []int) []byte {
	var b bytes.Buffer
	b.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	var entries []string
	for _, g := range gids {
		if t := used[uint16(g)]; t != "" {
			entries = append(entries, fmt.Sprintf("<%04X> <%s>", g, utf16Hex(t)))
		}
	}
	for i := 0; i < len(entries); i += 100 {
		chunk := entries[i:min(len(entries), i+100)]
		fmt.Fprintf(&b, "%d beginbfchar\n%s\nendbfchar\n", len(chunk), strings.Join(chunk, "\n"))
	}
	b.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	return b.Bytes()
}
