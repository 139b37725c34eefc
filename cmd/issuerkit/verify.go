package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
	"github.com/urfave/cli/v2"
)

func verifyCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check the signature of signed XML documents and signed PDFs",
		ArgsUsage: "FILE|DIR...",
		Description: "Prints `OK <file>` or `FAIL <file>: <reason>` for each FILE; exits 0 only if all verify.\n" +
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
			"   issuerkit verify ./downloaded-marksheets/",
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
			pv := &docpdf.Verifier{Trusted: v.Trusted, Roots: v.Roots}
			// The home's catalog, when there is one, knows about revocations
			// made after a document was handed out. A home whose catalog
			// cannot be read fails: it would let a revoked document pass.
			var cat repository.Catalog
			if h, err := openHome(c); err == nil {
				if cat, err = h.OpenCatalog(c.Context); err != nil {
					return fmt.Errorf("verify: the home's catalog, which knows revocations, cannot be opened: %w", err)
				}
				defer cat.Close()
			}
			files, err := expandFiles(c.Args().Slice())
			if err != nil {
				return err
			}
			failed := verifyAll(c.Context, files, runtime.GOMAXPROCS(0), func(f string) error {
				return verifyFile(c.Context, f, v, pv, cat)
			}, func(f string, err error) {
				if err != nil {
					fmt.Fprintf(e.stdout, "FAIL %s: %v\n", f, err)
				} else {
					fmt.Fprintf(e.stdout, "OK %s\n", f)
				}
			})
			if failed > 0 {
				return &exitErr{code: exitError, err: fmt.Errorf("%d of %d %s failed verification", failed, len(files), plural(len(files), "file", "files"))}
			}
			return nil
		},
	}
}

// expandFiles replaces each directory among args by the .xml and .pdf
// files under it, in lexical order.
func expandFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil || !fi.IsDir() {
			out = append(out, a) // a missing file fails as itself
			continue
		}
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if ext := strings.ToLower(filepath.Ext(p)); !d.IsDir() && (ext == ".xml" || ext == ".pdf") {
				out = append(out, p)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("verify: %w", err)
		}
	}
	return out, nil
}

// verifyAll checks files on n goroutines and reports each result, in the
// order of files, as soon as it and every earlier one are known; at most
// a window of results waits for a slow earlier file. It returns how many
// failed.
func verifyAll(ctx context.Context, files []string, n int, check func(string) error, report func(string, error)) int {
	const window = 256
	type result struct {
		i   int
		err error
	}
	tokens := make(chan struct{}, window)
	jobs := make(chan int)
	results := make(chan result, window)
	go func() {
		defer close(jobs)
		for i := range files {
			select {
			case tokens <- struct{}{}:
			case <-ctx.Done():
				return
			}
			jobs <- i
		}
	}()
	var wg sync.WaitGroup
	for range max(1, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results <- result{i, check(files[i])}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	done := make(map[int]error, window)
	next, failed := 0, 0
	for r := range results {
		done[r.i] = r.err
		for {
			err, ok := done[next]
			if !ok {
				break
			}
			delete(done, next)
			if err != nil {
				failed++
			}
			report(files[next], err)
			next++
			<-tokens
		}
	}
	if next < len(files) { // interrupted
		failed += len(files) - next
	}
	return failed
}

var statusWords = map[xmlschema.Status]string{
	xmlschema.StatusRevoked: "revoked", xmlschema.StatusSuspended: "suspended", xmlschema.StatusExpired: "expired",
}

// verifyFile checks one file: a signed XML document, or a signed PDF (by
// its %PDF- header), then its status.
func verifyFile(ctx context.Context, path string, v *signer.Verifier, pv *docpdf.Verifier, cat repository.Catalog) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		ver, err := pv.Verify(data)
		if err != nil {
			return err
		}
		return checkStatus(ctx, xmlschema.Status(ver.Status), ver.URI, cat)
	}
	ver, err := v.Verify(data)
	if err != nil {
		return err
	}
	uri := ""
	if org := ver.Root.FindElement("IssuedBy/Organization"); org != nil {
		uri = xmlschema.URI{IssuerID: org.SelectAttrValue("code", ""), DocType: ver.Root.SelectAttrValue("type", ""),
			DocID: ver.Root.SelectAttrValue("number", "")}.String()
	}
	return checkStatus(ctx, xmlschema.Status(ver.Root.SelectAttrValue("status", "A")), uri, cat)
}

// checkStatus fails a verified document whose own status st, or whose
// current status in cat (if cat knows uri), is not active. Only
// ErrNotFound means "not this home's document": any other catalog error
// fails the verification, since the document may have been revoked.
func checkStatus(ctx context.Context, st xmlschema.Status, uri string, cat repository.Catalog) error {
	if w, bad := statusWords[st]; bad {
		return fmt.Errorf("the signature holds, but the document's status is %s (%s)", st, w)
	}
	if cat == nil || uri == "" {
		return nil
	}
	d, err := cat.Current(ctx, uri)
	if errors.Is(err, repository.ErrNotFound) {
		return nil // not this home's document
	}
	if err != nil {
		return fmt.Errorf("the signature holds, but the home's catalog cannot say whether %s was revoked: %w", uri, err)
	}
	if w, bad := statusWords[d.Status]; bad && d.Status != xmlschema.StatusExpired {
		return fmt.Errorf("the signature holds, but the issuer has %s %s (version %d)", w, uri, d.Version)
	}
	return nil
}
