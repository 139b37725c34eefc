package docpdf

import (
	"bytes"
	"embed"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/go-text/typesetting/font"
)

// fontFile is one TrueType font: its bytes, for embedding, and its parsed
// form, for shaping and metrics.
type fontFile struct {
	name   string // PostScript-ish name for the PDF
	data   []byte
	font   *font.Font
	upem   float64
	ascent float64 // in 1/1000 em
	desc   float64
	tables map[string][]byte
}

// FontSet is the four faces a document uses: Latin and Devanagari, regular
// and bold.
type FontSet struct {
	Latin, LatinBold, Deva, DevaBold *fontFile
}

// The fonts every binary carries: Noto Sans and Noto Sans Devanagari,
// regular and bold (SIL Open Font License 1.1, fonts/OFL.txt), so a PDF
// renders on a machine without system fonts. About 1.5 MB.
//
//go:embed fonts/*.ttf fonts/OFL.txt
var embedded embed.FS

var fontFiles = [4]string{"NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"}

var (
	embeddedOnce  sync.Once
	embeddedFonts *FontSet
	embeddedErr   error
)

// LoadFonts loads the four faces from dir, or returns the embedded Noto
// fonts when dir is empty (parsed once per process). A dir must hold the
// same four file names (NotoSans-Regular.ttf, NotoSans-Bold.ttf,
// NotoSansDevanagari-Regular.ttf, NotoSansDevanagari-Bold.ttf), TrueType
// outlines, such as Debian's /usr/share/fonts/truetype/noto.
func LoadFonts(dir string) (*FontSet, error) {
	if dir == "" {
		embeddedOnce.Do(func() {
			embeddedFonts, embeddedErr = loadFonts(func(n string) ([]byte, error) { return embedded.ReadFile("fonts/" + n) }, "embedded")
		})
		return embeddedFonts, embeddedErr
	}
	return loadFonts(func(n string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, n)) }, dir)
}

func loadFonts(read func(name string) ([]byte, error), from string) (*FontSet, error) {
	var fs [4]*fontFile
	for i, n := range fontFiles {
		b, err := read(n)
		if err != nil {
			return nil, fmt.Errorf("PDF fonts: %w (pdf.font_dir must hold %s)", err, n)
		}
		f, err := parseFont(n[:len(n)-4], b)
		if err != nil {
			return nil, fmt.Errorf("PDF fonts: %s in %s: %w", n, from, err)
		}
		fs[i] = f
	}
	return &FontSet{fs[0], fs[1], fs[2], fs[3]}, nil
}

func parseFont(name string, b []byte) (*fontFile, error) {
	face, err := font.ParseTTF(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	tables, err := readTables(b)
	if err != nil {
		return nil, err
	}
	for _, t := range []string{"head", "hhea", "hmtx", "maxp", "loca", "glyf"} {
		if tables[t] == nil {
			return nil, fmt.Errorf("no %s table (a TrueType-outline font is needed)", t)
		}
	}
	f := &fontFile{name: name, data: b, font: face.Font, upem: float64(face.Upem()), tables: tables}
	if ext, ok := face.FontHExtents(); ok {
		f.ascent = float64(ext.Ascender) * 1000 / f.upem
		f.desc = float64(ext.Descender) * 1000 / f.upem
	}
	return f, nil
}

// width returns a glyph's advance in 1/1000 em.
func (f *fontFile) width(face *font.Face, gid uint16) float64 {
	return float64(face.HorizontalAdvance(font.GID(gid))) * 1000 / f.upem
}

func readTables(b []byte) (map[string][]byte, error) {
	if len(b) < 12 {
		return nil, errors.New("too short for a font")
	}
	n := int(binary.BigEndian.Uint16(b[4:]))
	if len(b) < 12+16*n {
		return nil, errors.New("truncated table directory")
	}
	t := make(map[string][]byte, n)
	for i := range n {
		rec := b[12+16*i:]
		off, l := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
		if uint64(off)+uint64(l) > uint64(len(b)) {
			return nil, fmt.Errorf("table %q out of bounds", rec[:4])
		}
		t[string(rec[:4])] = b[off : off+l]
	}
	return t, nil
}

// subset returns a TrueType font with only the glyphs in used (and the
// components of composite glyphs) keeping their outlines, at their
// original IDs, so the document can address glyphs by ID directly
// (CIDToGIDMap /Identity). Tables a PDF does not need (layout, names,
// cmap) are left out.
func (f *fontFile) subset(used map[uint16]bool) ([]byte, error) {
	head, loca, glyf := f.tables["head"], f.tables["loca"], f.tables["glyf"]
	if len(head) < 54 {
		return nil, errors.New("short head table")
	}
	numGlyphs := int(binary.BigEndian.Uint16(f.tables["maxp"][4:]))
	long := binary.BigEndian.Uint16(head[50:]) == 1
	offset := func(i int) (int, int) {
		if long {
			return int(binary.BigEndian.Uint32(loca[4*i:])), int(binary.BigEndian.Uint32(loca[4*i+4:]))
		}
		return 2 * int(binary.BigEndian.Uint16(loca[2*i:])), 2 * int(binary.BigEndian.Uint16(loca[2*i+2:]))
	}
	keep := map[int]bool{0: true}
	var add func(g int) error
	add = func(g int) error {
		if g >= numGlyphs || keep[g] && g != 0 {
			return nil
		}
		keep[g] = true
		s, e := offset(g)
		if e <= s || e > len(glyf) {
			return nil
		}
		d := glyf[s:e]
		if int16(binary.BigEndian.Uint16(d)) >= 0 {
			return nil
		}
		for p := 10; p+4 <= len(d); {
			flags := binary.BigEndian.Uint16(d[p:])
			if err := add(int(binary.BigEndian.Uint16(d[p+2:]))); err != nil {
				return err
			}
			p += 4
			if flags&0x0001 != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&0x0008 != 0:
				p += 2
			case flags&0x0040 != 0:
				p += 4
			case flags&0x0080 != 0:
				p += 8
			}
			if flags&0x0020 == 0 {
				break
			}
		}
		return nil
	}
	for g := range used {
		if err := add(int(g)); err != nil {
			return nil, err
		}
	}
	add(0)
	var newGlyf bytes.Buffer
	newLoca := make([]byte, 4*(numGlyphs+1))
	for g := range numGlyphs {
		binary.BigEndian.PutUint32(newLoca[4*g:], uint32(newGlyf.Len()))
		if keep[g] {
			s, e := offset(g)
			if e > s && e <= len(glyf) {
				newGlyf.Write(glyf[s:e])
				for newGlyf.Len()%4 != 0 {
					newGlyf.WriteByte(0)
				}
			}
		}
	}
	binary.BigEndian.PutUint32(newLoca[4*numGlyphs:], uint32(newGlyf.Len()))
	newHead := append([]byte(nil), head...)
	binary.BigEndian.PutUint16(newHead[50:], 1) // long loca
	binary.BigEndian.PutUint32(newHead[8:], 0)  // checkSumAdjustment
	out := map[string][]byte{"head": newHead, "loca": newLoca, "glyf": newGlyf.Bytes()}
	for _, t := range []string{"hhea", "hmtx", "maxp", "cvt ", "fpgm", "prep"} {
		if d := f.tables[t]; d != nil {
			out[t] = d
		}
	}
	return writeFont(out), nil
}

// writeFont lays out a TrueType file from its tables.
func writeFont(tables map[string][]byte) []byte {
	tags := make([]string, 0, len(tables))
	for t := range tables {
		tags = append(tags, t)
	}
	sort.Strings(tags)
	n := len(tags)
	var b bytes.Buffer
	hdr := make([]byte, 12)
	binary.BigEndian.PutUint32(hdr, 0x00010000)
	binary.BigEndian.PutUint16(hdr[4:], uint16(n))
	es := 0
	for 1<<(es+1) <= n {
		es++
	}
	binary.BigEndian.PutUint16(hdr[6:], uint16(16<<es))
	binary.BigEndian.PutUint16(hdr[8:], uint16(es))
	binary.BigEndian.PutUint16(hdr[10:], uint16(16*n-16<<es))
	b.Write(hdr)
	off := 12 + 16*n
	dir := make([]byte, 16*n)
	for i, t := range tags {
		d := tables[t]
		copy(dir[16*i:], t)
		binary.BigEndian.PutUint32(dir[16*i+4:], checksum(d))
		binary.BigEndian.PutUint32(dir[16*i+8:], uint32(off))
		binary.BigEndian.PutUint32(dir[16*i+12:], uint32(len(d)))
		off += (len(d) + 3) &^ 3
	}
	b.Write(dir)
	for _, t := range tags {
		d := tables[t]
		b.Write(d)
		for i := len(d); i%4 != 0; i++ {
			b.WriteByte(0)
		}
	}
	return b.Bytes()
}

func checksum(d []byte) uint32 {
	var s uint32
	for i := 0; i < len(d); i += 4 {
		var w [4]byte
		copy(w[:], d[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}
