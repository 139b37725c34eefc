package signer

import (
	"bytes"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

func goxmldsigC14N(t testing.TB, el *etree.Element) []byte {
	t.Helper()
	out, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(el.Copy())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestExcC14NMatchesGoxmldsig(t *testing.T) {
	doc := testDoc(t)
	root := doc.Root()
	before, _ := doc.WriteToString()
	fast, err := newExcC14N().Canonicalize(root)
	if err != nil {
		t.Fatal(err)
	}
	if want := goxmldsigC14N(t, root); !bytes.Equal(fast, want) {
		t.Fatalf("fast C14N differs:\n%s\nwant\n%s", fast, want)
	}
	if after, _ := doc.WriteToString(); after != before {
		t.Fatal("the fast path changed the document")
	}
	// Namespaced input takes goxmldsig's path and gives its output.
	ns := etree.NewDocument()
	ns.ReadFromString(`<a xmlns="urn:x" xmlns:p="urn:p"><p:b p:c="1" d="2"/><!-- gone --></a>`)
	got, err := newExcC14N().Canonicalize(ns.Root())
	if err != nil {
		t.Fatal(err)
	}
	if want := goxmldsigC14N(t, ns.Root()); !bytes.Equal(got, want) {
		t.Fatalf("namespaced: %s, want %s", got, want)
	}
}

// FuzzExcC14N builds namespace-free trees from fuzz input and checks the
// fast path against goxmldsig's canonicalizer byte for byte.
func FuzzExcC14N(f *testing.F) {
	f.Add("Certificate", "b", "x & <y> \"q\"\t\r\n", "text & <t> \r\n\t 'a'", uint8(3))
	f.Add("a", "zz", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, tag, attr, val, text string, n uint8) {
		ok := func(s string) bool {
			if s == "" || strings.ContainsAny(s, " \t\r\n<>&\"'=/:!?") || strings.HasPrefix(strings.ToLower(s), "xml") {
				return false
			}
			for _, r := range s {
				if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '_' || r >= '0' && r <= '9' && s[0] > '9') {
					return false
				}
			}
			return true
		}
		if !ok(tag) || !ok(attr) || !validText(val) || !validText(text) {
			return
		}
		root := etree.NewElement(tag)
		cur := root
		for i := range int(n % 6) {
			c := cur.CreateElement(tag + string(rune('a'+i)))
			c.CreateAttr(attr, val)
			c.CreateAttr("a"+attr, text)
			c.CreateAttr("Z", val+text)
			if i%2 == 0 {
				c.SetText(text)
			} else {
				c.CreateText(val)
				cur = c
			}
		}
		root.CreateAttr(attr, val)
		got, err := newExcC14N().Canonicalize(root)
		if err != nil {
			t.Fatal(err)
		}
		if want := goxmldsigC14N(t, root); !bytes.Equal(got, want) {
			t.Fatalf("fast C14N differs:\n%q\nwant\n%q", got, want)
		}
	})
}

func validText(s string) bool {
	for _, r := range s {
		if r == 0xFFFD || !(r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
			return false
		}
	}
	return true
}
