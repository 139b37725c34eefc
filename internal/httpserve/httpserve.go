// Package httpserve runs issuerkit's HTTP servers (the repository API and
// the reference locker) with the same timeouts and graceful shutdown, and
// sends the replies whose body is in hand in one write (WriteWhole).
package httpserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// New wraps h with the timeouts every issuerkit server uses.
func New(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ConnContext:       withConn,
	}
}

// Serve runs srv on l until ctx is done, then shuts down gracefully,
// letting requests in flight finish (up to 30 s).
func Serve(ctx context.Context, srv *http.Server, l net.Listener) error {
	return serve(ctx, srv, wholeListener{l})
}

// serve is Serve on a listener whose connections are wholeConns,
// underneath TLS when it is served.
func serve(ctx context.Context, srv *http.Server, l net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Recorder wraps a ResponseWriter to note the status and the bytes
// written, for access logs and metrics.
type Recorder struct {
	http.ResponseWriter
	Status int
	Bytes  int
	conn   *wholeConn // the request's connection, when WriteWhole may hold its writes
}

// Record returns a Recorder over w, the writer of r; the status is 200
// until set.
func Record(w http.ResponseWriter, r *http.Request) *Recorder {
	rec := &Recorder{ResponseWriter: w, Status: http.StatusOK}
	if r.ProtoMajor == 1 {
		// HTTP/1 writes the reply on the handler's goroutine, which is
		// what lets WriteWhole hold the connection's writes.
		rec.conn, _ = r.Context().Value(connKey{}).(*wholeConn)
	}
	return rec
}

// Unwrap gives http.ResponseController the writer underneath.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// WriteHeader implements http.ResponseWriter.
func (r *Recorder) WriteHeader(code int) {
	r.Status = code
	r.ResponseWriter.WriteHeader(code)
}

// Write implements http.ResponseWriter.
func (r *Recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.Bytes += n
	return n, err
}

// ClientIP is the request's peer address without the port.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
