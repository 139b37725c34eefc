package main

import (
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/repository/apisetu"
	"github.com/urfave/cli/v2"
)

// apisetuFlags are serve's flags of the certificate API.
func apisetuFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "apisetu-rate-per-min", Value: 600, Usage: "requests per minute a certificate API client registered without a rate of its own may make (0: unlimited)"},
	}
}

// mountAPISetu adds POST /apisetu/{doctype}/certificate to srv when the
// catalog keeps requesters.
func mountAPISetu(c *cli.Context, e *env, r *repo, srv *api.Server) error {
	cl, ok := r.cat.(apisetu.Clients)
	if !ok {
		e.log.Warn("the API Setu certificate API is off: this catalog keeps no requesters")
		return nil
	}
	kr, err := r.h.Keyring()
	if err != nil {
		return err
	}
	s, err := apisetu.New(apisetu.Config{IssuerID: r.h.Config.Issuer.ID, Docs: srv, Clients: cl, Keyring: kr,
		RatePerMin: c.Int("apisetu-rate-per-min"), Logger: e.log.With("component", "apisetu")})
	if err != nil {
		return err
	}
	s.Mount()
	return nil
}
