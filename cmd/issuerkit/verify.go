package main

import (
	"encoding/json"
	"fmt"
	"runtime"

	"github.com/issuerkit/issuerkit/verify"
	"github.com/urfave/cli/v2"
)

// verifyOptions are verify's flags.
type verifyOptions struct {
	Cert, CA string
	JSON     bool
}

func verifyCommand(e *env) *cli.Command {
	o := &verifyOptions{}
	return &cli.Command{
		Name:      "verify",
		Usage:     "check the signature of signed XML documents and signed PDFs",
		ArgsUsage: "FILE|DIR...",
		Description: "Prints `OK <file>` or `FAIL <file>: <reason>` for each FILE (with --json one object a line:\n" +
			"{\"file\", \"ok\", \"reason\"}); exits 0 only if all verify.\n" +
			"A DIR stands for every .xml and .pdf file under it; files are checked on every core, the\n" +
			"results printed in order.\n" +
			"A FILE is a signed XML document or a PDF issuerkit made (its PAdES signature must cover the\n" +
			"whole file; its URI and status are read from the signed file).\n" +
			"A document whose signature holds but whose status is revoked, suspended or expired fails too,\n" +
			"as does one the home's catalog (when run in a home) knows to be revoked or suspended.\n" +
			"With --cert the signing certificate must be exactly that one (default: the home's\n" +
			"keys/signing.crt). With --ca it must chain, through the certificates in the document's\n" +
			"KeyInfo (or the PDF signature's), to one of the trust anchors in the file, every certificate\n" +
			"valid today. A catalog that cannot be read fails the file rather than let it pass.\n\n" +
			"Example:\n" +
			"   issuerkit verify --cert board-signing.crt marksheet.xml\n" +
			"   issuerkit verify --ca cca-india-roots.pem *.xml\n" +
			"   issuerkit verify marksheet.pdf\n" +
			"   issuerkit verify ./downloaded-marksheets/\n" +
			"   issuerkit verify --json ./downloaded-marksheets/ | jq -r 'select(.ok|not).file'",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cert", Destination: &o.Cert, Usage: "pin this signing certificate `PEM` (default: the home's keys/signing.crt)"},
			&cli.StringFlag{Name: "ca", Destination: &o.CA, Usage: "trust anchors `PEM` (one or more CA certificates): build and check the chain instead of pinning"},
			&cli.BoolFlag{Name: "json", Destination: &o.JSON, Usage: "one JSON object a file, for scripts"},
		},
		Action: func(c *cli.Context) error { return o.run(c, e) },
	}
}

func (o *verifyOptions) run(c *cli.Context, e *env) error {
	if err := needArgs(c, 1, -1, "one or more FILEs"); err != nil {
		return err
	}
	ch, err := o.checker(c)
	if err != nil {
		return err
	}
	// The home's catalog, when there is one, knows about revocations made
	// after a document was handed out. A home whose catalog cannot be read
	// fails: it would let a revoked document pass.
	if h, err := openHome(c); err == nil {
		if ch.Catalog, err = h.OpenCatalog(c.Context); err != nil {
			return fmt.Errorf("verify: the home's catalog, which knows revocations, cannot be opened: %w", err)
		}
		defer ch.Catalog.Close()
	}
	files, err := verify.ExpandFiles(c.Args().Slice())
	if err != nil {
		return err
	}
	return ch.Files(c.Context, files, runtime.GOMAXPROCS(0), func(f string, err error) {
		switch {
		case o.JSON:
			r := struct {
				File   string `json:"file"`
				OK     bool   `json:"ok"`
				Reason string `json:"reason,omitempty"`
			}{File: f, OK: err == nil}
			if err != nil {
				r.Reason = err.Error()
			}
			b, _ := json.Marshal(r)
			fmt.Fprintln(e.stdout, string(b))
		case err != nil:
			fmt.Fprintf(e.stdout, "FAIL %s: %v\n", f, err)
		default:
			fmt.Fprintf(e.stdout, "OK %s\n", f)
		}
	})
}

// checker pins --cert (default: the home's signing certificate) or
// trusts the anchors of --ca.
func (o *verifyOptions) checker(c *cli.Context) (*verify.Checker, error) {
	if o.Cert != "" && o.CA != "" {
		return nil, usageErr("verify: give --cert (pin one certificate) or --ca (trust anchors), not both")
	}
	if o.CA != "" {
		return verify.Anchored(o.CA)
	}
	certPath := o.Cert
	if certPath == "" {
		h, err := openHome(c)
		if err != nil {
			return nil, fmt.Errorf("no --cert or --ca given and %w", err)
		}
		certPath = h.Path(h.Config.Signing.Cert)
	}
	return verify.Pinned(certPath)
}
