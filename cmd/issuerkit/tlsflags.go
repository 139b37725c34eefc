package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/urfave/cli/v2"
)

// tlsOptions are serve's and locker serve's TLS flags.
type tlsOptions struct{ Cert, Key string }

func (o *tlsOptions) flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "tls-cert", Destination: &o.Cert, Usage: "serve HTTPS with this certificate `PEM` (chain, leaf first); SIGHUP reloads it"},
		&cli.StringFlag{Name: "tls-key", Destination: &o.Key, Usage: "the certificate's private key `PEM` file"},
	}
}

// serveMaybeTLS serves srv on l, over TLS with r when it is not nil
// (TLS 1.2+, reloaded on SIGHUP).
func serveMaybeTLS(c *cli.Context, log *slog.Logger, srv *http.Server, l net.Listener, r *httpserve.CertReloader) error {
	if r == nil {
		return httpserve.Serve(c.Context, srv, l)
	}
	ctx, cancel := context.WithCancel(c.Context)
	defer cancel()
	httpserve.ReloadOnSIGHUP(ctx, r, log)
	return httpserve.ServeTLS(c.Context, srv, l, r)
}

// load loads --tls-cert and --tls-key (nil without them), so a bad pair
// fails before anything listens.
func (o *tlsOptions) load() (*httpserve.CertReloader, error) {
	if (o.Cert == "") != (o.Key == "") {
		return nil, usageErr("--tls-cert and --tls-key go together")
	}
	if o.Cert == "" {
		return nil, nil
	}
	return httpserve.NewCertReloader(o.Cert, o.Key)
}

// scheme is the URL scheme serve answers on.
func (o *tlsOptions) scheme() string {
	if o.Cert != "" {
		return "https"
	}
	return "http"
}

// caFlag is the CA bundle flag of the outbound clients.
func caFlag(dest *string, usage string) cli.Flag {
	return &cli.StringFlag{Name: "ca-file", Destination: dest, Usage: usage}
}

// caRoots loads a --ca-file, or returns nil (the system's roots) for "".
func caRoots(file string) (*x509.CertPool, error) {
	if file == "" {
		return nil, nil
	}
	roots, err := httpserve.LoadCAFile(file)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	return roots, nil
}
