// Package issuer puts an issuer's home to work for the commands: the
// Issuer every document carries, the profiles ingest recorded for serve,
// the signer of its PDFs and the /verify links on them.
package issuer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/issuerkit/issuerkit/docpdf"
	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/repository/api"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// profilesDir holds, in a home, the last profile ingest used for each
// DocType ({DocType}.yaml): serve reads its search parameter names and pull
// policy from there, so the repository API answers as the profile says
// without being told the profile again.
const profilesDir = "profiles"

// RecordProfile keeps a copy of the profile file at path in the home.
func RecordProfile(h *home.Home, prof *ingest.Profile, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("record profile: %w", err)
	}
	dir := filepath.Join(h.Dir, profilesDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("record profile: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".profile-*")
	if err != nil {
		return fmt.Errorf("record profile: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("record profile: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("record profile: %w", err)
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, prof.DocType+".yaml"))
}

// RecordedDocTypes are the DocTypes whose profile the home has recorded
// (those it has ingested), sorted; none for a home that ingested nothing.
func RecordedDocTypes(h *home.Home) ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(h.Dir, profilesDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if d, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() && !strings.HasPrefix(d, ".") {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out, nil
}

// addressOrder is the order of an Address's attributes in the official
// schemas.
var addressOrder = []string{"type", "line1", "line2", "house", "landmark", "locality", "vtc", "district", "pin", "state", "country"}

// Of is what every document carries about the home's issuer.
func Of(h *home.Home) (ingest.Issuer, error) {
	c := h.Config.Issuer
	iss := ingest.Issuer{ID: c.ID, Name: c.Name, Type: c.Type, TIN: c.TIN, UID: c.UID}
	for k := range c.Address {
		if !slices.Contains(addressOrder, k) {
			return iss, fmt.Errorf("%s: issuer.address.%s is not an address field (%s)", home.ConfigFile, k, strings.Join(addressOrder, ", "))
		}
	}
	for _, k := range addressOrder {
		if v, ok := c.Address[k]; ok {
			iss.Address = append(iss.Address, xmlschema.Attr{Name: k, Value: v})
		}
	}
	return iss, nil
}

// PullProfiles loads the pull profiles serve answers with: the home's
// recorded profiles, then the files named by --profile (a later one for
// the same DocType wins).
func PullProfiles(h *home.Home, extra []string) ([]xmlschema.PullProfile, error) {
	recorded, _ := filepath.Glob(filepath.Join(h.Dir, profilesDir, "*.yaml"))
	sort.Strings(recorded)
	byType := map[string]xmlschema.PullProfile{}
	var order []string
	for _, path := range append(recorded, extra...) {
		p, err := ingest.LoadPullProfile(path)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", path, err)
		}
		if _, ok := byType[p.DocType]; !ok {
			order = append(order, p.DocType)
		}
		byType[p.DocType] = p
	}
	out := make([]xmlschema.PullProfile, 0, len(order))
	for _, d := range order {
		out = append(out, byType[d])
	}
	return out, nil
}

// PDFSigner is the home's signing key (a file or a PKCS#11 token) and
// certificate chain, as the signer of its PDFs: the same key signs the XML
// documents and their printable copies.
func PDFSigner(h *home.Home) (*docpdf.Signer, error) {
	s, err := h.Signer()
	if err != nil {
		return nil, fmt.Errorf("sign PDF: %w", err)
	}
	return docpdf.NewSigner(s.Key(), s.Chain())
}

// VerifyLinker returns what makes a document's /verify link, with its
// token, for a repository API served at addr ("" for serve's default):
// serve's PDFs and get's (--format pdf, --format link) ask the same
// function, so they print the same link.
func VerifyLinker(h *home.Home, addr string) (func(uri string) string, []byte, error) {
	key, err := h.VerifyKey()
	if err != nil {
		return nil, nil, err
	}
	base := h.PublicURL(addr)
	return func(uri string) string { return api.VerifyLink(base, key, uri) }, key, nil
}

// RenderPDF renders a document as get --format pdf prints it, its QR code
// the document's /verify link with its token.
func RenderPDF(h *home.Home, data []byte, uri string) ([]byte, error) {
	fonts, err := docpdf.LoadFonts(h.Config.PDF.FontDir)
	if err != nil {
		return nil, err
	}
	link, _, err := VerifyLinker(h, "")
	if err != nil {
		return nil, err
	}
	rd := &docpdf.Renderer{Fonts: fonts, Link: link}
	if rd.Signer, err = PDFSigner(h); err != nil {
		return nil, err // no unsigned PDF in its place
	}
	return rd.Render(data, uri)
}
