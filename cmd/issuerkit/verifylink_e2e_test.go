//go:build integration

package main

import (
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/internal/testenv"
	"github.com/issuerkit/issuerkit/repository/api"
)

// TestVerifyLinkInPDF: get --format link prints the document's /verify
// link with its token; the QR code of get's PDF (decoded with zbarimg)
// carries exactly that link; serve opens the page with it and answers 404
// without the token, as for an unknown document; serve's /metrics is only
// on --metrics-addr.
func TestVerifyLinkInPDF(t *testing.T) {
	pdftoppm := testenv.Tool(t, "pdftoppm", "poppler-utils")
	zbarimg := testenv.Tool(t, "zbarimg", "zbar-tools")
	dir := t.TempDir()
	hdir := filepath.Join(dir, "home")
	h := "--home=" + hdir
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE", "--key-type", "ecdsa-p256")
	mustCLI(t, h, "ingest", "--quiet", "--profile", profile, sample)
	const uri = "in.gov.cbse-SSCER-75000032025"
	got := mustCLI(t, h, "get", uri, "--format", "link")
	link := strings.TrimSpace(got.stdout)
	// With no api.public_url the link names this machine: get says so.
	if !strings.Contains(got.stderr, "api.public_url is not set") {
		t.Errorf("get --format link without api.public_url: stderr %q, want the warning", got.stderr)
	}
	hm, err := home.Open(hdir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := hm.VerifyKey()
	if err != nil {
		t.Fatal(err)
	}
	tok := api.VerifyToken(key, uri)
	if want := "http://" + home.DefaultServeAddr + "/verify/" + uri + "?k=" + tok; link != want {
		t.Fatalf("get --format link = %q, want %q", link, want)
	}

	pdf := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(pdf, []byte(mustCLI(t, h, "get", uri, "--format", "pdf").stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pdftoppm, "-r", "110", "-png", "-singlefile", pdf, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	qr, err := exec.Command(zbarimg, "-q", "--raw", filepath.Join(dir, "page.png")).Output()
	if err != nil {
		t.Fatalf("zbarimg found no QR code: %v", err)
	}
	if got := strings.TrimSpace(string(qr)); got != link || !strings.Contains(got, "?k="+tok) {
		t.Fatalf("QR code = %q, want %q with token %s", got, link, tok)
	}

	// A home made before tokens: the key is created on first use, once.
	os.Remove(filepath.Join(hdir, home.VerifyKeyFile))
	first := mustCLI(t, h, "get", uri, "--format", "link").stdout
	if first == link+"\n" || mustCLI(t, h, "get", uri, "--format", "link").stdout != first {
		t.Fatalf("a recreated key: links %q then not stable", first)
	}
	if fi, err := os.Stat(filepath.Join(hdir, home.VerifyKeyFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("verify key: %v %v", fi, err)
	}
	link = strings.TrimSpace(first)

	addr := freeAddr(t)
	var logs syncLog
	var metrics string
	startListener(t, &logs, &addr, false, func(addr string) *exec.Cmd {
		metrics = freeAddr(t)
		return exec.Command(buildBinary(t), "--home", hdir, "serve", "--addr", addr, "--metrics-addr", metrics)
	})
	// /metrics is on its own address, and on the API's for this host only
	// (not through a proxy).
	for u, want := range map[string]int{"http://" + addr + "/metrics": 200, "http://" + addr + "/metrics?via=proxy": 404, "http://" + metrics + "/metrics": 200} {
		req, _ := http.NewRequest("GET", u, nil)
		if strings.HasSuffix(u, "?via=proxy") {
			req.Header.Set("X-Forwarded-For", "203.0.113.5")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: HTTP %d, want %d", u, resp.StatusCode, want)
		}
	}
	served := strings.Replace(link, home.DefaultServeAddr, addr, 1)
	// The PDF a locker gets from serve (Pull Doc DocContent) carries the
	// same link, with serve's address.
	code, reply := postSigned(t, hdir, "http://"+addr+"/digilocker/pulldoc",
		`<PullDocRequest ver="1.0" ts="TS" txn="TXN" orgId="in.gov.locker" format="pdf"><DocDetails><URI>`+uri+`</URI></DocDetails></PullDocRequest>`)
	m := regexp.MustCompile(`<DocContent>([^<]+)</DocContent>`).FindStringSubmatch(reply)
	if code != 200 || m == nil {
		t.Fatalf("Pull Doc: HTTP %d %.300s", code, reply)
	}
	apiPDF, _ := base64.StdEncoding.DecodeString(m[1])
	if err := os.WriteFile(pdf, apiPDF, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(pdftoppm, "-r", "110", "-png", "-singlefile", pdf, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	if qr, err := exec.Command(zbarimg, "-q", "--raw", filepath.Join(dir, "page.png")).Output(); err != nil || strings.TrimSpace(string(qr)) != served {
		t.Fatalf("the API's PDF: QR code %q (%v), want %q", qr, err, served)
	}
	for u, want := range map[string]int{served: 200, strings.Split(served, "?")[0]: 404, otherLastChar(served): 404} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: HTTP %d, want %d", u, resp.StatusCode, want)
		}
	}
}

// otherLastChar is s with its last character changed (a token that already
// ended in "x" once made "x" the same link).
func otherLastChar(s string) string {
	last := byte('x')
	if s[len(s)-1] == last {
		last = 'y'
	}
	return s[:len(s)-1] + string(last)
}
