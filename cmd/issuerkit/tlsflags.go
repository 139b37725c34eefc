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

// tlsFlags are serve's and locker serve's TLS flags.
func tlsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "tls-cert", Usage: "serve HTTPS with this certificate `PEM` (chain, leaf first); SIGHUP reloads it"},
		&cli.StringFlag{Name: "tls-key", Usage: "the certificate's private key `PEM` file"},
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

// tlsFromFlags loads --tls-cert and --tls-key (nil without them), so a bad
// pair fails before anything listens.
func tlsFromFlags(c *cli.Context) (*httpserve.CertReloader, error) {
	cert, key := c.String("tls-cert"), c.String("tls-key")
	if (cert == "") != (key == "") {
		return nil, usageErr("--tls-cert and --tls-key go together")
	}
	if cert == "" {
		return nil, nil
	}
	return httpserve.NewCertReloader(cert, key)
}

// scheme is the URL scheme serve answers on.
func scheme(c *cli.Context) string {
	if c.String("tls-cert") != "" {
		return "https"
	}
	return "http"
}

// caFlag is the CA bundle flag of the outbound clients.
func caFlag(usage string) cli.Flag {
	return &cli.StringFlag{Name: "ca-file", Usage: usage}
}

// caRoots loads --ca-file, or returns nil (the system's roots).
func caRoots(c *cli.Context) (*x509.CertPool, error) {
	f := c.String("ca-file")
	if f == "" {
		return nil, nil
	}
	roots, err := httpserve.LoadCAFile(f)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	return roots, nil
}
