package store

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestS3StalledBodyTimesOut: an S3 endpoint that sends a GET's headers
// and then stalls in its body fails the Get at s3RequestTimeout instead of
// holding it for ever (the transport's own timeouts end at the headers).
func TestS3StalledBodyTimesOut(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead || r.URL.Path == "/bkt/" || r.URL.Path == "/bkt" {
			return // the bucket exists
		}
		w.Header().Set("Content-Length", "1000")
		w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		w.Header().Set("Last-Modified", time.Now().UTC().Format(http.TimeFormat))
		w.Write([]byte("<Certificate"))
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // before srv.Close, which waits for the handler
	defer func(d time.Duration) { s3RequestTimeout = d }(s3RequestTimeout)
	s3RequestTimeout = 300 * time.Millisecond
	ctx := context.Background()
	s, err := OpenS3(ctx, S3Config{Endpoint: srv.URL, Bucket: "bkt", AccessKey: "k", SecretKey: "s", MaxRetries: 1})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Get(ctx, "in.gov.x/SSCER/1/v1.xml")
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Get of a stalled body returned no error")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Get still waiting on a stalled body after 20 s")
	}
}
