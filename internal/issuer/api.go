package issuer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/repository/apisetu"
	"github.com/issuerkit/issuerkit/repository/store"
)

// Repo is an opened home with its catalog and, when asked for, its store.
type Repo struct {
	Home    *home.Home
	Catalog repository.Catalog
	Store   store.Store // nil unless OpenRepo was asked for it
}

// OpenRepo opens the home in dir, its catalog and (withStore) its store.
// Close releases them.
func OpenRepo(ctx context.Context, dir string, withStore bool) (*Repo, error) {
	h, err := home.Open(dir)
	if err != nil {
		return nil, err
	}
	r := &Repo{Home: h}
	if r.Catalog, err = h.OpenCatalog(ctx); err != nil {
		return nil, err
	}
	if withStore {
		if r.Store, err = h.OpenStore(ctx); err != nil {
			r.Catalog.Close()
			return nil, err
		}
	}
	return r, nil
}

// IngestDeps is what ingest and the status changes need of the repo: its
// store, catalog, the home's signer and Aadhaar keyring.
func (r *Repo) IngestDeps() (ingest.Deps, error) {
	d := ingest.Deps{Store: r.Store, Catalog: r.Catalog}
	var err error
	if d.Signer, err = r.Home.Signer(); err != nil {
		return ingest.Deps{}, err
	}
	if d.Keyring, err = r.Home.Keyring(); err != nil {
		return ingest.Deps{}, err
	}
	return d, nil
}

// Close closes the store and the catalog.
func (r *Repo) Close() {
	if r.Store != nil {
		r.Store.Close()
	}
	r.Catalog.Close()
}

// APIOptions are the settings of serve's repository API (see api.Config).
type APIOptions struct {
	Addr                                     string // where it listens
	HTTPS                                    bool
	ReplayWindow                             time.Duration
	RateLimit, OrgRateLimit, VerifyRateLimit float64
	TrustedProxies                           []netip.Prefix
	Profiles                                 []string // profile files besides those the home recorded
	CacheBytes                               int
}

// NewAPIServer assembles the repository API from o and the home r opened:
// keys, the /verify link, rate limits, the shared replay log of a
// PostgreSQL catalog, signed PDFs (off, with a warning, when the fonts or
// the key cannot make them), pull profiles.
func NewAPIServer(ctx context.Context, r *Repo, o APIOptions, log *slog.Logger) (*api.Server, error) {
	h := r.Home
	kr, err := h.Keyring()
	if err != nil {
		return nil, err
	}
	key, err := h.APIKey()
	if err != nil {
		return nil, err
	}
	if h.Config.API.PublicURL == "" && (o.HTTPS || !loopback(o.Addr)) {
		log.Warn("api.public_url is not set in issuerkit.yaml: PDFs' QR codes and `get --format link` name this server by its listen address; set it to the address citizens reach")
	}
	if o.HTTPS && h.Config.API.PublicURL == "" {
		// Links on PDFs point at this server as lockers reach it.
		h.Config.API.PublicURL = "https://" + strings.TrimPrefix(h.PublicURL(o.Addr), "http://")
	}
	link, verifyKey, err := VerifyLinker(h, o.Addr)
	if err != nil {
		return nil, err
	}
	// Several serve on one PostgreSQL catalog share what they accepted.
	var replayLog repository.ReplayLog
	if rl, ok := r.Catalog.(repository.ReplayLog); ok && o.ReplayWindow > 0 {
		if err := rl.PrepareReplayLog(ctx); err != nil {
			return nil, err
		}
		replayLog = rl
	}
	var renderer *docpdf.Renderer
	if fonts, err := docpdf.LoadFonts(h.Config.PDF.FontDir); err != nil {
		log.Warn("PDF documents are off", "err", err.Error())
	} else {
		renderer = &docpdf.Renderer{Fonts: fonts, Link: link}
		if renderer.Signer, err = PDFSigner(h); err != nil {
			log.Warn("PDF documents are off: the signing key cannot sign them", "err", err.Error())
			renderer = nil
		}
	}
	profs, err := PullProfiles(h, o.Profiles)
	if err != nil {
		return nil, err
	}
	return api.New(api.Config{Profiles: profs, OrgID: h.Config.API.OrgID, IssuerID: h.Config.Issuer.ID, IssuerName: h.Config.Issuer.Name, APIKey: key,
		Catalog: repository.CacheReads(r.Catalog), Store: r.Store, Keyring: kr, ReplayWindow: o.ReplayWindow,
		RateLimit: o.RateLimit, OrgRateLimit: o.OrgRateLimit, VerifyRateLimit: o.VerifyRateLimit,
		TrustedProxies: o.TrustedProxies, VerifyKey: verifyKey, ReplayLog: replayLog,
		CacheBytes: o.CacheBytes, Logger: log.With("component", "api"), PDF: renderer})
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

// ServeMetrics serves h on addr until ctx ends or the returned stop is
// called; "" serves nothing.
func ServeMetrics(ctx context.Context, log *slog.Logger, addr string, h http.Handler) (stop func(), err error) {
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
			log.Error("metrics listener", "err", err.Error())
		}
	}()
	log.Info("serving metrics", "addr", l.Addr().String())
	return func() { cancel(); <-done }, nil
}

// MountAPISetu adds POST /apisetu/{doctype}/certificate to srv when the
// catalog keeps requesters; ratePerMin is the rate of a client registered
// without one of its own (0: unlimited).
func MountAPISetu(r *Repo, srv *api.Server, ratePerMin int, log *slog.Logger) error {
	cl, ok := r.Catalog.(apisetu.Clients)
	if !ok {
		log.Warn("the API Setu certificate API is off: this catalog keeps no requesters")
		return nil
	}
	kr, err := r.Home.Keyring()
	if err != nil {
		return err
	}
	s, err := apisetu.New(apisetu.Config{IssuerID: r.Home.Config.Issuer.ID, Docs: srv, Clients: cl, Keyring: kr,
		RatePerMin: ratePerMin, Logger: log.With("component", "apisetu")})
	if err != nil {
		return err
	}
	s.Mount()
	return nil
}

// Clients is the catalog's requesters and consent managers, or an error
// for a catalog that keeps none.
func (r *Repo) Clients() (apisetu.Clients, error) {
	c, ok := r.Catalog.(apisetu.Clients)
	if !ok {
		return nil, errors.New("this catalog keeps no requesters (API Setu clients)")
	}
	return c, nil
}
