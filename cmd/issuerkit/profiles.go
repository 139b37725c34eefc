package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/home"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// profilesDir holds, in a home, the last profile ingest used for each
// DocType ({DocType}.yaml): serve reads its search parameter names and pull
// policy from there, so the repository API answers as the profile says
// without being told the profile again.
const profilesDir = "profiles"

// recordProfile keeps a copy of the profile file at path in the home.
func recordProfile(h *home.Home, prof *ingest.Profile, path string) error {
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

// addressOrder is the order of an Address's attributes in the official
// schemas.
var addressOrder = []string{"type", "line1", "line2", "house", "landmark", "locality", "vtc", "district", "pin", "state", "country"}

// issuerOf is what every document carries about the home's issuer.
func issuerOf(h *home.Home) (ingest.Issuer, error) {
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

// pullProfiles loads the pull profiles serve answers with: the home's
// recorded profiles, then the files named by --profile (a later one for
// the same DocType wins).
func pullProfiles(h *home.Home, extra []string) ([]xmlschema.PullProfile, error) {
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
