package httpserve

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrRedirect is wrapped by the error of a request a server answered with
// a redirect that NoRedirects refused.
var ErrRedirect = errors.New("redirect refused")

// NoRedirects is the CheckRedirect of every client that sends a signed or
// personal request (a push holding an Aadhaar number, a Pull Doc with its
// x-digilocker-hmac): on 307 and 308 Go would send the same body and
// headers to wherever the Location points. The redirect becomes an error
// naming only the new host.
func NoRedirects(req *http.Request, _ []*http.Request) error {
	return fmt.Errorf("%w: the server redirects to %s; a signed request is not re-sent elsewhere (fix the configured URL)", ErrRedirect, req.URL.Host)
}

// WithoutRedirects returns a copy of c (or of http.DefaultClient's settings
// when c is nil) that follows no redirect.
func WithoutRedirects(c *http.Client) *http.Client {
	var out http.Client
	if c != nil {
		out = *c
	}
	out.CheckRedirect = NoRedirects
	return &out
}
