package locker_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/locker"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// TestPullNeverFollowsRedirects: an issuer endpoint answering 307 or 308
// would get the signed Pull Doc (HMAC and keyhash) re-sent to another
// host. Pull reports the redirect as an error and the other host sees
// nothing, also with a client that would follow redirects.
func TestPullNeverFollowsRedirects(t *testing.T) {
	var stolen atomic.Int32
	thief := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(xmlschema.HMACHeader) != "" || r.ContentLength > 0 {
			stolen.Add(1)
		}
	}))
	defer thief.Close()
	for _, code := range []int{http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, thief.URL+r.URL.Path, code)
		}))
		is := &locker.Issuer{ID: issuer, APIKey: key, PullURL: redirector.URL}
		_, _, err := locker.Pull(context.Background(), &http.Client{}, is, issuer+"-SSCER-7", "dl-1")
		redirector.Close()
		if !errors.Is(err, httpserve.ErrRedirect) {
			t.Errorf("HTTP %d: Pull error = %v, want a refused redirect", code, err)
		}
	}
	if n := stolen.Load(); n != 0 {
		t.Fatalf("%d signed pulls were re-sent to the redirect's host", n)
	}
}
