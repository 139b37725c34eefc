package issuer

import (
	"crypto/x509"

	"github.com/issuerkit/issuerkit/internal/httpserve"
	"github.com/issuerkit/issuerkit/pusher"
)

// PushOverrides are push's flags that override the home's push settings
// when set (Set*).
type PushOverrides struct {
	CAFile, Gateway                            string
	Workers, Bulk                              int
	SetCAFile, SetGateway, SetWorkers, SetBulk bool
}

// PusherConfig is the pusher's configuration from the home's push
// settings and keys, o over them: the gateway (a --gateway gets today's
// paths on it), its CA bundle, workers and bulk size. Timeouts, backoff,
// logger and progress are the caller's to set.
func PusherConfig(r *Repo, o PushOverrides) (pusher.Config, error) {
	h := r.Home
	kr, err := h.Keyring()
	if err != nil {
		return pusher.Config{}, err
	}
	key, err := h.PushKey()
	if err != nil {
		return pusher.Config{}, err
	}
	cfg := h.Config.Push
	gateway := cfg.Gateway
	if o.SetGateway {
		// --gateway names the gateway: today's paths on it.
		gateway, cfg.Endpoint, cfg.BulkEndpoint = o.Gateway, "", ""
	}
	if o.SetCAFile {
		cfg.CAFile = o.CAFile
	}
	var roots *x509.CertPool
	if cfg.CAFile != "" {
		if roots, err = httpserve.LoadCAFile(cfg.CAFile); err != nil {
			return pusher.Config{}, err
		}
	}
	workers, bulk := cfg.Workers, cfg.Bulk
	if o.SetWorkers {
		workers = o.Workers
	}
	if o.SetBulk {
		bulk = o.Bulk
	}
	return pusher.Config{
		Outbox: r.Catalog, Keyring: kr, Gateway: gateway, Endpoint: cfg.Endpoint, BulkEndpoint: cfg.BulkEndpoint, RootCAs: roots, OrgID: h.Config.Issuer.ID, Key: key,
		Workers: workers, Bulk: bulk,
	}, nil
}
