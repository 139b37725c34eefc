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
			"The signing certificate must be exactly the one given by --cert (default: the home's\n" +
			"keys/signing.crt).\n\n" +
			"Example:\n" +
			"   issuerkit verify --cert board-signing.crt marksheet.xml",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cert", Usage: "pin this signing certificate `PEM` (default: the home's keys/signing.crt)"},
		},
		Action: func(c *cli.Context) error {
			if err := needArgs(c, 1, -1, "one or more FILEs"); err != nil {
				return err
			}
			certPath := c.String("cert")
			if certPath == "" {
				h, err := openHome(c)
				if err != nil {
					return fmt.Errorf("no --cert given and %w", err)
				}
				certPath = h.Path(h.Config.Signing.Cert)
			}
			certs, err := signer.LoadCertsFile(certPath)
			if err != nil {
				return err
			}
			v := &signer.Verifier{Trusted: []*x509.Certificate{certs[0]}}
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
