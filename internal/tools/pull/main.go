// Command pull sends one signed Pull URI request, as a locker would, and
// prints what came back: `make demo` uses it to show the repository API.
//
//	go run ./internal/tools/pull -url http://127.0.0.1:8080 -api-key-file board/keys/api-key \
//	    -doctype SSCER -name "Meera Nair" -dob 11-12-2009 -param RollNo=7500003 -param Year=2025
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
)

type params []string

func (p *params) String() string     { return strings.Join(*p, ",") }
func (p *params) Set(s string) error { *p = append(*p, s); return nil }

func main() {
	url := flag.String("url", "http://127.0.0.1:8080", "repository API base URL")
	keyFile := flag.String("api-key-file", "", "the issuer's API key file")
	doctype := flag.String("doctype", "SSCER", "DocType")
	name := flag.String("name", "", "FullName")
	dob := flag.String("dob", "", "DOB, DD-MM-YYYY")
	var ps params
	flag.Var(&ps, "param", "search parameter NAME=VALUE (repeatable)")
	flag.Parse()
	key, err := os.ReadFile(*keyFile)
	if err != nil {
		fail(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, `<PullURIRequest ver="1.0" ts="%s" txn="%d" orgId="in.gov.demo-locker" format="xml"><DocDetails><DocType>%s</DocType>`,
		time.Now().Format(time.RFC3339), time.Now().UnixNano(), *doctype)
	field := func(k, v string) {
		b.WriteString("<" + k + ">")
		xml.EscapeText(&b, []byte(v))
		b.WriteString("</" + k + ">")
	}
	field("FullName", *name)
	field("DOB", *dob)
	for _, p := range ps {
		k, v, _ := strings.Cut(p, "=")
		field(k, v)
	}
	b.WriteString("</DocDetails></PullURIRequest>")
	req, _ := http.NewRequest("POST", strings.TrimSuffix(*url, "/")+"/digilocker/pulluri", bytes.NewReader(b.Bytes()))
	req.Header.Set("Content-Type", "application/xml")
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody(bytes.TrimSpace(key), b.Bytes()))
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		fail(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	status := regexp.MustCompile(`Status="(\d)"`).FindStringSubmatch(string(body))
	uri := regexp.MustCompile(`<URI>([^<]*)</URI>`).FindStringSubmatch(string(body))
	data := regexp.MustCompile(`<DataContent>([^<]*)</DataContent>`).FindStringSubmatch(string(body))
	fmt.Printf("HTTP %d", resp.StatusCode)
	if status != nil {
		fmt.Printf(", Status=%s", status[1])
	}
	if uri != nil {
		fmt.Printf(", URI %s", uri[1])
	}
	if data != nil {
		doc, _ := base64.StdEncoding.DecodeString(data[1])
		fmt.Printf(", signed document of %d bytes", len(doc))
	}
	fmt.Println()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pull:", err)
	os.Exit(1)
}
