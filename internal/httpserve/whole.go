package httpserve

import (
	"bytes"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync"
)

// maxWhole is the largest body WriteWhole sends in one write; a larger one
// is written as net/http writes it (copying it once more would cost more
// than the write it saves).
const maxWhole = 64 << 10

// WriteWhole writes a reply whose body is all in hand: the status code,
// then body. When w is a Recorder of an HTTP/1 request that Serve
// accepted, the header and the body leave in one write to the connection:
// net/http's 4 KB connection buffer would send a reply above that size in
// two writes (and two TCP segments), and a server answering small requests
// pays for each. Any other writer gets WriteHeader and Write. Set
// Content-Length first, so the reply is not chunked.
func WriteWhole(w http.ResponseWriter, code int, body []byte) error {
	rec, ok := w.(*Recorder)
	if !ok || rec.conn == nil || len(body) > maxWhole {
		w.WriteHeader(code)
		_, err := w.Write(body)
		return err
	}
	c := rec.conn
	c.hold()
	rec.WriteHeader(code)
	_, err := rec.Write(body)
	if err == nil {
		err = http.NewResponseController(rec).Flush()
	}
	if rerr := c.release(); err == nil {
		err = rerr
	}
	return err
}

// connKey is the context key of a request's *wholeConn.
type connKey struct{}

// withConn is http.Server.ConnContext: it makes the connection, as Serve's
// listener accepted it, known to the requests it carries.
func withConn(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if wc, ok := c.(*wholeConn); ok {
		return context.WithValue(ctx, connKey{}, wc)
	}
	return ctx
}

// wholeListener accepts wholeConns.
type wholeListener struct{ net.Listener }

func (l wholeListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &wholeConn{Conn: c}, nil
}

// wholeConn is a connection whose writes can be held and sent as one.
// hold, release and Write are called only from the goroutine that serves
// the connection's HTTP/1 requests.
type wholeConn struct {
	net.Conn
	held *bytes.Buffer // what was written since hold; nil when not holding
}

var heldBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (c *wholeConn) hold() {
	c.held = heldBuffers.Get().(*bytes.Buffer)
	c.held.Reset()
}

// release writes what was held, in one write.
func (c *wholeConn) release() error {
	b := c.held
	c.held = nil
	defer heldBuffers.Put(b)
	_, err := c.Conn.Write(b.Bytes())
	return err
}

func (c *wholeConn) Write(p []byte) (int, error) {
	if c.held != nil {
		return c.held.Write(p)
	}
	return c.Conn.Write(p)
}

// ReadFrom keeps the TCP connection's own (sendfile, splice), which
// net/http uses to send files.
func (c *wholeConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok && c.held == nil {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c}, r)
}

// CloseWrite keeps the TCP connection's half-close, which net/http uses
// before closing a connection it refused.
func (c *wholeConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// writerOnly hides a writer's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }
