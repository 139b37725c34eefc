package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/urfave/cli/v2"
)

func serveCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the repository API to lockers (Pull URI, Pull Doc), the API Setu certificate API, /verify, /healthz; /metrics apart",
		Description: "Lockers authenticate with x-digilocker-hmac over the raw body, keyed with keys/api-key.\n" +
			"Routes: POST /digilocker/pulluri, POST /digilocker/pulldoc, GET /verify/{URI}?k={token}\n" +
			"POST /apisetu/{doctype}/certificate (requesters of `issuerkit requester add`, with consent artifacts\n" +
			"signed by a consent manager of `issuerkit consent trust`),\n" +
			"(the link on a document's PDF: `issuerkit get URI --format link`), GET /healthz; GET /metrics\n" +
			"(Prometheus) only on --metrics-addr. SIGINT or SIGTERM stops it after in-flight requests finish.\n\n" +
			"Example:\n" +
			"   issuerkit serve --addr 127.0.0.1:8080\n" +
			"   issuerkit serve --addr :8443 --rate-limit 50 --org-rate-limit 200 --trusted-proxy 10.0.0.0/8\n" +
			"   issuerkit serve --addr :8443 --tls-cert fullchain.pem --tls-key key.pem   # HTTPS; kill -HUP reloads the pair",
		Flags: append(append(tlsFlags(),
			&cli.StringFlag{Name: "addr", Value: home.DefaultServeAddr, Usage: "listen `ADDRESS`"},
			&cli.StringFlag{Name: "metrics-addr", Value: "127.0.0.1:9464", Usage: "listen `ADDRESS` of GET /metrics, apart from the API (\"\": no metrics)"},
			&cli.DurationFlag{Name: "replay-window", Value: 5 * time.Minute, Usage: "refuse requests whose ts is further than this from now, and an orgId's txn used twice within it (0: off)"},
			&cli.Float64Flag{Name: "rate-limit", Usage: "requests per second one client address may make to the locker and certificate API routes before authentication, and to /healthz (0: unlimited)"},
			&cli.Float64Flag{Name: "org-rate-limit", Usage: "requests per second one authenticated locker (orgId) may make (0: unlimited)"},
			&cli.Float64Flag{Name: "verify-rate-limit", Value: api.DefaultVerifyRate, Usage: "requests per second one client address may make to /verify, in its own bucket (negative: unlimited)"},
			&cli.StringSliceFlag{Name: "trusted-proxy", Usage: "`CIDR` or address of a load balancer whose X-Forwarded-For names the client (repeatable)"},
			&cli.StringSliceFlag{Name: "profile", Usage: "a profile `FILE` whose search keys and pull policy to answer with (besides those ingest recorded in the home; repeatable)"},
			&cli.IntFlag{Name: "cache-mb", Value: 128, Usage: "memory for documents kept ready to serve, in `MiB` (0: none)"},
		), apisetuFlags()...),
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			tlsCert, err := tlsFromFlags(c)
			if err != nil {
				return err
			}
			r, err := openRepo(c, true)
			if err != nil {
				return err
			}
			defer r.Close()
			atLeastTwoProcs()
			h := r.h
			srv, err := newAPIServer(c, e, r)
			if err != nil {
				return err
			}
			if err := mountAPISetu(c, e, r, srv); err != nil {
				return err
			}
			stopMetrics, err := serveMetrics(c.Context, e, c.String("metrics-addr"), srv.MetricsHandler())
			if err != nil && c.IsSet("metrics-addr") {
				return err
			}
			if err != nil {
				// The default address is taken (another serve on this
				// host): the API still serves, without metrics.
				e.log.Warn("metrics are off", "err", err.Error())
				stopMetrics = func() {}
			}
			defer stopMetrics()
			l, err := net.Listen("tcp", c.String("addr"))
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			e.log.Info("serving the repository API", "addr", l.Addr().String(), "issuer", h.Config.Issuer.ID)
			fmt.Fprintf(e.stderr, "issuerkit: serving %s on %s://%s (Ctrl-C stops)\n", h.Config.Issuer.ID, scheme(c), l.Addr())
			err = serveMaybeTLS(c, e.log, httpserve.New(c.String("addr"), srv.Handler()), l, tlsCert)
			srv.Close() // records the pulls still queued for the audit log
			if err == nil && c.Context.Err() != nil {
				e.log.Info("stopped")
				return nil
			}
			return err
		},
	}
}

// newAPIServer assembles the repository API of serve from its flags and
// the home r opened: keys, the /verify link, rate limits, the shared
// replay log of a PostgreSQL catalog, signed PDFs, pull profiles.
func newAPIServer(c *cli.Context, e *env, r *repo) (*api.Server, error) {
	h := r.h
	kr, err := h.Keyring()
	if err != nil {
		return nil, err
	}
	key, err := h.APIKey()
	if err != nil {
		return nil, err
	}
	if h.Config.API.PublicURL == "" && (scheme(c) == "https" || !loopback(c.String("addr"))) {
		e.log.Warn("api.public_url is not set in issuerkit.yaml: PDFs' QR codes and `get --format link` name this server by its listen address; set it to the address citizens reach")
	}
	if scheme(c) == "https" && h.Config.API.PublicURL == "" {
		// Links on PDFs point at this server as lockers reach it.
		h.Config.API.PublicURL = "https://" + strings.TrimPrefix(h.PublicURL(c.String("addr")), "http://")
	}
	link, verifyKey, err := verifyLinker(h, c.String("addr"))
	if err != nil {
		return nil, err
	}
	trusted, err := api.ParseTrustedProxies(c.StringSlice("trusted-proxy"))
	if err != nil {
		return nil, usageErr("--trusted-proxy: %v", err)
	}
	// Several serve on one PostgreSQL catalog share what they accepted.
	var replayLog repository.ReplayLog
	if rl, ok := r.cat.(repository.ReplayLog); ok && c.Duration("replay-window") > 0 {
		if err := rl.PrepareReplayLog(c.Context); err != nil {
			return nil, err
		}
		replayLog = rl
	}
	var renderer *docpdf.Renderer
	if fonts, err := docpdf.LoadFonts(h.Config.PDF.FontDir); err != nil {
		e.log.Warn("PDF documents are off", "err", err.Error())
	} else {
		renderer = &docpdf.Renderer{Fonts: fonts, Link: link}
		if renderer.Signer, err = pdfSigner(h); err != nil {
			e.log.Warn("PDF documents are off: the signing key cannot sign them", "err", err.Error())
			renderer = nil
		}
	}
	profs, err := pullProfiles(h, c.StringSlice("profile"))
	if err != nil {
		return nil, err
	}
	return api.New(api.Config{Profiles: profs, OrgID: h.Config.API.OrgID, IssuerID: h.Config.Issuer.ID, IssuerName: h.Config.Issuer.Name, APIKey: key,
		Catalog: repository.CacheReads(r.cat), Store: r.store, Keyring: kr, ReplayWindow: c.Duration("replay-window"),
		RateLimit: c.Float64("rate-limit"), OrgRateLimit: c.Float64("org-rate-limit"), VerifyRateLimit: c.Float64("verify-rate-limit"),
		TrustedProxies: trusted, VerifyKey: verifyKey, ReplayLog: replayLog,
		CacheBytes: c.Int("cache-mb") << 20, Logger: e.log.With("component", "api"), PDF: renderer})
}

// loopback says whether addr listens on this host alone.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serveMetrics serves h on addr until ctx ends or the returned stop is
// called; "" serves nothing.
func serveMetrics(ctx context.Context, e *env, addr string, h http.Handler) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve --metrics-addr: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := httpserve.Serve(ctx, httpserve.New(addr, h), l); err != nil {
			e.log.Error("metrics listener", "err", err.Error())
		}
	}()
	e.log.Info("serving metrics", "addr", l.Addr().String())
	return func() { cancel(); <-done }, nil
}

// atLeastTwoProcs lets serve run Go code on two threads even when it is
// given one core (GOMAXPROCS follows the CPU affinity): the SQLite
// driver's fsync at every commit blocks its thread, and with one P the
// requests wait for it instead of running meanwhile. On one core the
// certificate API served ~45% more requests so (docs/benchmarks.md). An
// explicit GOMAXPROCS is kept.
func atLeastTwoProcs() {
	if os.Getenv("GOMAXPROCS") == "" && runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
}
