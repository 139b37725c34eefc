package xmlschema

import (
	"encoding/xml"
	"strings"
	"sync"
	"unicode/utf8"
)

// The plain scanner reads a wire message of the plain shape nearly every
// real one has — an optional standard XML declaration, then elements with
// ASCII names (one optional prefix), quoted attributes and text that use at
// most the five predefined entities and character references — in one pass over the bytes, without
// encoding/xml's per-token allocations. It is a fast path, not a parser:
// on anything else (a comment, CDATA, a literal carriage return, a DOCTYPE, a processing instruction, a mismatched or missing end
// tag, a limit reached, non-ASCII names…) it gives up, and walk reads the
// message with encoding/xml, whose answer (or error) then stands. So the
// scanner never has to reject anything correctly; it only has to accept
// nothing that encoding/xml would read differently, which FuzzPlainScan
// checks against encoding/xml.

// plainElem is one element the scanner read.
type plainElem struct {
	parent       int // index in plainDoc.elems; -1 for the root
	depth        int
	space, local string
	attrs        []xml.Attr // kept for depth ≤ 3, as walk does
	text         string     // its own character data, decoded
}

// plainDoc is a scanned message: its elements in start order, and the
// depth ≤ 3 ones in the order they closed (the order walk reports them).
type plainDoc struct {
	elems  []plainElem
	closed []int
	attrs  []xml.Attr // backs the elements' attrs
}

// plainDocs recycles the slices of scanned messages: a server parses one
// per request, and nothing of them outlives the walk (the callers copy the
// strings out).
var plainDocs = sync.Pool{New: func() any {
	return &plainDoc{elems: make([]plainElem, 0, 16), closed: make([]int, 0, 16), attrs: make([]xml.Attr, 0, 16)}
}}

// release gives doc back to plainDocs, dropping what its slices point to;
// doc is not used after. A nil doc is fine.
func (doc *plainDoc) release() {
	if doc == nil {
		return
	}
	clear(doc.elems)
	clear(doc.attrs)
	doc.elems, doc.closed, doc.attrs = doc.elems[:0], doc.closed[:0], doc.attrs[:0]
	plainDocs.Put(doc)
}

// plainDecls are the XML declarations the scanner accepts; any other goes
// to encoding/xml, which checks its version and encoding.
var plainDecls = []string{
	`<?xml version="1.0" encoding="UTF-8"?>`,
	`<?xml version="1.0" encoding="utf-8"?>`,
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`,
	`<?xml version="1.0" encoding="UTF-8" standalone="no"?>`,
	`<?xml version="1.0"?>`,
	`<?xml version='1.0' encoding='UTF-8'?>`,
}

// scanPlain scans body; ok is false when body is not of the plain shape or
// reaches a limit (maxText bytes of one element's text, maxDepth,
// maxElements). The names and values it returns share one copy of body.
// The doc comes from plainDocs (or is nil), also when ok is false:
// release it.
func scanPlain(b []byte, maxText int) (doc *plainDoc, ok bool) {
	body := string(b)
	i := 0
	if strings.HasPrefix(body, "<?") {
		for _, d := range plainDecls {
			if strings.HasPrefix(body, d) {
				i = len(d)
				break
			}
		}
		if i == 0 {
			return doc, false
		}
	}
	doc = plainDocs.Get().(*plainDoc)
	var stackBuf [maxDepth]int
	stack := stackBuf[:0]
	n := len(body)
	for i < n {
		if body[i] != '<' {
			j := strings.IndexByte(body[i:], '<')
			if j < 0 {
				j = n
			} else {
				j += i
			}
			seg := body[i:j]
			i = j
			if len(stack) == 0 {
				if !plainSpace(seg) {
					return doc, false
				}
				continue
			}
			text, ok := plainText(seg, false)
			if !ok {
				return doc, false
			}
			if e := &doc.elems[stack[len(stack)-1]]; e.depth <= 3 {
				if len(e.text)+len(text) > maxText {
					return doc, false
				}
				e.text += text // one segment, the usual case, costs no copy
			}
			continue
		}
		if i+1 >= n {
			return doc, false
		}
		switch body[i+1] {
		case '/':
			space, local, k, ok := plainName(body, i+2)
			if !ok {
				return doc, false
			}
			k = plainSkipSpace(body, k)
			if k >= n || body[k] != '>' || len(stack) == 0 {
				return doc, false
			}
			top := stack[len(stack)-1]
			if e := &doc.elems[top]; e.local != local || e.space != space {
				return doc, false
			} else if e.depth <= 3 {
				doc.closed = append(doc.closed, top)
			}
			stack = stack[:len(stack)-1]
			i = k + 1
		case '?', '!':
			return doc, false
		default:
			if len(stack) == 0 && len(doc.elems) > 0 {
				return doc, false // a second root
			}
			space, local, k, ok := plainName(body, i+1)
			depth := len(stack) + 1
			if !ok || depth > maxDepth || len(doc.elems) >= maxElements {
				return doc, false
			}
			e := plainElem{parent: -1, depth: depth, space: space, local: local}
			if len(stack) > 0 {
				e.parent = stack[len(stack)-1]
			}
			empty := false
			firstAttr := len(doc.attrs)
		attrs:
			for {
				k = plainSkipSpace(body, k)
				if k >= n {
					return doc, false
				}
				switch body[k] {
				case '>':
					k++
					break attrs
				case '/':
					if k+1 >= n || body[k+1] != '>' {
						return doc, false
					}
					k, empty = k+2, true
					break attrs
				}
				aspace, alocal, k2, ok := plainName(body, k)
				if !ok {
					return doc, false
				}
				k = plainSkipSpace(body, k2)
				if k >= n || body[k] != '=' {
					return doc, false
				}
				k = plainSkipSpace(body, k+1)
				if k >= n || (body[k] != '"' && body[k] != '\'') {
					return doc, false
				}
				end := strings.IndexByte(body[k+1:], body[k])
				if end < 0 {
					return doc, false
				}
				raw := body[k+1 : k+1+end]
				k += end + 2
				if strings.IndexByte(raw, '<') >= 0 {
					return doc, false
				}
				val, ok := plainText(raw, true)
				if !ok {
					return doc, false
				}
				if depth <= 3 {
					doc.attrs = append(doc.attrs, xml.Attr{Name: xml.Name{Space: aspace, Local: alocal}, Value: val})
				}
			}
			if n := len(doc.attrs); n > firstAttr {
				e.attrs = doc.attrs[firstAttr:n:n]
			}
			doc.elems = append(doc.elems, e)
			idx := len(doc.elems) - 1
			switch {
			case !empty:
				stack = append(stack, idx)
			case depth <= 3:
				doc.closed = append(doc.closed, idx)
			}
			i = k
		}
	}
	if len(doc.elems) == 0 || len(stack) != 0 {
		return doc, false
	}
	return doc, true
}

// plainName reads a name at body[i:]: ASCII letters, digits, '_', '.', '-'
// (not first), with at most one prefix. It returns the prefix (or ""),
// the local name and the index after the name.
func plainName(body string, i int) (space, local string, next int, ok bool) {
	part := func(i int) int {
		if i >= len(body) || !(isASCIILetter(body[i]) || body[i] == '_') {
			return -1
		}
		j := i + 1
		for j < len(body) && (isASCIILetter(body[j]) || body[j] == '_' || body[j] == '.' || body[j] == '-' || '0' <= body[j] && body[j] <= '9') {
			j++
		}
		return j
	}
	j := part(i)
	if j < 0 {
		return "", "", 0, false
	}
	if j < len(body) && body[j] == ':' {
		k := part(j + 1)
		if k < 0 {
			return "", "", 0, false
		}
		space, local, j = body[i:j], body[j+1:k], k
	} else {
		local = body[i:j]
	}
	// A name continued by a byte encoding/xml would read as part of it
	// (a second colon, a non-ASCII letter) is not plain.
	if j < len(body) && (body[j] == ':' || body[j] >= utf8.RuneSelf) {
		return "", "", 0, false
	}
	return space, local, j, true
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func plainSkipSpace(body string, i int) int {
	for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' || body[i] == '\r') {
		i++
	}
	return i
}

// plainSpace reports whether seg is only spaces, tabs and newlines.
func plainSpace(seg string) bool {
	for _, c := range []byte(seg) {
		if c != ' ' && c != '\t' && c != '\n' {
			return false
		}
	}
	return true
}

// plainText decodes character data or an attribute value: the five
// predefined entities, character references, and characters XML allows.
// A literal carriage return (which XML rewrites), any other entity or
// "]]>" in text is not plain. The result aliases seg when there was nothing to
// decode.
func plainText(seg string, inAttr bool) (string, bool) {
	amp := false
	for i := 0; i < len(seg); {
		c := seg[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '&':
				amp = true
			case c == '\r':
				return "", false
			case c < 0x20 && c != '\t' && c != '\n':
				return "", false
			case c == '>' && !inAttr && i >= 2 && seg[i-1] == ']' && seg[i-2] == ']':
				return "", false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(seg[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			return "", false
		}
		i += size
	}
	if !amp {
		return seg, true
	}
	out := make([]byte, 0, len(seg))
	for i := 0; i < len(seg); {
		if seg[i] != '&' {
			j := strings.IndexByte(seg[i:], '&')
			if j < 0 {
				j = len(seg) - i
			}
			out = append(out, seg[i:i+j]...)
			i += j
			continue
		}
		semi := strings.IndexByte(seg[i:], ';')
		if semi < 0 {
			return "", false
		}
		if seg[i+1] == '#' {
			r, ok := plainCharRef(seg[i+2 : i+semi])
			if !ok {
				return "", false
			}
			out = utf8.AppendRune(out, r)
			i += semi + 1
			continue
		}
		switch seg[i+1 : i+semi] {
		case "amp":
			out = append(out, '&')
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			return "", false
		}
		i += semi + 1
	}
	return string(out), true
}

// plainCharRef reads the digits of a character reference (&#65; or
// &#x41;, the form xml.EscapeText writes for quotes, tabs and newlines).
// References to characters XML does not allow are not plain.
func plainCharRef(ref string) (rune, bool) {
	base := 10
	if len(ref) > 0 && ref[0] == 'x' {
		base, ref = 16, ref[1:]
	}
	if len(ref) == 0 || len(ref) > 8 {
		return 0, false
	}
	var v rune
	for _, c := range []byte(ref) {
		var d rune
		switch {
		case '0' <= c && c <= '9':
			d = rune(c - '0')
		case base == 16 && 'a' <= c && c <= 'f':
			d = rune(c-'a') + 10
		case base == 16 && 'A' <= c && c <= 'F':
			d = rune(c-'A') + 10
		default:
			return 0, false
		}
		v = v*rune(base) + d
	}
	if !isXMLChar(v) && v != '\r' {
		return 0, false
	}
	return v, true
}

// isXMLChar is XML's Char production less the carriage return, which the
// scanner does not handle.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
