package xmlschema

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// walked is everything walk reports of a message, for comparing the plain
// scanner with encoding/xml.
type walked struct {
	root  string
	elems []string
}

func collect(walker func([]byte, func(string) error, int, func(element) error) error, body []byte, maxText int) (walked, error) {
	var w walked
	err := walker(body, func(name string) error { w.root = name; return nil }, maxText, func(e element) error {
		var attrs []string
		for _, a := range e.attrs {
			attrs = append(attrs, fmt.Sprintf("%s:%s=%q", a.Name.Space, a.Name.Local, a.Value))
		}
		w.elems = append(w.elems, fmt.Sprintf("%d %s [%s] %q", e.depth, strings.Join(e.path, "/"), strings.Join(attrs, " "), e.text))
		return nil
	})
	return w, err
}

// plainSamples are messages of the plain shape, as lockers, the pusher and
// the API write them.
var plainSamples = []string{
	vecBody,
	`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<ns2:PullURIRequest xmlns:ns2="http://tempuri.org/" ver="1.0" ts="2025-06-01T10:00:00+05:30" txn="9" orgId="in.gov.locker" format='both'>
  <ns2:DocDetails>
    <ns2:DocType>SSCER</ns2:DocType>
    <ns2:FullName>Anita D&#39;Souza &amp; Co</ns2:FullName>
    <ns2:DOB>11-12-2009</ns2:DOB>
    <ns2:RollNo>7500003</ns2:RollNo><ns2:Year>2025</ns2:Year>
    <ns2:Photo/>
  </ns2:DocDetails>
</ns2:PullURIRequest>
`,
	`<PullURIRequest ver="1.0"><DocDetails><FullName>मीरा नायर</FullName><x a="1"><y b="2">deep</y></x></DocDetails></PullURIRequest>`,
	xml.Header + `<PullURIResponse xmlns:ns2="http://tempuri.org/"><ResponseStatus Status="1" ts="t" txn="&#34;x&#34;">1</ResponseStatus><DocDetails><IssuedTo><Persons><Person name="A &amp; B" dob="01-01-2000" gender="F" phone=""/></Persons></IssuedTo><URI>in.gov.cbse-SSCER-1</URI><DataContent>PENlcnRpZmljYXRlLz4=</DataContent></DocDetails></PullURIResponse>`,
}

// TestPlainScanTaken: the messages real peers send take the fast path, and
// it reports them exactly as encoding/xml does.
func TestPlainScanTaken(t *testing.T) {
	var push bytes.Buffer
	p := samplePush()
	AppendPushRequest(&push, "in.gov.cbse", "2025-05-15T14:03:04+05:30", "tx<1>\n'", "k", &p)
	for i, body := range append(slices.Clone(plainSamples), push.String()) {
		if _, ok := scanPlain([]byte(body), maxFieldBytes); !ok {
			t.Errorf("sample %d does not take the fast path:\n%s", i, body)
			continue
		}
		fast, err1 := collect(walk, []byte(body), maxFieldBytes)
		slow, err2 := collect(walkTokens, []byte(body), maxFieldBytes)
		if err1 != nil || err2 != nil || !slices.Equal(fast.elems, slow.elems) || fast.root != slow.root {
			t.Errorf("sample %d: fast %v %v\nslow %v %v", i, fast, err1, slow, err2)
		}
	}
}

// TestPlainScanDeclines: what the fast path leaves to encoding/xml, which
// accepts or refuses it.
func TestPlainScanDeclines(t *testing.T) {
	for name, body := range map[string]string{
		"comment":        `<PullURIRequest><!-- c --></PullURIRequest>`,
		"cdata":          `<PullURIRequest><DocDetails><A><![CDATA[x]]></A></DocDetails></PullURIRequest>`,
		"doctype":        `<!DOCTYPE x [<!ENTITY e "boom">]><PullURIRequest/>`,
		"entity":         `<PullURIRequest><DocDetails><A>&e;</A></DocDetails></PullURIRequest>`,
		"pi":             `<PullURIRequest><?php x?></PullURIRequest>`,
		"other decl":     `<?xml version="1.1"?><PullURIRequest/>`,
		"carriage ret":   "<PullURIRequest>\r\n</PullURIRequest>",
		"mismatched":     `<PullURIRequest><A></B></PullURIRequest>`,
		"unclosed":       `<PullURIRequest><DocDetails>`,
		"two roots":      `<PullURIRequest/><PullURIRequest/>`,
		"text outside":   `x<PullURIRequest/>`,
		"cdata end":      `<PullURIRequest>]]></PullURIRequest>`,
		"bad ref":        `<PullURIRequest>&#0;</PullURIRequest>`,
		"non-ascii name": `<PullURIRequest><नाम>x</नाम></PullURIRequest>`,
		"two colons":     `<a:b:c/>`,
		"unquoted":       `<PullURIRequest ver=1/>`,
		"lt in attr":     `<PullURIRequest ver="<"/>`,
		"bad utf-8":      "<PullURIRequest>\xff</PullURIRequest>",
		"control char":   "<PullURIRequest>\x01</PullURIRequest>",
		"too deep":       `<PullURIRequest><a><b><c><d><e><f><g><h><i/></h></g></f></e></d></c></b></a></PullURIRequest>`,
		"too long":       `<PullURIRequest><DocDetails><Photo>` + strings.Repeat("A", maxFieldBytes+1) + `</Photo></DocDetails></PullURIRequest>`,
		"empty":          ``,
	} {
		if _, ok := scanPlain([]byte(body), maxFieldBytes); ok {
			t.Errorf("%s: the fast path took %q", name, body)
		}
	}
}

// FuzzPlainScan: whatever the fast path accepts, encoding/xml accepts too
// and reads the same elements, attributes and text.
func FuzzPlainScan(f *testing.F) {
	for _, s := range plainSamples {
		f.Add([]byte(s))
	}
	f.Add([]byte(`<a x='1'y="2"><b>t&lt;&#x41;&#66;</b>u<c/>v</a>`))
	f.Add([]byte(`<a><b><c><d e="f">g</d>h</c></b></a>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		const maxText = 64 // small, so that the limit is reached too
		if _, ok := scanPlain(body, maxText); !ok {
			return
		}
		fast, err := collect(walk, body, maxText)
		if err != nil {
			t.Fatalf("walk failed on what the fast path accepted: %v", err)
		}
		slow, err := collect(walkTokens, body, maxText)
		if err != nil {
			t.Fatalf("the fast path accepted what encoding/xml refuses (%v): %q", err, body)
		}
		if fast.root != slow.root || !slices.Equal(fast.elems, slow.elems) {
			t.Fatalf("the fast path reads %q differently:\nfast %q\nslow %q", body, fast, slow)
		}
	})
}
