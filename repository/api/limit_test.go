package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestBucketsEvictOneAtATime: a client that has spent its tokens stays
// limited while thousands of new addresses arrive (the old map was cleared
// whole at its bound, giving everyone fresh tokens); only the bucket used
// least recently goes, and the map never grows past its bound.
func TestBucketsEvictOneAtATime(t *testing.T) {
	b := newBuckets(0.001, 1, 100)
	if !b.allow("attacker") || b.allow("attacker") {
		t.Fatal("burst of 1 not applied")
	}
	for i := range 1000 {
		b.allow(fmt.Sprint("rotating-", i))
		if i%50 == 0 && b.allow("attacker") { // keeps it recently used
			t.Fatalf("after %d new addresses the spent bucket is full again", i)
		}
	}
	if n := b.len(); n != 100 {
		t.Fatalf("%d buckets, want the bound 100", n)
	}
}

// TestClientAddr: X-Forwarded-For is believed only from a trusted proxy,
// and then only its right-most untrusted hop (a client can prepend any
// address it likes).
func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies([]string{"10.0.0.0/8", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ peer, xff, want string }{
		{"203.0.113.5:4000", "", "203.0.113.5"},
		{"203.0.113.5:4000", "198.51.100.1", "203.0.113.5"}, // not a proxy: header ignored
		{"10.1.2.3:4000", "198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:4000", "1.1.1.1, 198.51.100.1", "198.51.100.1"}, // spoofed left part ignored
		{"10.1.2.3:4000", "198.51.100.1, 10.9.9.9", "198.51.100.1"},
		{"192.0.2.7:4000", "198.51.100.2", "198.51.100.2"},
		{"10.1.2.3:4000", "garbage, 198.51.100.1", "198.51.100.1"},
		{"10.1.2.3:4000", "198.51.100.1, garbage", "10.1.2.3"},
		{"[::ffff:10.1.2.3]:4000", "198.51.100.3", "198.51.100.3"},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/healthz", nil)
		r.RemoteAddr = tt.peer
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := clientAddr(r, trusted); got != tt.want {
			t.Errorf("peer %s XFF %q: %s, want %s", tt.peer, tt.xff, got, tt.want)
		}
	}
	if _, err := ParseTrustedProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

// TestLongOrgIDsShareNoMemory: a locker key holder sending ever new long
// orgIds makes buckets named by a short hash, never by the orgId itself.
func TestLongOrgIDsShareNoMemory(t *testing.T) {
	l := newLimits(Config{OrgRateLimit: 1})
	long := strings.Repeat("o", 100_000)
	if !l.allowOrg(long) {
		t.Fatal("the first request was refused")
	}
	for k := range l.org.byKey {
		if len(k) > 80 {
			t.Errorf("a bucket is named by %d bytes", len(k))
		}
	}
}

func TestIsExtra(t *testing.T) {
	for name, want := range map[string]bool{"UDF1": true, "udf12": true, "Mobile": true, "tracking_id": true,
		"UDF": false, "UDFx": false, "RollNo": false, "Year": false, "udf1a": false} {
		if got := isExtra(name); got != want {
			t.Errorf("isExtra(%q) = %v", name, got)
		}
	}
}

// TestCertificateAPIInLockerBucket: the certificate API's requests share
// the per-address bucket of the locker routes (--rate-limit), not that of
// /healthz.
func TestCertificateAPIInLockerBucket(t *testing.T) {
	l := newLimits(Config{RateLimit: 1})
	req := func(path string) *http.Request { return httptest.NewRequest("POST", path, nil) }
	for i := range 2 { // the burst
		if !l.allow(req("/apisetu/sscer/certificate"), "203.0.113.9") {
			t.Fatalf("request %d of the burst of 2 was refused", i+1)
		}
	}
	if l.allow(req("/digilocker/pulluri"), "203.0.113.9") {
		t.Error("a locker route got a token the certificate API had used up")
	}
	if !l.allow(req("/healthz"), "203.0.113.9") {
		t.Error("/healthz shares the certificate API's bucket")
	}
}
