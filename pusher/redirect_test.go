package pusher_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/pusher"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestPushNeverFollowsRedirects: a gateway answering 307 or 308 to another
// host would get the push's body (the raw Aadhaar) and its HMAC re-sent
// there by Go's client. The other host must see nothing, and the pusher
// must say why it failed.
func TestPushNeverFollowsRedirects(t *testing.T) {
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			f := newFixture(t, locker.Faults{})
			f.issue(0, 3, 1)
			var stolen atomic.Int32
			thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if len(b) > 0 || r.Header.Get(xmlschema.HMACHeader) != "" {
					stolen.Add(1)
				}
			}))
			defer thief.Close()
			redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, thief.URL+r.URL.Path, code)
			}))
			defer redirector.Close()
			for _, client := range []*http.Client{nil, {}} { // the default client, and a caller's
				p := f.pusher(func(c *pusher.Config) { c.Gateway, c.Client, c.MaxAttempts = redirector.URL, client, 1 })
				f.run(p, 200*time.Millisecond)
			}
			if n := stolen.Load(); n != 0 {
				t.Fatalf("%d pushes were re-sent to the redirect's host", n)
			}
			if logs := f.logs.String(); !strings.Contains(logs, "redirect refused") {
				t.Fatalf("the log does not say a redirect was refused:\n%s", logs)
			}
			f.noAadhaarInLogs()
		})
	}
}
