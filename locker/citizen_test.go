package locker_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestCitizenPagesNeedSignedLink: the citizen hash alone (in any URL once
// seen, in a log, in `locker list`) opened the page and the full signed
// XML. Now only a signed, unexpired link for that citizen does.
func TestCitizenPagesNeedSignedLink(t *testing.T) {
	var f *lockerFixture
	f = newLocker(t, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, _ := xmlschema.ParseRequest(body)
		io.WriteString(w, `<PullDocResponse><ResponseStatus Status="1" ts="" txn="">1</ResponseStatus><DocDetails><DataContent>`+
			base64.StdEncoding.EncodeToString(f.signedDoc(req.Get("URI")))+`</DataContent></DocDetails></PullDocResponse>`)
	})
	const uri = issuer + "-SSCER-7"
	f.push("t1", details(alice, uri, "A"))
	f.push("t2", details(bob, issuer+"-SSCER-8", "A"))
	a, b := f.store.CitizenHash(alice), f.store.CitizenHash(bob)
	code := func(path string) int {
		t.Helper()
		resp, err := http.Get(f.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	good := f.store.CitizenLink(a, time.Now().Add(time.Hour))
	for name, q := range map[string]string{
		"no link":           "",
		"another citizen's": "?" + f.store.CitizenLink(b, time.Now().Add(time.Hour)),
		"expired":           "?" + f.store.CitizenLink(a, time.Now().Add(-time.Second)),
		"exp moved on":      "?" + strings.Replace(good, "exp=", "exp=9", 1),
		"sig without exp":   "?" + good[strings.Index(good, "sig="):],
	} {
		for _, p := range []string{"/citizens/" + a + "/issued", "/citizens/" + a + "/issued/" + uri} {
			if c := code(p + q); c != http.StatusForbidden {
				t.Errorf("%s: GET %s: HTTP %d, want 403", name, p, c)
			}
		}
	}
	if c := code("/citizens/" + a + "/issued/" + uri + "?" + good); c != 200 {
		t.Fatalf("with the link: HTTP %d", c)
	}
	// The HTML page's View links carry the link on.
	req, _ := http.NewRequest("GET", f.srv.URL+"/citizens/"+a+"/issued?"+good, nil)
	req.Header.Set("Accept", "text/html")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`href="(issued/[^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("no View link:\n%s", page)
	}
	href := strings.ReplaceAll(string(m[1]), "&amp;", "&")
	if c := code("/citizens/" + a + "/" + href); c != 200 {
		t.Fatalf("the page's View link %s: HTTP %d", href, c)
	}
	// A browser on an expired link, or on a document not in the locker,
	// gets a page in words; a script keeps the JSON.
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/citizens/" + a + "/issued?" + f.store.CitizenLink(a, time.Now().Add(-time.Second)), 403, "Ask for a new link"},
		{"/citizens/" + a + "/issued/" + issuer + "-SSCER-99?" + good, 404, "not in your locker"},
	} {
		req, _ := http.NewRequest("GET", f.srv.URL+tc.path, nil)
		req.Header.Set("Accept", "text/html")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s in a browser: HTTP %d %s %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
		}
	}
}

// TestFetchReturnsOnlySignedBytes: an issuer (or anyone between it and the
// locker) adds a comment or processing instruction around the signed root,
// which the signature does not cover and verification therefore accepts.
// The citizen gets the signed root alone; a comment inside the root, which
// the signature does not cover either, refuses the document.
func TestFetchReturnsOnlySignedBytes(t *testing.T) {
	var signed []byte // signed once: ECDSA signatures differ each time
	var wrap func([]byte) []byte
	f := newLocker(t, func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<PullDocResponse><ResponseStatus Status="1" ts="" txn="">1</ResponseStatus><DocDetails><DataContent>`+
			base64.StdEncoding.EncodeToString(wrap(signed))+`</DataContent></DocDetails></PullDocResponse>`)
	})
	const uri = issuer + "-SSCER-7"
	signed = f.signedDoc(uri)
	f.push("t1", details(alice, uri, "A"))
	path := f.srv.URL + "/citizens/" + f.store.CitizenHash(alice) + "/issued/" + uri + "?" + f.store.CitizenLink(f.store.CitizenHash(alice), time.Now().Add(time.Hour))
	fetch := func() (int, []byte) {
		resp, err := http.Get(path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	root := func(doc []byte) []byte {
		i := bytes.Index(doc, []byte("<Certificate"))
		return bytes.TrimSpace(doc[i:])
	}
	for name, w := range map[string]func([]byte) []byte{
		"as signed": func(d []byte) []byte { return d },
		"comment before": func(d []byte) []byte {
			return append([]byte("<!-- Result withheld: contact the board -->\n"), d...)
		},
		"comment and PI after": func(d []byte) []byte { return append(d, []byte("\n<!-- revoked --><?note void?>\n")...) },
	} {
		wrap = w
		code, got := fetch()
		want := append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), root(signed)...)
		if code != 200 || !bytes.Equal(got, want) {
			t.Errorf("%s: HTTP %d, got\n%s\nwant\n%s", name, code, got, want)
		}
		if bytes.Contains(got, []byte("<!--")) || bytes.Contains(got, []byte("<?note")) {
			t.Errorf("%s: unsigned content reached the citizen", name)
		}
	}
	wrap = func(d []byte) []byte {
		return bytes.Replace(d, []byte("<IssuedTo>"), []byte("<!-- marks under review --><IssuedTo>"), 1)
	}
	if code, got := fetch(); code != http.StatusBadGateway || !strings.Contains(string(got), "does not cover") {
		t.Fatalf("a comment inside the root: HTTP %d %s, want 502", code, got)
	}
}
