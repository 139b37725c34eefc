package api_test

import (
	"bufio"
	"crypto/md5"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// conformanceCase is one file of testdata/conformance: header lines
// starting with "#" (the source the shape comes from, and directives), then
// the request body, byte for byte.
type conformanceCase struct {
	body string
	// Directives: "# hmac: raw" signs with Base64 of the raw HMAC (the
	// official encoding) instead of Base64 of its hex; "# pull: {json}"
	// answers with that pull policy for SSCER; "# hmac: none" sends no
	// header.
	hmac string
	pull *xmlschema.PullPolicy
}

func readConformanceCase(t *testing.T, file string) conformanceCase {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var c conformanceCase
	rest := string(raw)
	for strings.HasPrefix(rest, "#") {
		line, after, _ := strings.Cut(rest, "\n")
		rest = after
		switch d := strings.TrimSpace(strings.TrimPrefix(line, "#")); {
		case strings.HasPrefix(d, "hmac:"):
			c.hmac = strings.TrimSpace(strings.TrimPrefix(d, "hmac:"))
		case strings.HasPrefix(d, "pull:"):
			c.pull = &xmlschema.PullPolicy{}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(d, "pull:")), c.pull); err != nil {
				t.Fatalf("%s: pull directive: %v", file, err)
			}
		}
	}
	if !strings.Contains(string(raw), "# source:") {
		t.Fatalf("%s does not cite its source (a \"# source:\" line)", file)
	}
	c.body = rest
	return c
}

// send posts body, the case's request as it stands (ts and keyhash filled
// in), to the route its root names, with the HMAC header its hmac
// directive asks for (hex by default, raw, or none).
func (c conformanceCase) send(t *testing.T, f *fixture, url, body string) (int, string) {
	t.Helper()
	route := "/digilocker/pulldoc"
	if strings.Contains(body, "PullURIRequest") {
		route = "/digilocker/pulluri"
	}
	header := xmlschema.SignBody(f.key, []byte(body))
	switch c.hmac {
	case "raw":
		header = base64.StdEncoding.EncodeToString(hmacRaw(f.key, []byte(body)))
	case "none":
		header = ""
	}
	return post(t, url+route, body, header)
}

// TestConformance replays requests of the shapes lockers and deployed
// integrations send (testdata/conformance/*.xml, each citing its source:
// declarations, no namespace, a prefix or a default namespace, ver 1.0 to
// 3.0, padded and empty values, extra children, MD5 and raw UIDs,
// keyhash/keyHash, no format) against the API over HTTP, and compares each
// reply with its golden file (-update rewrites them). A document in a reply
// is checked — the XML's signature verified by issuerkit and by xmlsec1,
// the PDF's header — and stands in the comparison as a short description,
// since it carries the issue date and the signature. The keyhash in a
// request is written KEYHASH and computed with the fixture's API key.
func TestConformance(t *testing.T) {
	f := sample(t)
	fonts, err := docpdf.LoadFonts("")
	if err != nil {
		testenv.SkipOrFail(t, err.Error())
	}
	xmlsec, err := exec.LookPath("xmlsec1")
	if err != nil {
		testenv.SkipOrFail(t, "xmlsec1 is not installed")
	}
	certPEM := filepath.Join(t.TempDir(), "issuer.crt")
	if err := os.WriteFile(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	check := documentChecker{cert: f.cert, xmlsec: xmlsec, certPEM: certPEM}
	withPDF := func(c *api.Config) {
		c.PDF = &docpdf.Renderer{Fonts: fonts, VerifyURL: "https://example.gov.in", Signer: f.pdfRenderer(t).Signer}
	}
	ts := f.server(t, withPDF)
	files, err := filepath.Glob("testdata/conformance/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no requests in testdata/conformance: %v", err)
	}
	replies := map[string]string{}
	tsAttr := regexp.MustCompile(`ts=["']([^"']*)["']`)
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".xml")
		t.Run(name, func(t *testing.T) {
			c := readConformanceCase(t, file)
			body := c.body
			if m := tsAttr.FindStringSubmatch(body); m != nil {
				body = strings.Replace(body, "KEYHASH", xmlschema.KeyHash(string(f.key), m[1]), 1)
			}
			url := ts.URL
			if c.pull != nil {
				pol := *c.pull
				url = f.server(t, func(cfg *api.Config) {
					withPDF(cfg)
					cfg.Profiles = []xmlschema.PullProfile{{DocType: "SSCER", SearchKeys: []string{"RollNo", "Year"}, Policy: pol}}
				}).URL
			}
			code, reply := c.send(t, f, url, body)
			replies[name] = reply
			got := fmt.Sprintf("HTTP %d\n%s\n", code, check.describe(t, reply))
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
			if strings.Contains(reply, f.row["Aadhaar"]) || strings.Contains(reply, md5Hex(f.row["Aadhaar"])) {
				t.Errorf("the reply holds the Aadhaar number or its MD5")
			}
		})
	}
	// The two requests differ only in RollNo (an existing record with
	// another name, and no record); so may their answers, in its echo.
	a, b := replies["pulluri-name-mismatch"], replies["pulluri-unknown-roll"]
	if a == "" || a != strings.Replace(b, "<RollNo>7599999</RollNo>", "<RollNo>7500003</RollNo>", 1) {
		t.Errorf("a mismatch and a miss answer differently:\n%s\n%s", a, b)
	}
	// A held document asked for by URI alone, and an unknown URI: the same
	// answer but for txn.
	a, b = replies["pulldoc-held-uri-alone"], replies["pulldoc-unknown-uri"]
	if a == "" || a != strings.Replace(b, `txn="tx-doc-unknown"`, `txn="tx-doc-held"`, 1) {
		t.Errorf("Pull Doc tells a held URI from an unknown one:\n%s\n%s", a, b)
	}
}

// documentChecker verifies the documents in a reply.
type documentChecker struct {
	cert            *x509.Certificate
	xmlsec, certPEM string
}

var (
	dataContentRE = regexp.MustCompile(`<DataContent>([^<]*)</DataContent>`)
	docContentRE  = regexp.MustCompile(`<DocContent>([^<]*)</DocContent>`)
)

// describe replaces the documents in a reply by what they are, after
// checking them.
func (c documentChecker) describe(t *testing.T, reply string) string {
	t.Helper()
	reply = dataContentRE.ReplaceAllStringFunc(reply, func(m string) string {
		data, err := base64.StdEncoding.DecodeString(dataContentRE.FindStringSubmatch(m)[1])
		if err != nil {
			t.Fatalf("DataContent is not base64: %v", err)
		}
		doc, err := (&signer.Verifier{Trusted: []*x509.Certificate{c.cert}}).Verify(data)
		if err != nil {
			t.Fatalf("DataContent does not verify: %v", err)
		}
		file := filepath.Join(t.TempDir(), "doc.xml")
		if err := os.WriteFile(file, data, 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(c.xmlsec, "--verify", "--trusted-pem", c.certPEM, file).CombinedOutput(); err != nil {
			t.Fatalf("xmlsec1 rejects DataContent: %v\n%s", err, out)
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

// TestConformanceSources checks that the corpus keeps one request per source
// the issue names, so a file removed by mistake is noticed.
func TestConformanceSources(t *testing.T) {
	files, _ := filepath.Glob("testdata/conformance/*.xml")
	cited := map[string]bool{}
	for _, file := range files {
		fh, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
			if _, src, ok := strings.Cut(sc.Text(), "# source:"); ok {
				cited[strings.Fields(src)[0]] = true
			}
		}
		fh.Close()
	}
	for _, want := range []string{"NeGD-v1.13", "NeGD-pull-v1.0", "apisetu-issuer-3.0.0", "DIVOC", "Sunbird-RC", "sunbird-cb-ext", "digilocker_pension"} {
		if !cited[want] {
			t.Errorf("no request in testdata/conformance cites %s", want)
		}
	}
}

func md5Hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestConformanceUnderReplayWindow replays the corpus against the API as
// serve runs it by default (a 5-minute replay window), each request with
// the current time as its ts and a txn of its own: every shape must get
// the HTTP code and Status its golden reply has.
func TestConformanceUnderReplayWindow(t *testing.T) {
	f := sample(t)
	fonts, err := docpdf.LoadFonts("")
	if err != nil {
		testenv.SkipOrFail(t, err.Error())
	}
	files, err := filepath.Glob("testdata/conformance/*.xml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no requests in testdata/conformance: %v", err)
	}
	tsAttr := regexp.MustCompile(`(?i)(\bts=["'])([^"']*)(["'])`)
	txnAttr := regexp.MustCompile(`(?i)(\btxn=["'])([^"']*)(["'])`)
	status := regexp.MustCompile(`Status="(\d)"`)
	for i, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".xml")
		t.Run(name, func(t *testing.T) {
			c := readConformanceCase(t, file)
			want, err := os.ReadFile(filepath.Join("testdata", "conformance", name+".golden"))
			if err != nil {
				t.Fatal(err)
			}
			now := time.Now().In(xmlschema.IST).Format(time.RFC3339)
			body := tsAttr.ReplaceAllString(c.body, "${1}"+now+"${3}")
			body = txnAttr.ReplaceAllString(body, fmt.Sprintf("${1}window-%d${3}", i))
			body = strings.Replace(body, "KEYHASH", xmlschema.KeyHash(string(f.key), now), 1)
			url := f.server(t, func(cfg *api.Config) {
				cfg.ReplayWindow = 5 * time.Minute
				cfg.PDF = &docpdf.Renderer{Fonts: fonts, VerifyURL: "https://example.gov.in", Signer: f.pdfRenderer(t).Signer}
				if c.pull != nil {
					cfg.Profiles = []xmlschema.PullProfile{{DocType: "SSCER", SearchKeys: []string{"RollNo", "Year"}, Policy: *c.pull}}
				}
			}).URL
			code, reply := c.send(t, f, url, body)
			wantCode, _, _ := strings.Cut(string(want), "\n")
			if got := fmt.Sprintf("HTTP %d", code); got != wantCode {
				t.Fatalf("%s, want %s:\n%.400s", got, wantCode, reply)
			}
			if w, g := status.FindStringSubmatch(string(want)), status.FindStringSubmatch(reply); (w == nil) != (g == nil) || w != nil && w[1] != g[1] {
				t.Errorf("Status %v, want %v:\n%.400s", g, w, reply)
			}
		})
	}
}
