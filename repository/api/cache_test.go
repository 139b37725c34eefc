package api

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestObjectCache(t *testing.T) {
	c := newObjectCache(4 << 10) // objects up to 256 bytes are kept
	sha := func(i int) string { return fmt.Sprintf("%064x", i) }
	raw := bytes.Repeat([]byte("<Certificate/>"), 5)
	obj := newObject(raw)
	obj.issued = []byte("<IssuedTo/>")
	c.put(signedXML, sha(1), obj)
	o, ok := c.get(signedXML, sha(1))
	if !ok {
		t.Fatal("a cached object is not found")
	}
	if got, err := o.raw(); err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("raw() = %q, %v; want the document back", got, err)
	}
	if string(o.issued) != "<IssuedTo/>" {
		t.Fatalf("issued = %q", o.issued)
	}
	if _, ok := c.get(signedXML, sha(2)); ok {
		t.Fatal("an object is found under another hash")
	}
	if _, ok := c.get(renderedPDF, sha(1)); ok {
		t.Fatal("the document is found as its PDF")
	}
	c.put(signedXML, "not a hash", newObject(raw))
	if _, ok := c.get(signedXML, "not a hash"); ok || len(c.m) != 1 {
		t.Fatal("an object was cached under something that is not a SHA-256")
	}
	c.put(signedXML, sha(3), newObject(make([]byte, 300))) // over maxBytes/16: not cached
	if _, ok := c.get(signedXML, sha(3)); ok {
		t.Fatal("an oversized object was cached")
	}
	for i := range 200 {
		c.put(signedXML, sha(100+i), newObject(make([]byte, 60)))
		if c.size > c.maxBytes {
			t.Fatalf("cache holds %d bytes, more than its %d", c.size, c.maxBytes)
		}
	}
	total := 0
	for _, o := range c.m {
		total += o.size()
	}
	if total != c.size {
		t.Fatalf("size %d, entries hold %d", c.size, total)
	}
}

func TestCertificateName(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`<?xml version="1.0" encoding="UTF-8"?><Certificate language="99" name="Class X Marksheet &amp; Grades" type="SSCER"><IssuedTo/></Certificate>`, "Class X Marksheet & Grades"},
		{`<Certificate name="x"/>`, "x"},
		{`<Certificate/>`, ""},
		{`<Certificate name="broken`, ""},
		{`<Certificate type="SSCER" note="marks > 90" name="Grade &gt; A"><IssuedTo/></Certificate>`, "Grade > A"},
		{`<cert:Certificate xmlns:cert="urn:x" name="prefixed"/>`, "prefixed"},
	} {
		raw := []byte(tc.doc)
		if got := certificateName(raw); got != tc.want {
			t.Errorf("certificateName(%s) = %q, want %q", tc.doc, got, tc.want)
		}
		if string(raw) != tc.doc {
			t.Fatalf("certificateName changed the document: %s", raw)
		}
	}
}

func TestIssuedTo(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`<Certificate><IssuedTo><Person name="Asha &amp; Co" dob="01-02-2008" gender="F" phone="" uid="x"/></IssuedTo></Certificate>`,
			`<IssuedTo><Persons><Person name="Asha &amp; Co" dob="01-02-2008" gender="Female" phone=""/></Persons></IssuedTo>`},
		{`<Certificate><IssuedTo><Person name="A" dob="01-02-2008" gender="M" phone="1"/></IssuedTo></Certificate>`,
			`<IssuedTo><Persons><Person name="A" dob="01-02-2008" gender="Male" phone="1"/></Persons></IssuedTo>`},
		{`<Certificate><IssuedTo><Person name="A" dob="01-02-2008" gender="T" phone="1"/></IssuedTo></Certificate>`,
			`<IssuedTo><Persons><Person name="A" dob="01-02-2008" gender="Transgender" phone="1"/></Persons></IssuedTo>`},
		{`<Certificate><IssuedTo><Person name="Ravi" dob="03-04-2007"><Photo/></Person></IssuedTo></Certificate>`,
			`<IssuedTo><Persons><Person name="Ravi" dob="03-04-2007" gender="" phone=""/></Persons></IssuedTo>`},
		// A '>' inside a value, as canonical attribute values keep it.
		{`<Certificate><IssuedTo><Person name="A" dob="01-02-2008" gender="F" phone="9" motherName="A>B" fatherName='C>D'/></IssuedTo></Certificate>`,
			`<IssuedTo><Persons><Person name="A" dob="01-02-2008" gender="Female" phone="9"/></Persons></IssuedTo>`},
		{`<Certificate/>`, ``},
		{`<Certificate><IssuedTo><Person name="broken</IssuedTo></Certificate>`, ``},
	} {
		if got := string(issuedTo(personTag([]byte(tc.doc)))); got != tc.want {
			t.Errorf("issuedTo(%s)\n got %s\nwant %s", tc.doc, got, tc.want)
		}
	}
}

// TestKeptDecoded: the certificate API's forms are made once a version and
// then served from the cache, apart from each other and from the base64
// objects Pull URI serves under the same hash.
func TestKeptDecoded(t *testing.T) {
	s := &Server{objects: newObjectCache(1 << 20)}
	sha := fmt.Sprintf("%064x", 7)
	builds := 0
	build := func(b string) func() ([]byte, error) {
		return func() ([]byte, error) { builds++; return []byte(b), nil }
	}
	for range 3 {
		if got, err := s.keptDecoded(plainXML, sha, build("<Certificate/>")); err != nil || string(got) != "<Certificate/>" {
			t.Fatalf("XML = %q, %v", got, err)
		}
	}
	if got, _ := s.keptDecoded(plainJSON, sha, build(`{"Certificate":{}}`)); string(got) != `{"Certificate":{}}` {
		t.Fatalf("JSON = %q: the XML's kept form answered for it", got)
	}
	if builds != 2 {
		t.Fatalf("%d builds for two forms asked five times, want 2", builds)
	}
	if _, ok := s.objects.get(signedXML, sha); ok {
		t.Fatal("a decoded form is found as the base64 document")
	}
	fail := errors.New("store down")
	if _, err := s.keptDecoded(plainPDF, sha, func() ([]byte, error) { return nil, fail }); !errors.Is(err, fail) {
		t.Fatalf("err = %v, want the build's", err)
	}
	if _, ok := s.objects.get(plainPDF, sha); ok {
		t.Fatal("a failed build was kept")
	}
}
