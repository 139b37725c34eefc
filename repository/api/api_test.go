package api_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/internal/issuer"
	"github.com/issuerkit/issuerkit/internal/testenv"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/samples"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

type fixture struct {
	h         *home.Home
	key       []byte
	verifyKey []byte
	cert      *x509.Certificate
	cfg       api.Config
	logs      *bytes.Buffer
	row       map[string]string // the first sample row
	held      map[string]string // a row held until heldUntil
}

// The held student: roll number and release time (fixed, for the golden files).
const heldRoll = "8800001"

var heldUntil = time.Date(2099, 5, 13, 12, 0, 0, 0, xmlschema.IST)

func csvLine(cells []string) string {
	out := make([]string, len(cells))
	for i, c := range cells {
		if strings.ContainsAny(c, ",\"\n") {
			c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
		}
		out[i] = c
	}
	return strings.Join(out, ",")
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error

	fixDirsMu sync.Mutex
	fixDirs   []string // every fixture's directory, removed by TestMain
)

// sample returns a home with the CBSE sample ingested, shared by the tests.
func sample(t testing.TB) *fixture {
	t.Helper()
	fixOnce.Do(func() { fix, fixErr = buildFixture() })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func buildFixture() (*fixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "issuerkit-api-")
	if err != nil {
		return nil, err
	}
	fixDirsMu.Lock()
	fixDirs = append(fixDirs, dir)
	fixDirsMu.Unlock()
	h, err := home.Init(ctx, filepath.Join(dir, "home"), home.InitOptions{IssuerID: "in.gov.cbse", IssuerName: "Central Board of Secondary Education"})
	if err != nil {
		return nil, err
	}
	r, err := issuer.OpenRepo(ctx, h.Dir, true)
	if err != nil {
		return nil, err
	}
	deps, err := r.IngestDeps()
	if err != nil {
		return nil, err
	}
	cat, store, sgn, kr := r.Catalog, r.Store, deps.Signer, deps.Keyring
	prof, err := ingest.LoadProfile("../../samples/profiles/cbse-sscer.yaml")
	if err != nil {
		return nil, err
	}
	if _, err := ingest.Run(ctx, ingest.Deps{Store: store, Catalog: cat, Signer: sgn, Keyring: kr}, ingest.Options{
		Profile: prof, Issuer: ingest.Issuer{ID: "in.gov.cbse", Name: "CBSE", Type: "CG"},
		Inputs: []string{"../../samples/cbse-sscer-2025.csv"}}); err != nil {
		return nil, err
	}
	// One more student, whose result is held until results day.
	held := map[string]string{}
	cells, _ := samples.Options{Seed: 2026}.Row(0)
	for i, h := range samples.Header {
		held[h] = cells[i]
	}
	held["RollNo"], cells[0] = heldRoll, heldRoll
	heldCSV := filepath.Join(dir, "held.csv")
	if err := os.WriteFile(heldCSV, []byte(strings.Join(samples.Header, ",")+"\n"+csvLine(cells)+"\n"), 0o600); err != nil {
		return nil, err
	}
	if _, err := ingest.Run(ctx, ingest.Deps{Store: store, Catalog: cat, Signer: sgn, Keyring: kr}, ingest.Options{
		Profile: prof, Issuer: ingest.Issuer{ID: "in.gov.cbse", Name: "CBSE", Type: "CG"},
		Inputs: []string{heldCSV}, ReleaseAt: heldUntil}); err != nil {
		return nil, err
	}
	key, err := h.APIKey()
	if err != nil {
		return nil, err
	}
	verifyKey, err := h.VerifyKey()
	if err != nil {
		return nil, err
	}
	f := &fixture{h: h, key: key, verifyKey: verifyKey, logs: &bytes.Buffer{}, row: map[string]string{}, held: held}
	f.cert = sgn.Certificate()
	f.cfg = api.Config{IssuerID: "in.gov.cbse", IssuerName: "Central Board of Secondary Education", APIKey: key,
		Catalog: repository.CacheReads(cat) /* as serve does */, Store: store, Keyring: kr, CacheBytes: 8 << 20, VerifyKey: verifyKey,
		Profiles: []xmlschema.PullProfile{prof.PullProfile()},
		Logger:   slog.New(slog.NewTextHandler(f.logs, nil))}
	cells, _ = samples.Options{Seed: 2025}.Row(0)
	for i, h := range samples.Header {
		f.row[h] = cells[i]
	}
	return f, nil
}

func (f *fixture) server(t testing.TB, mod func(*api.Config)) *httptest.Server {
	t.Helper()
	ts, _ := f.servers(t, mod)
	return ts
}

// servers starts the API and, apart, its metrics, as serve does.
func (f *fixture) servers(t testing.TB, mod func(*api.Config)) (apiTS, metricsTS *httptest.Server) {
	t.Helper()
	cfg := f.cfg
	if mod != nil {
		mod(&cfg)
	}
	s, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	apiTS = httptest.NewServer(s.Handler())
	t.Cleanup(apiTS.Close)
	metricsTS = httptest.NewServer(s.MetricsHandler())
	t.Cleanup(metricsTS.Close)
	return apiTS, metricsTS
}

// verifyURL is uri's /verify link on ts, with its token.
func (f *fixture) verifyURL(ts *httptest.Server, uri string) string {
	return api.VerifyLink(ts.URL, f.verifyKey, uri)
}

func post(t *testing.T, url string, body, hmacHeader string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/xml")
	if hmacHeader != "" {
		req.Header.Set(xmlschema.HMACHeader, hmacHeader)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *fixture) signed(t *testing.T, url, body string) (int, string) {
	t.Helper()
	return post(t, url, body, xmlschema.SignBody(f.key, []byte(body)))
}

// dobAs rewrites the record's DD-MM-YYYY date of birth as the spec's request does.
func dobOf(f *fixture) string {
	d := f.row["DOB"]
	for _, l := range []string{"02-01-2006", "02/01/2006", "2006-01-02"} {
		if t, err := time.Parse(l, d); err == nil {
			return t.Format("02-01-2006")
		}
	}
	return d
}

func pullURI(f *fixture, extra string, fields map[string]string) string {
	var b strings.Builder
	b.WriteString(`<PullURIRequest ver="1.0" ts="2025-06-01T10:00:00+05:30" txn="tx-1" orgId="in.gov.locker" format="xml"` + extra + `><DocDetails><DocType>SSCER</DocType><DigiLockerId>123e4567-e89b-12d3-a456-426655440000</DigiLockerId>`)
	for _, k := range []string{"UID", "FullName", "DOB", "RollNo", "Year"} {
		if v, ok := fields[k]; ok {
			fmt.Fprintf(&b, "<%s>%s</%s>", k, v, k)
		}
	}
	b.WriteString(`</DocDetails></PullURIRequest>`)
	return b.String()
}

func (f *fixture) goodFields() map[string]string {
	return map[string]string{"FullName": f.row["Name"], "DOB": dobOf(f), "RollNo": f.row["RollNo"], "Year": "2025"}
}

var dataContent = regexp.MustCompile(`<DataContent>([^<]*)</DataContent>`)

func (f *fixture) checkDocument(t *testing.T, body string) {
	t.Helper()
	m := dataContent.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no DataContent in %s", body)
	}
	doc, err := base64.StdEncoding.DecodeString(m[1])
	if err != nil {
		t.Fatal(err)
	}
	v := &signer.Verifier{Trusted: []*x509.Certificate{f.cert}}
	got, err := v.Verify(doc)
	if err != nil {
		t.Fatalf("served document does not verify: %v", err)
	}
	if got.Root.SelectAttrValue("number", "") != f.row["RollNo"]+"2025" {
		t.Fatalf("served the wrong document: %s", got.Root.SelectAttrValue("number", ""))
	}
}

func TestPullURIShapes(t *testing.T) {
	f := sample(t)
	ts := f.server(t, nil)
	md5sum := md5.Sum([]byte(f.row["Aadhaar"]))
	uidMD5 := strings.ToUpper(hex.EncodeToString(md5sum[:]))
	good := f.goodFields()
	tests := []struct {
		name string
		body string
	}{
		{"roll and year", pullURI(f, "", good)},
		{"namespaced", strings.NewReplacer("<PullURIRequest", `<ns2:PullURIRequest xmlns:ns2="http://tempuri.org/"`, "</PullURIRequest>", "</ns2:PullURIRequest>",
			"<DocDetails>", "<ns2:DocDetails>", "</DocDetails>", "</ns2:DocDetails>").Replace(pullURI(f, "", good))},
		{"v1.13 UID as MD5", pullURI(f, "", map[string]string{"UID": uidMD5, "FullName": f.row["Name"], "DOB": dobOf(f)})},
		{"raw UID", pullURI(f, "", map[string]string{"UID": f.row["Aadhaar"], "FullName": f.row["Name"], "DOB": dobOf(f)})},
		{"roll, year and UID", pullURI(f, "", map[string]string{"UID": uidMD5, "FullName": f.row["Name"], "DOB": dobOf(f), "RollNo": f.row["RollNo"], "Year": "2025"})},
		{"name in capitals with a dot", pullURI(f, "", map[string]string{"FullName": strings.ToUpper(strings.Replace(f.row["Name"], " ", ". ", 1)), "DOB": dobOf(f), "RollNo": f.row["RollNo"], "Year": "2025"})},
		{"keyhash", pullURI(f, ` keyhash="`+xmlschema.KeyHash(string(f.key), "2025-06-01T10:00:00+05:30")+`"`, good)},
		{"format both", strings.Replace(pullURI(f, "", good), `format="xml"`, `format="both"`, 1)},
		{"no format", strings.Replace(pullURI(f, "", good), ` format="xml"`, ``, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := f.signed(t, ts.URL+"/digilocker/pulluri", tt.body)
			if code != 200 || !strings.Contains(body, `<ResponseStatus Status="1" ts="2025-06-01T10:00:00+05:30" txn="tx-1">1</ResponseStatus>`) {
				t.Fatalf("HTTP %d\n%s", code, body)
			}
			if !strings.Contains(body, "<URI>in.gov.cbse-SSCER-"+f.row["RollNo"]+"2025</URI>") || !strings.Contains(body, `<Person name="`) {
				t.Fatalf("reply lacks URI or Person:\n%s", body)
			}
			f.checkDocument(t, body)
			if !strings.Contains(tt.body, f.row["Aadhaar"]) && strings.Contains(body, f.row["Aadhaar"]) {
				t.Fatal("reply holds an Aadhaar number it was not sent")
			}
		})
	}
}

func TestPullURIMissAndMismatchLookAlike(t *testing.T) {
	f := sample(t)
	ts := f.server(t, nil)
	shape := func(body string) string {
		return regexp.MustCompile(`>[^<]*<`).ReplaceAllString(body, "><")
	}
	var shapes []string
	for name, edit := range map[string]func(map[string]string){
		"unknown roll":   func(m map[string]string) { m["RollNo"] = "1234567" },
		"wrong name":     func(m map[string]string) { m["FullName"] = "Someone Else" },
		"wrong dob":      func(m map[string]string) { m["DOB"] = "01-01-1999" },
		"no name or dob": func(m map[string]string) { delete(m, "FullName"); delete(m, "DOB") },
		"wrong uid":      func(m map[string]string) { m["UID"] = strings.Repeat("a", 32) },
	} {
		m := f.goodFields()
		edit(m)
		code, body := f.signed(t, ts.URL+"/digilocker/pulluri", pullURI(f, "", m))
		if code != 200 || !strings.Contains(body, `Status="0"`) || strings.Contains(body, "DataContent") || strings.Contains(body, "<URI>") {
			t.Errorf("%s: HTTP %d\n%s", name, code, body)
		}
		if name != "no name or dob" && name != "wrong uid" {
			shapes = append(shapes, shape(body))
		}
	}
	for _, s := range shapes[1:] {
		if s != shapes[0] {
			t.Errorf("a miss and a mismatch differ in shape:\n%s\n%s", shapes[0], s)
		}
	}
}

func TestPullDoc(t *testing.T) {
	f := sample(t)
	ts := f.server(t, nil)
	uri := "in.gov.cbse-SSCER-" + f.row["RollNo"] + "2025"
	req := func(uri, extra string) string {
		return `<ns2:PullDocRequest xmlns:ns2="http://tempuri.org/" ver="1.0" ts="t1" txn="x9" orgId="o" format="xml"><ns2:DocDetails><ns2:URI>` + uri + `</ns2:URI><ns2:DigiLockerId>d</ns2:DigiLockerId>` + extra + `</ns2:DocDetails></ns2:PullDocRequest>`
	}
	code, body := f.signed(t, ts.URL+"/digilocker/pulldoc", req(uri, ""))
	if code != 200 || !strings.Contains(body, `<PullDocResponse`) || !strings.Contains(body, `Status="1" ts="t1" txn="x9"`) {
		t.Fatalf("HTTP %d\n%s", code, body)
	}
	f.checkDocument(t, body)
	for name, r := range map[string]string{
		"unknown":       req("in.gov.cbse-SSCER-1", ""),
		"other issuer":  req("in.gov.other-SSCER-"+f.row["RollNo"]+"2025", ""),
		"bad uri":       req("../../etc/passwd", ""),
		"wrong dob":     req(uri, "<DOB>01-01-1990</DOB>"),
		"pdf requested": strings.Replace(req(uri, ""), `format="xml"`, `format="pdf"`, 1),
	} {
		code, body := f.signed(t, ts.URL+"/digilocker/pulldoc", r)
		if code != 200 || !strings.Contains(body, `Status="0"`) || strings.Contains(body, "DataContent") {
			t.Errorf("%s: HTTP %d\n%s", name, code, body)
		}
	}
}

func TestSecurity(t *testing.T) {
	f := sample(t)
	ts := f.server(t, nil)
	url := ts.URL + "/digilocker/pulluri"
	good := pullURI(f, "", f.goodFields())
	raw := func(body string) string {
		m := hmacRaw(f.key, []byte(body))
		return base64.StdEncoding.EncodeToString(m)
	}
	signed := func(body string) string { return xmlschema.SignBody(f.key, []byte(body)) }
	wrongKeyhash := pullURI(f, ` keyhash="`+strings.Repeat("0", 64)+`"`, f.goodFields())
	tests := []struct {
		name   string
		body   string
		header string // x-digilocker-hmac
		code   int
	}{
		{"no hmac", good, "", 401},
		{"wrong hmac", good, xmlschema.SignBody([]byte("other"), []byte(good)), 401},
		{"hmac of another body", good, signed(good + " "), 401},
		{"raw base64 hmac", good, raw(good), 200},
		{"wrong keyhash", wrongKeyhash, signed(wrongKeyhash), 401},
		{"doctype", "<!DOCTYPE x [<!ENTITY e \"boom\">]>" + good, "", 400},
		{"entity", strings.Replace(good, "SSCER", "&e;", 1), "", 400},
		{"malformed", good[:len(good)-5], "", 400},
		{"other root", `<Foo/>`, "", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == "" && tt.code == 400 {
				h = signed(tt.body) // authentic but malformed
			}
			code, body := post(t, url, tt.body, h)
			if code != tt.code {
				t.Fatalf("HTTP %d, want %d\n%s", code, tt.code, body)
			}
			if code != 200 && (strings.Contains(body, "DataContent") || strings.Contains(body, f.row["Name"])) {
				t.Fatalf("a refused request got document data:\n%s", body)
			}
			// Nothing of an unauthenticated body is parsed, so nothing
			// of it is echoed.
			if code == 401 && tt.name != "wrong keyhash" && !strings.Contains(body, `<ResponseStatus Status="0" ts="" txn="">0</ResponseStatus>`) {
				t.Errorf("a 401 for a bad HMAC echoes the unauthenticated body: %s", body)
			}
		})
	}
	big := `<PullURIRequest><DocDetails><Photo>` + strings.Repeat("A", api.MaxBody) + `</Photo></DocDetails></PullURIRequest>`
	if code, _ := post(t, url, big, xmlschema.SignBody(f.key, []byte(big))); code != 413 {
		t.Errorf("body over 1 MiB: HTTP %d, want 413", code)
	}
}

func hmacRaw(key, body []byte) []byte {
	h := xmlschema.SignBody(key, body)
	hexed, _ := base64.StdEncoding.DecodeString(h)
	raw, _ := hex.DecodeString(string(hexed))
	return raw
}

func TestReplayWindow(t *testing.T) {
	f := sample(t)
	now := time.Date(2025, 6, 1, 10, 0, 30, 0, time.FixedZone("IST", 19800))
	ts := f.server(t, func(c *api.Config) {
		c.ReplayWindow = 5 * time.Minute
		c.Now = func() time.Time { return now }
	})
	url := ts.URL + "/digilocker/pulluri"
	body := pullURI(f, "", f.goodFields())
	if code, b := f.signed(t, url, body); code != 200 {
		t.Fatalf("first request: %d %s", code, b)
	}
	if code, _ := f.signed(t, url, body); code != 401 {
		t.Fatalf("replayed txn: HTTP %d, want 401", code)
	}
	old := strings.Replace(strings.Replace(body, "2025-06-01T10:00:00", "2025-06-01T09:00:00", 1), "tx-1", "tx-2", 1)
	if code, _ := f.signed(t, url, old); code != 401 {
		t.Fatalf("ts an hour old: HTTP %d, want 401", code)
	}
	// Off by default: the same request twice is fine.
	plain := f.server(t, nil)
	for range 2 {
		if code, _ := f.signed(t, plain.URL+"/digilocker/pulluri", body); code != 200 {
			t.Fatalf("without a replay window: HTTP %d", code)
		}
	}
}

func TestRateLimit(t *testing.T) {
	f := sample(t)
	ts := f.server(t, func(c *api.Config) { c.RateLimit = 1 })
	codes := map[int]int{}
	for range 6 {
		resp, err := http.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		codes[resp.StatusCode]++
	}
	if codes[429] == 0 || codes[200] == 0 {
		t.Fatalf("codes %v: want some 200 then 429", codes)
	}
	// The repository routes say it in their own XML, with Retry-After.
	var last string
	for range 6 {
		code, reply := f.signed(t, ts.URL+"/digilocker/pulldoc", pullDocBody("in.gov.cbse-SSCER-1", "xml"))
		if code == http.StatusTooManyRequests {
			last = reply
		}
	}
	if !strings.Contains(last, "<PullDocResponse") || !strings.Contains(last, `Status="0"`) {
		t.Errorf("a Pull Doc over the address's rate: %q, want a PullDocResponse", last)
	}
}

func TestVerifyPage(t *testing.T) {
	f := sample(t)
	ts := f.server(t, nil)
	uri := "in.gov.cbse-SSCER-" + f.row["RollNo"] + "2025"
	resp, err := http.Get(f.verifyURL(ts, uri))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 200 || !strings.Contains(page, "Genuine and active") || !strings.Contains(page, api.MaskName(f.row["Name"])) || !strings.Contains(page, "Class X Marksheet") {
		t.Fatalf("HTTP %d\n%s", resp.StatusCode, page)
	}
	if strings.Contains(page, f.row["Name"]) || strings.Contains(page, f.row["MotherName"]) {
		t.Fatal("the public page shows a full name")
	}
	req, _ := http.NewRequest("GET", f.verifyURL(ts, uri), nil)
	req.Header.Set("Accept", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v api.Verification
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if v.URI != uri || v.Status != "A" || !v.Valid || v.Issuer == "" || v.Name != api.MaskName(f.row["Name"]) || v.IssueDate == "" {
		t.Fatalf("JSON = %+v", v)
	}
	for _, u := range []string{"in.gov.cbse-SSCER-1", "garbage", "in.gov.other-SSCER-" + f.row["RollNo"] + "2025"} {
		resp, _ := http.Get(f.verifyURL(ts, u))
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(b), "Document not found") {
			t.Errorf("%s: HTTP %d", u, resp.StatusCode)
		}
	}
}

func TestHealthMetricsAndLogs(t *testing.T) {
	f := sample(t)
	f.logs.Reset()
	ts, mts := f.servers(t, nil)
	if code, _ := f.signed(t, ts.URL+"/digilocker/pulluri", pullURI(f, "", f.goodFields())); code != 200 {
		t.Fatal(code)
	}
	http.Get(f.verifyURL(ts, "in.gov.cbse-SSCER-"+f.row["RollNo"]+"2025"))
	resp, _ := http.Get(ts.URL + "/healthz")
	if resp.StatusCode != 200 {
		t.Fatalf("healthz: %d", resp.StatusCode)
	}
	resp, _ = http.Get(mts.URL + "/metrics")
	b, _ := io.ReadAll(resp.Body)
	m := string(b)
	for _, want := range []string{`issuerkit_http_requests_total{code="200",route="POST /digilocker/pulluri"} 1`,
		`issuerkit_documents_served_total{doctype="SSCER"} 1`, `issuerkit_http_request_duration_seconds_bucket{route="GET /healthz"`} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	logs := f.logs.String()
	if !strings.Contains(logs, `route="POST /digilocker/pulluri"`) || !strings.Contains(logs, `route="GET /verify/{uri...}"`) {
		t.Fatalf("access log:\n%s", logs)
	}
	for _, secret := range []string{f.row["RollNo"], f.row["Name"], f.row["Aadhaar"], "SSCER-", api.VerifyToken(f.verifyKey, "in.gov.cbse-SSCER-"+f.row["RollNo"]+"2025")} {
		if strings.Contains(logs, secret) {
			t.Errorf("access log holds %q:\n%s", secret, logs)
		}
	}
}

func TestNamesMatch(t *testing.T) {
	// want: by default; initials: with the pull policy's initials on.
	for _, tt := range []struct {
		a, b           string
		want, initials bool
	}{
		{"Aarav Sharma", "aarav  sharma", true, true},
		{"MEERA NAIR.", "Meera Nair", true, true},
		{"A. Sharma", "Aarav Sharma", false, true},
		{"A.K. Sharma", "Anil Kumar Sharma", false, true},
		{"M N", "Meera Nair", false, true},
		{"Meera Nair", "M N", false, true},
		{"Aarav Sharma", "Aarav Verma", false, false},
		{"Aarav", "Aarav Sharma", false, false},
		{"", "", false, false},
		{"B. Sharma", "Aarav Sharma", false, false},
		{"आरव शर्मा", "आरव  शर्मा", true, true},
	} {
		if got := api.NamesMatch(tt.a, tt.b); got != tt.want {
			t.Errorf("NamesMatch(%q, %q) = %v", tt.a, tt.b, got)
		}
		if got := api.NamesMatchInitials(tt.a, tt.b); got != tt.initials {
			t.Errorf("NamesMatchInitials(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
	if !api.DatesMatch("2009-07-01", "01-07-2009") || !api.DatesMatch("01/07/2009", "01-07-2009") || api.DatesMatch("02-07-2009", "01-07-2009") {
		t.Error("DatesMatch")
	}
}

// namesMatchRef is the plain definition NamesMatch keeps without
// allocating: the words of both, upper-cased, equal in order (or, with
// initials, one a one-letter prefix of the other).
func namesMatchRef(given, record string, initials bool) bool {
	words := func(s string) []string { return strings.Fields(strings.ToUpper(strings.ReplaceAll(s, ".", " "))) }
	a, b := words(given), words(record)
	if len(a) == 0 || len(a) != len(b) {
		return false
	}
	for i, x := range a {
		y := b[i]
		if x != y && !(initials && ((utf8.RuneCountInString(x) == 1 && strings.HasPrefix(y, x)) || (utf8.RuneCountInString(y) == 1 && strings.HasPrefix(x, y)))) {
			return false
		}
	}
	return true
}

func FuzzNamesMatch(f *testing.F) {
	for _, s := range [][2]string{{"Aarav Sharma", "aarav  sharma"}, {"A.K. Sharma", "Anil Kumar Sharma"}, {"आरव शर्मा", "आरव  शर्मा"}, {"\xff x", "\xfe X"}, {"ǅ", "Ǆ"}, {" .", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := api.NamesMatch(a, b), namesMatchRef(a, b, false); got != want {
			t.Errorf("NamesMatch(%q, %q) = %v, the definition says %v", a, b, got, want)
		}
		if got, want := api.NamesMatchInitials(a, b), namesMatchRef(a, b, true); got != want {
			t.Errorf("NamesMatchInitials(%q, %q) = %v, the definition says %v", a, b, got, want)
		}
	})
}

// TestNoPullWithoutAudit: a document is not served when its audit entry
// cannot be recorded (here: the audit writer is closed).
func TestNoPullWithoutAudit(t *testing.T) {
	f := sample(t)
	s, err := api.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	code, body := f.signed(t, ts.URL+"/digilocker/pulluri", pullURI(f, "", f.goodFields()))
	if code != http.StatusServiceUnavailable || strings.Contains(body, "DataContent") || !strings.Contains(body, `Status="0"`) {
		t.Fatalf("HTTP %d\n%s", code, body)
	}
}

func TestGracefulShutdown(t *testing.T) {
	f := sample(t)
	s, err := api.New(f.cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httpserve.New("127.0.0.1:0", s.Handler())
	l, err := netListen()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- httpserve.Serve(ctx, srv, l) }()
	body := pullURI(f, "", f.goodFields())
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", "http://"+l.Addr().String()+"/digilocker/pulluri", pr)
	req.Header.Set(xmlschema.HMACHeader, xmlschema.SignBody(f.key, []byte(body)))
	req.ContentLength = int64(len(body))
	got := make(chan int, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	pw.Write([]byte(body[:10])) // the request is in flight…
	time.Sleep(100 * time.Millisecond)
	cancel() // …when SIGTERM arrives
	time.Sleep(100 * time.Millisecond)
	pw.Write([]byte(body[10:]))
	pw.Close()
	if code := <-got; code != 200 {
		t.Fatalf("in-flight request during shutdown: %d, want 200", code)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// TestPullURIJSONView: format="json" answers with the Certificate as JSON
// (xmlschema.ToJSON) in DataContent.
func TestPullURIJSONView(t *testing.T) {
	f := sample(t)
	ts := f.server(t, nil)
	body := strings.Replace(pullURI(f, "", f.goodFields()), `format="xml"`, `format="json"`, 1)
	code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body)
	m := regexp.MustCompile(`<DataContent>([^<]+)</DataContent>`).FindStringSubmatch(reply)
	if code != 200 || m == nil {
		t.Fatalf("HTTP %d\n%s", code, reply)
	}
	raw, _ := base64.StdEncoding.DecodeString(m[1])
	var v struct {
		Certificate struct {
			Number   string `json:"number"`
			IssuedTo struct {
				Person struct {
					Name string `json:"name"`
				}
			}
		}
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.Certificate.Number != f.row["RollNo"]+"2025" || v.Certificate.IssuedTo.Person.Name != f.row["Name"] {
		t.Fatalf("JSON view %s (%v)", raw, err)
	}
}

// TestPullPDF: format="pdf" answers DocContent (a PDF), "both" adds the
// signed XML as DataContent.
func TestPullPDF(t *testing.T) {
	f := sample(t)
	fonts, err := docpdf.LoadFonts("")
	if err != nil {
		testenv.SkipOrFail(t, err.Error())
	}
	ts := f.server(t, func(c *api.Config) {
		c.PDF = &docpdf.Renderer{Fonts: fonts, VerifyURL: "https://example.gov.in", Signer: f.pdfRenderer(t).Signer}
	})
	uri := "in.gov.cbse-SSCER-" + f.row["RollNo"] + "2025"
	for format, wantXML := range map[string]bool{"pdf": false, "both": true} {
		body := `<PullDocRequest ver="1.0" ts="t" txn="x" orgId="o" format="` + format + `"><DocDetails><URI>` + uri + `</URI></DocDetails></PullDocRequest>`
		code, reply := f.signed(t, ts.URL+"/digilocker/pulldoc", body)
		m := regexp.MustCompile(`<DocContent>([^<]+)</DocContent>`).FindStringSubmatch(reply)
		if code != 200 || m == nil {
			t.Fatalf("%s: HTTP %d %.300s", format, code, reply)
		}
		pdf, _ := base64.StdEncoding.DecodeString(m[1])
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("%s: DocContent is not a PDF", format)
		}
		if got := strings.Contains(reply, "<DataContent>"); got != wantXML {
			t.Errorf("%s: DataContent present = %v", format, got)
		}
	}
}

// TestFieldNamesIgnoreCase: DocType and URI are read by name ignoring
// case, as every other DocDetails field is.
func TestFieldNamesIgnoreCase(t *testing.T) {
	f := sample(t)
	ts := f.server(t, nil)
	body := strings.Replace(pullURI(f, "", f.goodFields()), "<DocType>SSCER</DocType>", "<doctype>SSCER</doctype>", 1)
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", body); code != 200 || !strings.Contains(reply, `Status="1"`) {
		t.Errorf("Pull URI with <doctype>: HTTP %d %.300s", code, reply)
	}
	uri := "in.gov.cbse-SSCER-" + f.row["RollNo"] + "2025"
	doc := strings.ReplaceAll(pullDocBody(uri, "xml"), "URI>", "uri>")
	if code, reply := f.signed(t, ts.URL+"/digilocker/pulldoc", doc); code != 200 || !strings.Contains(reply, `Status="1"`) {
		t.Errorf("Pull Doc with <uri>: HTTP %d %.300s", code, reply)
	}
}

// TestMissingHolderFieldTold: a Pull URI that finds the record but lacks a
// field the pull policy requires (DigiLocker sends DOB only when the
// issuer opts for it) is answered as not found, counted by DocType and
// field, and said in the log once, not once a request.
func TestMissingHolderFieldTold(t *testing.T) {
	f := sample(t)
	ts, mts := f.servers(t, nil)
	fields := f.goodFields()
	delete(fields, "DOB")
	for range 3 {
		if code, reply := f.signed(t, ts.URL+"/digilocker/pulluri", pullURI(f, "", fields)); code != 200 || !strings.Contains(reply, `Status="0"`) {
			t.Fatalf("without DOB: HTTP %d %.300s", code, reply)
		}
	}
	resp, err := http.Get(mts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `issuerkit_pull_missing_holder_field_total{doctype="SSCER",field="DOB"} 3`; !strings.Contains(string(b), want) {
		t.Errorf("metrics lack %s", want)
	}
	if n := strings.Count(f.logs.String(), "lack a holder field"); n != 1 {
		t.Errorf("%d log lines about the missing field, want 1:\n%s", n, f.logs.String())
	}
}
