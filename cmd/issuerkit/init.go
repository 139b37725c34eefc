package main

import (
	"errors"

	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/internal/report"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/urfave/cli/v2"
)

// initOptions are init's flags.
type initOptions struct {
	IssuerID, IssuerName, IssuerType, KeyType, CatalogDSN string
	Force                                                 bool
	storeOptions
}

func initCommand(e *env) *cli.Command {
	o := &initOptions{}
	return &cli.Command{
		Name:  "init",
		Usage: "create an issuer home: config, development signing key and certificate, API key, catalog",
		Description: "Creates the home named by --home (a missing or empty directory). The signing key is a\n" +
			"development key with a self-signed certificate; key files are written 0600.\n\n" +
			"Documents go to store/ in the home, or to S3 with --store s3: credentials come from\n" +
			"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or store.credentials_file in issuerkit.yaml),\n" +
			"never from a flag; init checks that the bucket is reachable.\n\n" +
			"Example:\n" +
			"   issuerkit --home ./board init --issuer-id in.gov.cbse --issuer-name \"Central Board of Secondary Education\"\n" +
			"   issuerkit --home ./board init --issuer-id in.gov.cbse --issuer-name CBSE --store s3 \\\n" +
			"       --s3-endpoint https://s3.ap-south-1.amazonaws.com --s3-bucket cbse-docs --s3-prefix results",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "issuer-id", Required: true, Destination: &o.IssuerID, Usage: "DigiLocker issuer `ID`, reverse-domain (in.gov.cbse)"},
			&cli.StringFlag{Name: "issuer-name", Required: true, Destination: &o.IssuerName, Usage: "issuer's full `NAME`"},
			&cli.StringFlag{Name: "issuer-type", Value: "SG", Destination: &o.IssuerType, Usage: "organization type: CG (central), SG (state) or NG (non-government)"},
			&cli.StringFlag{Name: "key-type", Value: string(signer.RSA2048), Destination: &o.KeyType, Usage: "signing key: rsa2048, rsa3072 or ecdsa-p256"},
			&cli.BoolFlag{Name: "force", Destination: &o.Force, Usage: "replace an existing home's config, signing key, certificate and API key (never its catalog, store or Aadhaar key)"},
			&cli.StringFlag{Name: "catalog-dsn", Destination: &o.CatalogDSN, Usage: "use a PostgreSQL catalog at this `DSN` instead of SQLite (shared by several hosts)"},
		}, o.flags(true)...),
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 0, 0, "no arguments"); err != nil {
				return err
			}
			switch t := o.IssuerType; t {
			case "CG", "SG", "NG":
			default:
				return usageErr("--issuer-type: %q is not CG, SG or NG", t)
			}
			kt := signer.KeyType(o.KeyType)
			switch kt {
			case signer.RSA2048, signer.RSA3072, signer.ECDSAP256:
			default:
				return usageErr("--key-type: %q is not rsa2048, rsa3072 or ecdsa-p256", kt)
			}
			sc, err := o.config()
			if err != nil {
				return err
			}
			dir := c.String("home")
			h, err := home.Init(c.Context, dir, home.InitOptions{
				IssuerID: o.IssuerID, IssuerName: o.IssuerName,
				IssuerType: o.IssuerType, KeyType: kt, Force: o.Force, Store: sc,
				CatalogDSN: o.CatalogDSN,
			})
			if errors.Is(err, home.ErrNotEmpty) {
				return usageErr("%v", err)
			}
			if err != nil {
				return err
			}
			report.Created(e.stdout, h, string(kt))
			return nil
		},
	}
}
