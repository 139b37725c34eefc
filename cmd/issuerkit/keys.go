package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/signer"
	"github.com/urfave/cli/v2"
)

// keysImportOptions are keys import's flags.
type keysImportOptions struct {
	Key, PKCS11, Cert, PassphraseFile string
}

func keysCommand(e *env) *cli.Command {
	o := &keysImportOptions{}
	return &cli.Command{
		Name:  "keys",
		Usage: "manage the home's signing key",
		Subcommands: []*cli.Command{{
			Name:  "import",
			Usage: "install the issuer's own signing key and certificate in place of the development key",
			Description: "Reads a PEM key (PKCS#1, SEC 1, PKCS#8 or encrypted PKCS#8) with its PEM certificate chain\n" +
				"(leaf first), or a PKCS#12 bundle (.p12/.pfx) holding both. It checks that the certificate\n" +
				"certifies the key, is valid today, and that the key can sign, and writes nothing if any\n" +
				"check fails. The key is stored as keys/signing.key (0600); the previous key and certificate\n" +
				"are kept beside them as *.bak. The passphrase comes from --passphrase-file or the\n" +
				"ISSUERKIT_KEY_PASSPHRASE environment variable, never from the command line.\n\n" +
				"With --pkcs11 the key stays in an HSM or token: issuerkit signs through PKCS#11 and the config\n" +
				"records the URI. The token's PIN comes from pin-source=file:/path in the URI (a 0600 file)\n" +
				"or the ISSUERKIT_PKCS11_PIN environment variable, at import and whenever issuerkit signs.\n\n" +
				"Example:\n" +
				"   issuerkit keys import --key board-2026.p12 --passphrase-file /run/secrets/p12-pass\n" +
				"   issuerkit keys import --key board.key --cert board-chain.pem\n" +
				"   issuerkit keys import --cert board-chain.pem \\\n" +
				"       --pkcs11 'pkcs11:token=board;object=signing?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/etc/issuerkit/pin'",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "key", Destination: &o.Key, Usage: "private key `FILE` (PEM) or PKCS#12 bundle (.p12, .pfx)"},
				&cli.StringFlag{Name: "pkcs11", Destination: &o.PKCS11, Usage: "PKCS#11 `URI` of a key held in an HSM or token (RFC 7512, with module-path)"},
				&cli.StringFlag{Name: "cert", Destination: &o.Cert, Usage: "certificate chain `FILE` (PEM, leaf first); not needed for PKCS#12"},
				&cli.StringFlag{Name: "passphrase-file", Destination: &o.PassphraseFile, Usage: "`FILE` holding the passphrase (else $ISSUERKIT_KEY_PASSPHRASE)"},
			},
			Action: func(c *cli.Context) error {
				if err := needArgs(c, 0, 0, "no arguments"); err != nil {
					return err
				}
				h, err := openHome(c)
				if err != nil {
					return err
				}
				if uri := o.PKCS11; uri != "" {
					if c.IsSet("key") || c.IsSet("passphrase-file") || o.Cert == "" {
						return usageErr("keys import --pkcs11 takes --cert and neither --key nor --passphrase-file")
					}
					if u, err := signer.ParsePKCS11URI(uri); err != nil {
						return usageErr("--pkcs11: %v", err)
					} else if u.PinValue != "" {
						return usageErr("--pkcs11: the URI would keep the PIN in issuerkit.yaml: use pin-source=file:/path (a 0600 file) or $%s instead of pin-value", signer.PINEnv)
					}
					chain, err := h.ImportPKCS11(uri, o.Cert)
					if err != nil {
						return err
					}
					leaf := chain[0]
					fmt.Fprintf(e.stdout, "Documents are now signed by the PKCS#11 key %s for %q (valid until %s); it never leaves the token.\n",
						strings.SplitN(uri, "?", 2)[0], leaf.Subject.CommonName, leaf.NotAfter.Format(time.DateOnly))
					return nil
				}
				if o.Key == "" {
					return usageErr("keys import: give --key FILE or --pkcs11 URI")
				}
				chain, err := h.ImportKeyFiles(o.Key, o.Cert, o.PassphraseFile)
				if err != nil {
					return err
				}
				leaf := chain[0]
				fmt.Fprintf(e.stdout, "Imported the signing key for %q (issued by %q, valid until %s, %d certificate(s) in the chain).\n",
					leaf.Subject.CommonName, leaf.Issuer.CommonName, leaf.NotAfter.Format(time.DateOnly), len(chain))
				fmt.Fprintln(e.stdout, "Documents issued from now on are signed with it; give lockers and verifiers keys/signing.crt.")
				return nil
			},
		}},
	}
}
