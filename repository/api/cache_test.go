package api

import (
	"fmt"
	"testing"
)

func TestObjectCache(t *testing.T) {
	c := newObjectCache(4 << 10) // objects up to 256 bytes are kept
	c.put("a/v1.xml", "h1", make([]byte, 100))
	if b, ok := c.get("a/v1.xml", "h1"); !ok || len(b) != 100 {
		t.Fatal("a cached object is not found")
	}
	if _, ok := c.get("a/v1.xml", "h2"); ok {
		t.Fatal("an object is found under another hash")
	}
	c.put("big", "h", make([]byte, 300)) // over maxBytes/16: not cached
	if _, ok := c.get("big", "h"); ok {
		t.Fatal("an oversized object was cached")
	}
	for i := range 200 {
		c.put(fmt.Sprintf("k%d", i), "h", make([]byte, 60))
		if c.size > c.maxBytes {
			t.Fatalf("cache holds %d bytes, more than its %d", c.size, c.maxBytes)
		}
	}
	total := 0
	for _, b := range c.m {
		total += len(b)
	}
	if total != c.size {
		t.Fatalf("size %d, entries hold %d", c.size, total)
	}
}
