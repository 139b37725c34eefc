package locker

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// ErrUnsigned is wrapped by signedOnly's error: the document carries
// content its signature does not cover.
var ErrUnsigned = errors.New("document carries content its signature does not cover")

// signedOnly returns what of data, a document whose signature verified,
// the signature covers: its root element, byte for byte as the issuer sent
// it, after a fixed XML declaration. An enveloped XML-DSig signature over
// exclusive c14n without comments covers the root element (processing
// instructions inside it too) but no comment anywhere and nothing outside
// the root, so a comment or processing instruction around the root is
// dropped and a comment inside it refuses the document: it could say
// anything and would still "verify".
func signedOnly(data []byte) ([]byte, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	depth := 0
	var start, end int64 = -1, -1
	for {
		before := dec.InputOffset()
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrUnsigned, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 && start >= 0 {
				return nil, fmt.Errorf("%w: a second root element", ErrUnsigned)
			}
			if depth == 0 {
				start = before
			}
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				end = dec.InputOffset()
			}
		case xml.Comment:
			if depth > 0 {
				return nil, fmt.Errorf("%w: a comment inside the document", ErrUnsigned)
			}
		case xml.ProcInst:
			if t.Target == "xml" && !strings.Contains(strings.ToLower(string(t.Inst)), "utf-8") && bytes.Contains(t.Inst, []byte("encoding")) {
				return nil, fmt.Errorf("%w: an XML declaration with an encoding other than UTF-8", ErrUnsigned)
			}
		case xml.Directive:
			return nil, fmt.Errorf("%w: a DTD or other directive", ErrUnsigned)
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return nil, fmt.Errorf("%w: text outside the root element", ErrUnsigned)
			}
		}
	}
	if start < 0 || end < 0 {
		return nil, fmt.Errorf("%w: no root element", ErrUnsigned)
	}
	out := make([]byte, 0, len(xml.Header)+int(end-start))
	out = append(out, xml.Header...)
	return append(out, data[start:end]...), nil
}
