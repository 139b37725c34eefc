package main

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/issuerkit/issuerkit/signer"
	"github.com/urfave/cli/v2"
)

func verifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check the signature of signed XML documents",
		ArgsUsage: "FILE...",
		Description: "Prints `OK <file>` or `FAIL <file>: <reason>` for each FILE; exits 0 only if all verify.\n" +
			"With --cert the signing certificate must be exactly that one (default: the home's\n" +
			"keys/signing.crt). With --ca it must chain, through the certificates in the document's\n" +
			"KeyInfo, to one of the trust anchors in the file, every certificate valid today.\n\n" +
			"Example:\n" +
			"   issuerkit verify --cert board-signing.crt marksheet.xml\n" +
			"   issuerkit verify --ca cca-india-roots.pem *.xml",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cert", Usage: "pin this signing certificate `PEM` (default: the home's keys/signing.crt)"},
			&cli.StringFlag{Name: "ca", Usage: "trust anchors `PEM` (one or more CA certificates): build and check the chain instead of pinning"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, -1, "one or more FILEs"); err != nil {
				return err
			}
			if c.String("cert") != "" && c.String("ca") != "" {
				return usageErr("verify: give --cert (pin one certificate) or --ca (trust anchors), not both")
			}
			v := &signer.Verifier{}
			if ca := c.String("ca"); ca != "" {
				roots, err := signer.LoadCertsFile(ca)
				if err != nil {
					return err
				}
				v.Roots = x509.NewCertPool()
				for _, r := range roots {
					v.Roots.AddCert(r)
				}
			} else {
				certPath := c.String("cert")
				if certPath == "" {
					h, err := openHome(c)
					if err != nil {
						return fmt.Errorf("no --cert or --ca given and %w", err)
					}
					certPath = h.Path(h.Config.Signing.Cert)
				}
				certs, err := signer.LoadCertsFile(certPath)
				if err != nil {
					return err
				}
				v.Trusted = []*x509.Certificate{certs[0]}
			}
			failed := 0
			for _, f := range c.Args().Slice() {
				data, err := os.ReadFile(f)
				if err == nil {
					_, err = v.Verify(data)
				}
				if err != nil {
					failed++
					fmt.Fprintf(e.stdout, "FAIL %s: %v\n", f, err)
					continue
				}
				fmt.Fprintf(e.stdout, "OK %s\n", f)
			}
			if failed > 0 {
				return &exitErr{code: exitError, err: fmt.Errorf("%d of %d %s failed verification", failed, c.NArg(), plural(c.NArg(), "file", "files"))}
			}
			return nil
		},
	}
}
