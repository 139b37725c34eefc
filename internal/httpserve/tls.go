package httpserve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
)

// TLS for issuerkit's servers: DigiLocker requires HTTPS of an issuer's
// endpoints. A server given a certificate and key terminates TLS itself —
// TLS 1.2 or later, forward-secret AEAD suites only — and reloads the pair
// on SIGHUP without dropping connections: handshakes after the reload get
// the new certificate, connections already open keep theirs.

// CertReloader serves a certificate and key read from files, re-read by
// Reload.
type CertReloader struct {
	certFile, keyFile string
	cert              atomic.Pointer[tls.Certificate]
}

// NewCertReloader loads the pair; it fails when the files do not hold a
// matching certificate and key.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the pair again; on error the certificate in use stays.
func (r *CertReloader) Reload() error {
	c, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("TLS certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	r.cert.Store(&c)
	return nil
}

// GetCertificate implements tls.Config.GetCertificate.
func (r *CertReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.cert.Load(), nil
}

// ServerTLSConfig is the TLS configuration of every issuerkit server.
func ServerTLSConfig(r *CertReloader) *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: r.GetCertificate,
		// TLS 1.2: ECDHE with AES-GCM or ChaCha20-Poly1305 only (TLS 1.3's
		// suites are all of that kind and not configurable).
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256},
	}
}

// ReloadOnSIGHUP reloads r on every SIGHUP until ctx is done; a failed
// reload is logged and the old certificate kept.
func ReloadOnSIGHUP(ctx context.Context, r *CertReloader, log *slog.Logger) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	go func() {
		defer signal.Stop(ch)
		for {
			select {
			case <-ctx.Done():
				return
			case <-ch:
				if err := r.Reload(); err != nil {
					log.Error("TLS certificate not reloaded; the old one stays", "err", err.Error())
				} else {
					log.Info("TLS certificate reloaded")
				}
			}
		}
	}()
}

// ServeTLS is Serve with TLS terminated on l by r's certificate.
func ServeTLS(ctx context.Context, srv *http.Server, l net.Listener, r *CertReloader) error {
	srv.TLSConfig = ServerTLSConfig(r)
	return serve(ctx, srv, tls.NewListener(wholeListener{l}, srv.TLSConfig))
}

// LoadCAFile reads a PEM bundle of trust anchors for a client talking to a
// server with a private CA; it is used instead of the system roots, as
// curl's --cacert is.
func LoadCAFile(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, errors.New("CA bundle " + path + " holds no PEM certificate")
	}
	return pool, nil
}

// ClientTLSConfig is the TLS configuration of issuerkit's clients: TLS 1.2
// or later, roots from the bundle when one is given (nil: the system's).
func ClientTLSConfig(roots *x509.CertPool) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
}
