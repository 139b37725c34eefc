//go:build integration

package locker_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/issuerkit/issuerkit/internal/testenv"
)

// browser starts headless Chromium with a phone-sized window. When the test
// fails, the page it was on is saved as a screenshot under
// $ISSUERKIT_TEST_ARTIFACTS (default: the system temp dir's
// issuerkit-test-artifacts).
func browser(t *testing.T) context.Context {
	t.Helper()
	exe := testenv.Tool(t, "chromium", "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.WindowSize(390, 844), chromedp.Flag("disable-gpu", true))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			saveScreenshot(t, ctx)
		}
		cancelT()
		cancelB()
		cancelA()
	})
	return ctx
}

func saveScreenshot(t *testing.T, ctx context.Context) {
	dir := os.Getenv("ISSUERKIT_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "issuerkit-test-artifacts")
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	os.MkdirAll(dir, 0o755)
	p := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".png")
	if err := os.WriteFile(p, png, 0o644); err == nil {
		t.Logf("screenshot of the failing page: %s", p)
	}
}

// TestBrowserMainPath walks what a student does in a real browser: sign in
// with the OTP from the outbox and a new PIN, link Aadhaar, pull her
// marksheet by roll number, view it verified, then allow the bank's
// consent request, which the bank then reads.
func TestBrowserMainPath(t *testing.T) {
	f := newSandbox(t)
	ctx := browser(t)
	base := f.srv.URL
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel chromedp.CSS) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	id := func(s string) chromedp.ID { return chromedp.ID(s) }
	clear := func(field string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := chromedp.Evaluate[string](`document.getElementById("`+field+`").value = ""`)(ctx, tg)
			return err
		})
	}
	// A mistyped field's error is shown at the field, which is marked.
	fieldError := func(field, want string) {
		t.Helper()
		do(field+" error", chromedp.WaitVisible(id(field+"-error")))
		if m := text(chromedp.CSS("#" + field + "-error")); !strings.Contains(m, want) {
			t.Errorf("the error at %s says %q, want %q", field, m, want)
		}
		inv, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("`+field+`").getAttribute("aria-invalid")`))
		if err != nil || inv != "true" {
			t.Errorf("%s is not marked invalid (%q, %v)", field, inv, err)
		}
		if n, _ := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#error").length`)); n != 0 {
			t.Errorf("the %s error is shown at the top too", field)
		}
	}
	do("sign-in page", chromedp.Navigate(base+"/"), chromedp.WaitVisible(id("mobile")),
		chromedp.SendKeys(id("mobile"), "12345"), chromedp.Click(id("send-otp")))
	fieldError("mobile", "Enter the 10-digit mobile number")
	do("sign-in again", clear("mobile"), chromedp.SendKeys(id("mobile"), mobile), chromedp.Click(id("send-otp")),
		chromedp.WaitVisible(id("otp")))
	do("OTP and PIN", chromedp.SendKeys(id("otp"), f.latestOTP(mobile)), chromedp.SendKeys(id("pin"), "135790"),
		chromedp.Click(id("verify")), chromedp.WaitVisible(`//h1[text()="Issued Documents"]`))
	do("link Aadhaar", chromedp.Navigate(base+"/aadhaar"), chromedp.WaitVisible(id("aadhaar")),
		chromedp.SendKeys(id("aadhaar"), alice), chromedp.SendKeys(id("name"), meeraName),
		chromedp.SendKeys(id("dob"), "2008/05/14"), chromedp.Click(id("link")))
	fieldError("dob", "Want DD-MM-YYYY")
	// The name stays as typed; the Aadhaar number is not sent back.
	if v, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("name").value`)); v != meeraName {
		t.Errorf("the name field reads %q after the error, want %q", v, meeraName)
	}
	do("link Aadhaar again", chromedp.SendKeys(id("aadhaar"), alice), clear("dob"), chromedp.SendKeys(id("dob"), meeraDOB),
		chromedp.Click(id("link")), chromedp.WaitVisible(`//h1[text()="Issuers"]`))
	// Each form's fields have ids of their own (issuer 0, DocType 0). A
	// pull that finds nothing says so inside the form that was sent.
	do("pull a roll number that is not there", chromedp.SendKeys(id("p0-0-RollNo"), "7500004"), chromedp.SendKeys(id("p0-0-Year"), meeraYear),
		chromedp.Submit(id("p0-0-Year")), chromedp.WaitVisible(chromedp.CSS("form #pull-error")))
	if m := text("#pull-error"); !strings.Contains(m, "found no document") {
		t.Errorf("the pull's error says %q", m)
	}
	do("pull by roll number", chromedp.SendKeys(id("p0-0-RollNo"), meeraRoll), chromedp.SendKeys(id("p0-0-Year"), meeraYear),
		chromedp.Submit(id("p0-0-Year")), chromedp.WaitVisible(id("verified")))
	if h := text("#holder"); h != meeraName {
		t.Errorf("the document page names %q, want %q", h, meeraName)
	}
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`))
	if err != nil || !fits {
		t.Errorf("the document page scrolls sideways on a phone-sized screen (%v)", err)
	}
	do("Issued Documents", chromedp.Navigate(base+"/issued"), chromedp.WaitVisible(chromedp.CSS(".doc")))
	if m := text("main"); !strings.Contains(m, meeraURI) {
		t.Errorf("Issued Documents does not list %s:\n%s", meeraURI, m)
	}
	bank := f.client()
	var s map[string]string
	bank.do("POST", "/kyc/digilocker/sessions/init", map[string]any{"flow": "signin", "doc_types": []string{"SSCER"}, "purpose": "Education loan"}, bankHdr, &s)
	do("consent screen", chromedp.Navigate(s["authorization_url"]), chromedp.WaitVisible(id("grant")))
	m := text("main")
	for _, want := range []string{"Bank bank", "Class X Marksheet", "Education loan", "1h0m0s"} {
		if !strings.Contains(m, want) {
			t.Errorf("the consent screen does not say %q:\n%s", want, m)
		}
	}
	do("allow", chromedp.Click(id("grant")), chromedp.WaitVisible(id("decided")))
	if st, d := bank.document(s["session_id"], "SSCER", bankHdr); st != 200 || d["signature_verified"] != true {
		t.Fatalf("the bank's read after consent: HTTP %d %v", st, d)
	}
	do("activity", chromedp.Navigate(base+"/activity"), chromedp.WaitVisible(chromedp.CSS(".entry")))
	text2 := text("main")
	for _, want := range []string{"Document shared", "Consent given", "Opened a document", "Searched an issuer", "Signed in", " IST"} {
		if !strings.Contains(text2, want) {
			t.Errorf("the activity page has no %q:\n%s", want, text2)
		}
	}
	if i, j := strings.Index(text2, "Document shared"), strings.Index(text2, "Signed in"); i > j {
		t.Error("the activity page is not newest first")
	}
}
