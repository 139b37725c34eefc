// Command pull sends one signed Pull URI request, as a locker would, and
// prints what came back: `make demo` uses it to show the repository API.
//
//	go run ./internal/tools/pull -url http://127.0.0.1:8080 -api-key-file board/keys/api-key \
//	    -doctype SSCER -name "Meera Nair" -dob 11-12-2009 -param RollNo=7500003 -param Year=2025
//
// With -n N it sends the request N times from -c clients and prints the
// rate and latencies instead.
package main

import (
	"bytes"
	"encoding/base64"
	"flag"
	"fmt"
	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"html"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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
	n := flag.Int("n", 1, "send the request `N` times (each with its own txn) and print the rate and latencies")
	clients := flag.Int("c", 8, "concurrent clients for -n")
	flag.Parse()
	key, err := os.ReadFile(*keyFile)
	if err != nil {
		fail(err)
	}
	key = bytes.TrimSpace(key)
	build := func(txn int64) []byte {
		req := xmlschema.Request{Kind: "PullURIRequest", Ver: "1.0", TS: time.Now().Format(time.RFC3339), Txn: strconv.FormatInt(txn, 10),
			OrgID: "in.gov.demo-locker", Format: "xml",
			Details: []xmlschema.Field{{Name: "DocType", Value: *doctype}, {Name: "FullName", Value: *name}, {Name: "DOB", Value: *dob}}}
		for _, p := range ps {
			k, v, _ := strings.Cut(p, "=")
			req.Details = append(req.Details, xmlschema.Field{Name: k, Value: v})
		}
		return req.AppendXML(nil)
	}
	endpoint := strings.TrimSuffix(*url, "/") + "/digilocker/pulluri"
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: *clients},
		CheckRedirect: httpserve.NoRedirects} // signed requests stay where they were sent
	send := func(body []byte) (int, []byte, error) {
		req, _ := http.NewRequest("POST", endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/xml")
		req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody(key, body))
		resp, err := hc.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		reply, err := io.ReadAll(resp.Body)
		return resp.StatusCode, reply, err
	}
	if *n > 1 {
		burst(*n, *clients, func(i int) (int, error) {
			code, _, err := send(build(time.Now().UnixNano() + int64(i)))
			return code, err
		})
		return
	}
	code, body, err := send(build(time.Now().UnixNano()))
	if err != nil {
		fail(err)
	}
	status := regexp.MustCompile(`Status="(\d)"`).FindStringSubmatch(string(body))
	uri := regexp.MustCompile(`<URI>([^<]*)</URI>`).FindStringSubmatch(string(body))
	data := regexp.MustCompile(`<DataContent>([^<]*)</DataContent>`).FindStringSubmatch(string(body))
	fmt.Printf("HTTP %d", code)
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
	if msg := regexp.MustCompile(`<ResponseMessage>([^<]*)</ResponseMessage>`).FindStringSubmatch(string(body)); msg != nil {
		fmt.Printf(": %s", aadhaar.Redact(html.UnescapeString(msg[1])))
	}
	fmt.Println()
}

// burst sends n requests from c goroutines and prints the rate, the
// latencies and the answers by HTTP status.
func burst(n, c int, send func(i int) (int, error)) {
	var (
		mu    sync.Mutex
		lat   []time.Duration
		codes = map[string]int{}
		next  atomic.Int64
		wg    sync.WaitGroup
	)
	start := time.Now()
	for range c {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				t0 := time.Now()
				code, err := send(i)
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				if err != nil {
					codes["error"]++
				} else {
					codes[fmt.Sprintf("HTTP %d", code)]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	var answers []string
	for k, v := range codes {
		answers = append(answers, fmt.Sprintf("%s × %d", k, v))
	}
	slices.Sort(answers)
	fmt.Printf("%d requests from %d clients in %.2f s: %.0f req/s, p50 %.1f ms, p99 %.1f ms; %s\n",
		n, c, el.Seconds(), float64(n)/el.Seconds(), ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), strings.Join(answers, ", "))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pull:", err)
	os.Exit(1)
}
