package main

import (
	"fmt"
	"net"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/urfave/cli/v2"
)

func serveCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:  "serve",
		Usage: "serve the repository API to lockers: Pull URI, Pull Doc, /verify, /healthz, /metrics",
		Description: "Lockers authenticate with x-digilocker-hmac over the raw body, keyed with keys/api-key.\n" +
			"Routes: POST /digilocker/pulluri, POST /digilocker/pulldoc, GET /verify/{URI} (public),\n" +
			"GET /healthz, GET /metrics (Prometheus). SIGINT or SIGTERM stops it after in-flight\n" +
			"requests finish.\n\n" +
			"Example:\n" +
			"   issuerkit serve --addr 127.0.0.1:8080\n" +
			"   issuerkit serve --addr :8443 --replay-window 5m --rate-limit 50\n" +
			"   issuerkit serve --addr :8443 --tls-cert fullchain.pem --tls-key key.pem   # HTTPS; kill -HUP reloads the pair",
		Flags: append(tlsFlags(),
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen `ADDRESS`"},
			&cli.DurationFlag{Name: "replay-window", Usage: "refuse requests whose ts is further than this from now, and a txn used twice within it (0: off, for compatibility)"},
			&cli.Float64Flag{Name: "rate-limit", Usage: "requests per second one client IP may make (0: unlimited)"},
			&cli.StringSliceFlag{Name: "profile", Usage: "a profile `FILE` whose search keys and pull policy to answer with (besides those ingest recorded in the home; repeatable)"},
			&cli.IntFlag{Name: "cache-mb", Value: 128, Usage: "memory for documents kept ready to serve, in `MiB` (0: none)"},
		),
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
			h := r.h
			kr, err := h.Keyring()
			if err != nil {
				return err
			}
			key, err := h.APIKey()
			if err != nil {
				return err
			}
			var renderer *docpdf.Renderer
			if fonts, err := docpdf.LoadFonts(h.Config.PDF.FontDir); err != nil {
				e.log.Warn("PDF documents are off", "err", err.Error())
			} else {
				public := h.Config.API.PublicURL
				if public == "" {
					public = scheme(c) + "://" + c.String("addr")
				}
				renderer = &docpdf.Renderer{Fonts: fonts, VerifyURL: public}
				if renderer.Signer, err = pdfSigner(h); err != nil {
					e.log.Warn("PDF documents are off: the signing key cannot sign them", "err", err.Error())
					renderer = nil
				}
			}
			profs, err := pullProfiles(h, c.StringSlice("profile"))
			if err != nil {
				return err
			}
			srv, err := api.New(api.Config{Profiles: profs, OrgID: h.Config.API.OrgID, IssuerID: h.Config.Issuer.ID, IssuerName: h.Config.Issuer.Name, APIKey: key,
				Catalog: repository.CacheReads(r.cat), Store: r.store, Keyring: kr, ReplayWindow: c.Duration("replay-window"),
				RateLimit: c.Float64("rate-limit"), CacheBytes: c.Int("cache-mb") << 20, Logger: e.log.With("component", "api"), PDF: renderer})
			if err != nil {
				return err
			}
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
