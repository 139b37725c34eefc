package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/internal/issuer"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/urfave/cli/v2"
)

// serveOptions are serve's flags.
type serveOptions struct {
	tlsOptions
	Addr, MetricsAddr                   string
	ReplayWindow                        time.Duration
	RateLimit, OrgRateLimit, VerifyRate float64
	TrustedProxy, Profile               cli.StringSlice
	CacheMB, APISetuRatePerMin          int
}

func serveCommand(e *env) *cli.Command {
	o := &serveOptions{}
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the repository API to lockers (Pull URI, Pull Doc), the API Setu certificate API, /verify, /healthz, /metrics",
		Description: "Lockers authenticate with x-digilocker-hmac over the raw body, keyed with keys/api-key.\n" +
			"Routes: POST /digilocker/pulluri, POST /digilocker/pulldoc,\n" +
			"GET /verify/{URI}?k={token} (the link on a document's PDF: `issuerkit get URI --format link`),\n" +
			"POST /apisetu/{doctype}/certificate (requesters of `issuerkit requester add`, with consent artifacts\n" +
			"signed by a consent manager of `issuerkit consent trust`), GET /healthz; GET /metrics (Prometheus)\n" +
			"on --metrics-addr, and on --addr to this host only (not through a proxy). SIGINT or SIGTERM\n" +
			"stops it after in-flight requests finish.\n\n" +
			"Example:\n" +
			"   issuerkit serve --addr 127.0.0.1:8080\n" +
			"   issuerkit serve --addr :8443 --rate-limit 50 --org-rate-limit 200 --trusted-proxy 10.0.0.0/8\n" +
			"   issuerkit serve --addr :8443 --tls-cert fullchain.pem --tls-key key.pem   # HTTPS; kill -HUP reloads the pair",
		Flags: append(o.flags(),
			&cli.StringFlag{Name: "addr", Value: home.DefaultServeAddr, Destination: &o.Addr, Usage: "listen `ADDRESS`"},
			&cli.StringFlag{Name: "metrics-addr", Value: "127.0.0.1:9464", Destination: &o.MetricsAddr, Usage: "listen `ADDRESS` of GET /metrics, apart from the API (\"\": no metrics)"},
			&cli.DurationFlag{Name: "replay-window", Value: 5 * time.Minute, Destination: &o.ReplayWindow, Usage: "refuse requests whose ts is further than this from now, and a request served once within it sent again byte for byte (0: off)"},
			&cli.Float64Flag{Name: "rate-limit", Destination: &o.RateLimit, Usage: "requests per second one client address may make to the locker and certificate API routes before authentication, and to /healthz (0: unlimited)"},
			&cli.Float64Flag{Name: "org-rate-limit", Destination: &o.OrgRateLimit, Usage: "requests per second one authenticated locker (orgId) may make (0: unlimited)"},
			&cli.Float64Flag{Name: "verify-rate-limit", Value: api.DefaultVerifyRate, Destination: &o.VerifyRate, Usage: "requests per second one client address may make to /verify, in its own bucket (negative: unlimited)"},
			&cli.StringSliceFlag{Name: "trusted-proxy", Destination: &o.TrustedProxy, Usage: "`CIDR` or address of a load balancer whose X-Forwarded-For names the client (repeatable)"},
			&cli.StringSliceFlag{Name: "profile", Destination: &o.Profile, Usage: "a profile `FILE` whose search keys and pull policy to answer with (besides those ingest recorded in the home; repeatable)"},
			&cli.IntFlag{Name: "cache-mb", Value: 128, Destination: &o.CacheMB, Usage: "memory for documents kept ready to serve, in `MiB` (0: none)"},
			&cli.IntFlag{Name: "apisetu-rate-per-min", Value: 600, Destination: &o.APISetuRatePerMin, Usage: "requests per minute a certificate API client registered without a rate of its own may make (0: unlimited)"},
		),
		Action: func(c *cli.Context) error { return o.run(c, e) },
	}
}

func (o *serveOptions) run(c *cli.Context, e *env) error {
	if err := needArgs(c, 0, 0, "no arguments"); err != nil {
		return err
	}
	tlsCert, err := o.load()
	if err != nil {
		return err
	}
	r, err := openRepo(c, true)
	if err != nil {
		return err
	}
	defer r.Close()
	atLeastTwoProcs()
	h := r.Home
	srv, err := o.newAPIServer(c, e, r)
	if err != nil {
		return err
	}
	if err := issuer.MountAPISetu(r, srv, o.APISetuRatePerMin, e.log); err != nil {
		return err
	}
	stopMetrics, err := issuer.ServeMetrics(c.Context, e.log, o.MetricsAddr, srv.MetricsHandler())
	if err != nil && c.IsSet("metrics-addr") {
		return err
	}
	if err != nil {
		// The default address is taken (another serve on this host): the
		// API still serves, without metrics.
		e.log.Warn("metrics are off", "err", err.Error())
		stopMetrics = func() {}
	}
	defer stopMetrics()
	l, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	e.log.Info("serving the repository API", "addr", l.Addr().String(), "issuer", h.Config.Issuer.ID)
	fmt.Fprintf(e.stderr, "issuerkit: serving %s on %s://%s (Ctrl-C stops)\n", h.Config.Issuer.ID, o.scheme(), l.Addr())
	err = serveMaybeTLS(c, e.log, httpserve.New(o.Addr, srv.Handler()), l, tlsCert)
	srv.Close() // records the pulls still queued for the audit log
	if err == nil && c.Context.Err() != nil {
		e.log.Info("stopped")
		return nil
	}
	return err
}

// newAPIServer assembles the repository API from serve's flags and the
// home r opened.
func (o *serveOptions) newAPIServer(c *cli.Context, e *env, r *issuer.Repo) (*api.Server, error) {
	trusted, err := api.ParseTrustedProxies(o.TrustedProxy.Value())
	if err != nil {
		return nil, usageErr("--trusted-proxy: %v", err)
	}
	return issuer.NewAPIServer(c.Context, r, issuer.APIOptions{Addr: o.Addr, HTTPS: o.scheme() == "https", ReplayWindow: o.ReplayWindow,
		RateLimit: o.RateLimit, OrgRateLimit: o.OrgRateLimit, VerifyRateLimit: o.VerifyRate, TrustedProxies: trusted,
		Profiles: o.Profile.Value(), CacheBytes: o.CacheMB << 20}, e.log)
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
