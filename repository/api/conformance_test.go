package api_test

import (
	"crypto/x509"
	"encoding/base64"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestConformance replays requests of the shapes lockers send
// (testdata/conformance/*.xml, byte for byte: declarations, namespace
// prefixes, CRLF, single quotes, comments, MD5 and raw UIDs, keyhash, no
// format) against the API over HTTP, and compares each reply with its
// golden file (-update rewrites them). A document in a reply is checked —
// the XML's signature verified, the PDF's header — and stands in the
// comparison as a short description, since it carries the issue date and
// the signature. The keyhash in a request is written KEYHASH and computed
// with the fixture's API key.
func TestConformance(t *testing.T) {
	f := sample(t)
	fonts, err := docpdf.LoadFonts("")
	if err != nil {
		testenv.SkipOrFail(t, err.Error())
	}
	ts := f.server(t, func(c *api.Config) {
		c.PDF = &docpdf.Renderer{Fonts: fonts, VerifyURL: "https://example.gov.in", Signer: f.pdfRenderer(t).Signer}
	})
	files, err := filepath.Glob("testdata/conformance/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no requests in testdata/conformance: %v", err)
	}
	replies := map[string]string{}
	tsAttr := regexp.MustCompile(`ts=["']([^"']*)["']`)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".xml")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			body := string(raw)
			if m := tsAttr.FindStringSubmatch(body); m != nil {
				body = strings.Replace(body, "KEYHASH", xmlschema.KeyHash(string(f.key), m[1]), 1)
			}
			route := "/digilocker/pulldoc"
			if strings.Contains(body, "PullURIRequest") {
				route = "/digilocker/pulluri"
			}
			code, reply := f.signed(t, ts.URL+route, body)
			replies[name] = reply
			got := fmt.Sprintf("HTTP %d\n%s\n", code, describeDocuments(t, f.cert, reply))
			golden := filepath.Join("testdata", "conformance", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("reply differs from %s\n got: %s\nwant: %s", golden, got, want)
			}
			if strings.Contains(reply, f.row["Aadhaar"]) {
				t.Errorf("the reply holds the Aadhaar number")
			}
		})
	}
	// The two requests differ only in RollNo (an existing record with
	// another name, and no record); so may their answers, in its echo.
	a, b := replies["pulluri-name-mismatch"], replies["pulluri-unknown-roll"]
	if a == "" || a != strings.Replace(b, "<RollNo>7599999</RollNo>", "<RollNo>7500003</RollNo>", 1) {
		t.Errorf("a mismatch and a miss answer differently:\n%s\n%s", a, b)
	}
}

var (
	dataContentRE = regexp.MustCompile(`<DataContent>([^<]*)</DataContent>`)
	docContentRE  = regexp.MustCompile(`<DocContent>([^<]*)</DocContent>`)
)

// describeDocuments replaces the documents in a reply by what they are,
// after checking them.
func describeDocuments(t *testing.T, cert *x509.Certificate, reply string) string {
	t.Helper()
	reply = dataContentRE.ReplaceAllStringFunc(reply, func(m string) string {
		data, err := base64.StdEncoding.DecodeString(dataContentRE.FindStringSubmatch(m)[1])
		if err != nil {
			t.Fatalf("DataContent is not base64: %v", err)
		}
		doc, err := (&signer.Verifier{Trusted: []*x509.Certificate{cert}}).Verify(data)
		if err != nil {
			t.Fatalf("DataContent does not verify: %v", err)
		}
		r := doc.Root
		return fmt.Sprintf("<DataContent>[signed Certificate type=%s number=%s status=%s: verified]</DataContent>",
			r.SelectAttrValue("type", ""), r.SelectAttrValue("number", ""), r.SelectAttrValue("status", ""))
	})
	return docContentRE.ReplaceAllStringFunc(reply, func(m string) string {
		pdf, err := base64.StdEncoding.DecodeString(docContentRE.FindStringSubmatch(m)[1])
		if err != nil || !strings.HasPrefix(string(pdf), "%PDF-") {
			t.Fatalf("DocContent is not a base64 PDF (%v)", err)
		}
		return "<DocContent>[PDF]</DocContent>"
	})
}
