package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"sync"

	"github.com/beevik/etree"
)

// object is a verified document version in a form the API serves it,
// computed once per version: for Pull URI, the base64 text of DataContent
// (or DocContent for a PDF) and, of a signed document, the holder as Pull
// URI's IssuedTo XML and the Certificate's name; for the certificate API,
// the bytes themselves (plain).
type object struct {
	b64    []byte
	plain  []byte // the bytes themselves, for the kinds kept decoded (see keptDecoded)
	issued []byte
	name   string // the Certificate's name attribute, for /verify
	phone  string // the holder's Person/@phone, for the certificate API's MOBILE consents
}

// newObject keeps raw bytes (a PDF) as the API serves them.
func newObject(raw []byte) *object {
	b := make([]byte, base64.StdEncoding.EncodedLen(len(raw)))
	base64.StdEncoding.Encode(b, raw)
	return &object{b64: b}
}

// newDocument keeps a signed document with what replies take from it.
func newDocument(data []byte) *object {
	o := newObject(data)
	p := personTag(data)
	o.issued, o.name = issuedTo(p), certificateName(data)
	if p != nil {
		o.phone = p.SelectAttrValue("phone", "")
	}
	return o
}

// certificateName is the name attribute of the root Certificate element,
// or "". It parses only the root's start tag when it can (a document is
// read once per cache miss, on the pull path), and the whole document when
// that tag does not stand alone (a '>' inside an attribute value).
func certificateName(raw []byte) string {
	if i := bytes.Index(raw, []byte("<Certificate ")); i >= 0 {
		if j := bytes.IndexByte(raw[i:], '>'); j >= 0 {
			tag := append(append([]byte(nil), bytes.TrimSuffix(raw[i:i+j], []byte("/"))...), "/>"...) // a copy: raw is the document
			if name, ok := rootName(tag); ok {
				return name
			}
		}
	}
	name, _ := rootName(raw)
	return name
}

func rootName(b []byte) (string, bool) {
	doc := etree.NewDocument()
	if doc.ReadFromBytes(b) != nil || doc.Root() == nil {
		return "", false
	}
	return doc.Root().SelectAttrValue("name", ""), true
}

// raw decodes the document's bytes from the base64 (once a version for
// the certificate API's kept forms, and for PDF rendering).
func (o *object) raw() ([]byte, error) {
	return base64.StdEncoding.AppendDecode(nil, o.b64)
}

func (o *object) size() int {
	return len(o.b64) + len(o.plain) + len(o.issued) + len(o.name) + len(o.phone)
}

// objectCache keeps objects by kind and SHA-256: content-addressed, as
// every entry was checked against the catalog's hash, so an entry can
// never be stale (a new version has another hash). Memory is bounded by
// maxBytes; when full, arbitrary entries make room.
type objectCache struct {
	mu       sync.Mutex
	m        map[objectID]*object
	size     int
	maxBytes int
}

// objectKind tells apart the forms of one document version, which share
// its hash.
type objectKind uint8

const (
	signedXML   objectKind = iota // base64, with what Pull URI replies take from it
	renderedPDF                   // base64
	// The forms the certificate API serves, kept decoded: the signed
	// document, its PDF, and its JSON view.
	plainXML
	plainPDF
	plainJSON
)

// objectID is an object's kind and SHA-256, held in the map's own slots: a
// lookup follows no pointer to compare keys (on a busy server the cache is
// mostly out of the CPU's caches, and each pointer is a miss).
type objectID struct {
	kind objectKind
	sha  [sha256.Size]byte
}

// idOf is the objectID of a hex SHA-256; ok is false for anything else,
// which is never cached.
func idOf(kind objectKind, sha string) (id objectID, ok bool) {
	id.kind = kind
	if len(sha) != 2*sha256.Size {
		return id, false
	}
	_, err := hex.Decode(id.sha[:], []byte(sha))
	return id, err == nil
}

func newObjectCache(maxBytes int) *objectCache {
	return &objectCache{m: map[objectID]*object{}, maxBytes: maxBytes}
}

func (c *objectCache) get(kind objectKind, sha string) (*object, bool) {
	k, ok := idOf(kind, sha)
	if !ok {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.m[k]
	return o, ok
}

func (c *objectCache) put(kind objectKind, sha string, o *object) {
	n := o.size()
	k, ok := idOf(kind, sha)
	if n > c.maxBytes/16 || !ok {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok {
		return
	}
	for c.size+n > c.maxBytes && len(c.m) > 0 {
		for victim, vo := range c.m { // map order is random enough
			delete(c.m, victim)
			c.size -= vo.size()
			break
		}
	}
	c.m[k] = o
	c.size += n
}
