package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

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

// pullProfiles loads the pull profiles serve answers with: the home's
// recorded profiles, then the files named by --profile (a later one for
// the same DocType wins).
func pullProfiles(h *home.Home, extra []string) ([]xmlschema.PullProfile, error) {
	recorded, _ := filepath.Glob(filepath.Join(h.Dir, profilesDir, "*.yaml"))
	sort.Strings(recorded)
	byType := map[string]xmlschema.PullProfile{}
	var order []string
	for _, path := range append(recorded, extra...) {
		p, err := ingest.LoadProfile(path)
		if err != nil {
			return nil, fmt.Errorf("profile %s: %w", path, err)
		}
		if _, ok := byType[p.DocType]; !ok {
			order = append(order, p.DocType)
		}
		byType[p.DocType] = p.PullProfile()
	}
	out := make([]xmlschema.PullProfile, 0, len(order))
	for _, d := range order {
		out = append(out, byType[d])
	}
	return out, nil
}
