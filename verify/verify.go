// Package verify checks issued files as `issuerkit verify` does: the
// signature of a signed XML document or signed PDF, against a pinned
// certificate or trust anchors, then the revocation policy: a document
// whose own status, or whose current status in the issuer's catalog, is
// not active fails even though its signature holds.
package verify

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/signer"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// Checker verifies files. Catalog, when not nil, is the issuer's catalog,
// which knows revocations made after a document was handed out.
type Checker struct {
	XML     *signer.Verifier
	PDF     *docpdf.Verifier
	Catalog repository.Catalog
}

// Pinned is a Checker that trusts exactly the first certificate of the
// PEM file certFile.
func Pinned(certFile string) (*Checker, error) {
	certs, err := signer.LoadCertsFile(certFile)
	if err != nil {
		return nil, err
	}
	return newChecker(&signer.Verifier{Trusted: []*x509.Certificate{certs[0]}}), nil
}

// Anchored is a Checker that builds and checks the chain to one of the
// trust anchors in the PEM file caFile.
func Anchored(caFile string) (*Checker, error) {
	roots, err := signer.LoadCertsFile(caFile)
	if err != nil {
		return nil, err
	}
	v := &signer.Verifier{Roots: x509.NewCertPool()}
	for _, r := range roots {
		v.Roots.AddCert(r)
	}
	return newChecker(v), nil
}

func newChecker(v *signer.Verifier) *Checker {
	return &Checker{XML: v, PDF: &docpdf.Verifier{Trusted: v.Trusted, Roots: v.Roots}}
}

// FailedError says how many of the files checked failed.
type FailedError struct{ Failed, Total int }

func (e *FailedError) Error() string {
	files := "files"
	if e.Total == 1 {
		files = "file"
	}
	return fmt.Sprintf("%d of %d %s failed verification", e.Failed, e.Total, files)
}

// File checks one file: a signed XML document, or a signed PDF (by its
// %PDF- header), then its status.
func (c *Checker) File(ctx context.Context, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if bytes.HasPrefix(data, []byte("%PDF-")) {
		ver, err := c.PDF.Verify(data)
		if err != nil {
			return err
		}
		return CheckStatus(ctx, xmlschema.Status(ver.Status), ver.URI, c.Catalog)
	}
	ver, err := c.XML.Verify(data)
	if err != nil {
		return err
	}
	uri := ""
	if org := ver.Root.FindElement("IssuedBy/Organization"); org != nil {
		uri = xmlschema.URI{IssuerID: org.SelectAttrValue("code", ""), DocType: ver.Root.SelectAttrValue("type", ""),
			DocID: ver.Root.SelectAttrValue("number", "")}.String()
	}
	return CheckStatus(ctx, xmlschema.Status(ver.Root.SelectAttrValue("status", "A")), uri, c.Catalog)
}

// Files checks files on n goroutines (see All) and reports each result in
// order; it returns a *FailedError when any failed.
func (c *Checker) Files(ctx context.Context, files []string, n int, report func(string, error)) error {
	failed := All(ctx, files, n, func(f string) error { return c.File(ctx, f) }, report)
	if failed > 0 {
		return &FailedError{Failed: failed, Total: len(files)}
	}
	return nil
}

var statusWords = map[xmlschema.Status]string{
	xmlschema.StatusRevoked: "revoked", xmlschema.StatusSuspended: "suspended", xmlschema.StatusExpired: "expired",
}

// CheckStatus is the revocation policy: it fails a verified document whose
// own status st, or whose current status in cat (if cat knows uri), is not
// active. Only ErrNotFound means "not this issuer's document": any other
// catalog error fails the verification, since the document may have been
// revoked.
func CheckStatus(ctx context.Context, st xmlschema.Status, uri string, cat repository.Catalog) error {
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

// ExpandFiles replaces each directory among args by the .xml and .pdf
// files under it, in lexical order.
func ExpandFiles(args []string) ([]string, error) {
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
