package api

import (
	"bytes"
	"encoding/base64"
	"sync"

	"github.com/beevik/etree"
)

// object is a verified document version in the form the API serves it,
// computed once per version: the base64 text of DataContent (or DocContent
// for a PDF) and, of a signed document, the holder as Pull URI's IssuedTo
// XML and the Certificate's name.
type object struct {
	b64    []byte
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

// raw decodes the document's bytes (for the JSON view and PDF rendering,
// which are rare next to XML).
func (o *object) raw() ([]byte, error) {
	return base64.StdEncoding.AppendDecode(nil, o.b64)
}

func (o *object) size() int { return len(o.b64) + len(o.issued) + len(o.name) + len(o.phone) }

// objectCache keeps objects by object key and SHA-256. Versions are
// write-once and every entry was checked against the catalog's hash, so an
// entry can never be stale: a new version has another key. Memory is
// bounded by maxBytes; when full, arbitrary entries make room.
type objectCache struct {
	mu       sync.Mutex
	m        map[objectID]*object
	size     int
	maxBytes int
}

// objectID is an object's key and SHA-256: a struct, so that a lookup
// builds no string.
type objectID struct{ key, sha string }

func newObjectCache(maxBytes int) *objectCache {
	return &objectCache{m: map[objectID]*object{}, maxBytes: maxBytes}
}

func (c *objectCache) get(key, sha string) (*object, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	o, ok := c.m[objectID{key, sha}]
	return o, ok
}

func (c *objectCache) put(key, sha string, o *object) {
	n := o.size()
	if n > c.maxBytes/16 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := objectID{key, sha}
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
