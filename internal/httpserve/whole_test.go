package httpserve

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener counts the writes to the connections it accepts.
type countingListener struct {
	net.Listener
	writes atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &l.writes}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(p)
}

// serveCounting runs Serve with h on a counting listener, over TLS when
// tlsPair is given, and returns the base URL, the write counter and a
// client for it.
func serveCounting(t *testing.T, h http.Handler, tlsPair ...string) (string, *atomic.Int64, *http.Client) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: l}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	srv := New("", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(Record(w, r), r) }))
	url, hc := "http://"+l.Addr().String(), &http.Client{Timeout: 5 * time.Second}
	if len(tlsPair) == 0 {
		go func() { done <- Serve(ctx, srv, cl) }()
	} else {
		r, err := NewCertReloader(tlsPair[0], tlsPair[1])
		if err != nil {
			t.Fatal(err)
		}
		roots, err := LoadCAFile(tlsPair[2])
		if err != nil {
			t.Fatal(err)
		}
		go func() { done <- ServeTLS(ctx, srv, cl, r) }()
		url, hc = "https://"+l.Addr().String(), client(roots, 0)
	}
	t.Cleanup(func() {
		hc.CloseIdleConnections()
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return url, &cl.writes, hc
}

// TestWriteWholeOneWrite: a 10 KB reply through WriteWhole leaves in one
// write to the connection, over HTTP and HTTPS, request after request on
// one connection; the same reply through Write takes more (so the count
// measures what WriteWhole saves).
func TestWriteWholeOneWrite(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 640)
	reply := func(whole bool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.Copy(io.Discard, r.Body)
			if (r.TLS != nil) != (r.Header.Get("Want-TLS") != "") {
				t.Errorf("request's TLS state %v", r.TLS)
			}
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			if whole {
				if err := WriteWhole(w, http.StatusAccepted, body); err != nil {
					t.Errorf("WriteWhole: %v", err)
				}
				return
			}
			w.WriteHeader(http.StatusAccepted)
			w.Write(body)
		})
	}
	dir := t.TempDir()
	ca := newTestCA(t, dir)
	crt, key := ca.leaf(t, dir, "srv", []string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	for _, tc := range []struct {
		name   string
		whole  bool
		tls    []string
		writes func(int64) bool
	}{
		{"http, WriteWhole", true, nil, func(n int64) bool { return n == 1 }},
		{"http, Write", false, nil, func(n int64) bool { return n >= 2 }},
		{"https, WriteWhole", true, []string{crt, key, ca.pem}, func(n int64) bool { return n == 1 }},
		{"https, Write", false, []string{crt, key, ca.pem}, func(n int64) bool { return n >= 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url, writes, hc := serveCounting(t, reply(tc.whole), tc.tls...)
			for i := range 3 {
				// The first request's handshake writes too; count from
				// the second on.
				before := writes.Load()
				req, _ := http.NewRequest("POST", url+"/", bytes.NewReader([]byte("ask")))
				if tc.tls != nil {
					req.Header.Set("Want-TLS", "yes")
				}
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != http.StatusAccepted || !bytes.Equal(got, body) {
					t.Fatalf("request %d: HTTP %d, %d bytes, %v", i, resp.StatusCode, len(got), err)
				}
				if n := writes.Load() - before; i > 0 && !tc.writes(n) {
					t.Errorf("request %d: %d writes to the connection", i, n)
				}
			}
		})
	}
}

// TestWriteWholeElsewhere: a writer that is not a Serve connection's
// Recorder, and a body above maxWhole, get the reply all the same.
func TestWriteWholeElsewhere(t *testing.T) {
	big := bytes.Repeat([]byte("x"), maxWhole+1)
	for name, body := range map[string][]byte{"small": []byte("hello"), "big": big} {
		t.Run(name, func(t *testing.T) {
			url, _, hc := serveCounting(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(len(body)))
				if r.URL.Path == "/bare" {
					w = w.(*Recorder).ResponseWriter
				}
				WriteWhole(w, http.StatusOK, body)
			}))
			for _, path := range []string{"/", "/bare"} {
				resp, err := hc.Get(url + path)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
					t.Errorf("%s: HTTP %d, %d bytes", path, resp.StatusCode, len(got))
				}
			}
		})
	}
}
