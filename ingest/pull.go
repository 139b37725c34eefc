package ingest

import (
	"fmt"
	"os"

	"github.com/issuerkit/issuerkit/xmlschema"
	"go.yaml.in/yaml/v3"
)

// rawPull is a profile's pull: section, the DocType's pull policy:
//
//	pull:
//	  require: [FullName, DOB]   # holder fields a Pull URI request must carry
//	  match: [FullName, DOB, UID] # of those sent, the ones compared with the record
//	  initials: false             # "A K Sharma" for "Anil Kumar Sharma"
//	  apisetu_parameters: {LicenceNo: dlno} # a search key's name in API Setu's certificateParameters
//
// Omitted keys keep the default (xmlschema.DefaultPullPolicy).
type rawPull struct {
	Require  *[]string         `yaml:"require"`
	Match    *[]string         `yaml:"match"`
	Initials bool              `yaml:"initials"`
	APINames map[string]string `yaml:"apisetu_parameters"`
}

// apiNames is the pull section's apisetu_parameters.
func (r *rawPull) apiNames() map[string]string {
	if r == nil {
		return nil
	}
	return r.APINames
}

func compilePull(raw *rawPull) (xmlschema.PullPolicy, error) {
	p := xmlschema.DefaultPullPolicy()
	if raw == nil {
		return p, nil
	}
	if raw.Require != nil {
		p.Require = *raw.Require
	}
	if raw.Match != nil {
		p.Match = *raw.Match
	}
	p.Initials = raw.Initials
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("profile %w", err)
	}
	return p, nil
}

// PullProfile is what the repository API needs of the profile: the DocType,
// its search parameter names and its pull policy.
func (p *Profile) PullProfile() xmlschema.PullProfile {
	return xmlschema.PullProfile{DocType: p.DocType, SearchKeys: p.SearchKeys, Policy: p.Pull, APIParameters: p.APIParameters}
}

// LoadPullProfile reads only what the repository API needs of a profile
// file — doctype, search_keys and pull — so that serve answers with a
// recorded profile even when the rest of it no longer loads (written for
// an older issuerkit, say).
func LoadPullProfile(path string) (xmlschema.PullProfile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return xmlschema.PullProfile{}, err
	}
	var raw struct {
		DocType    string   `yaml:"doctype"`
		SearchKeys []string `yaml:"search_keys"`
		Pull       *rawPull `yaml:"pull"`
	}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return xmlschema.PullProfile{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := xmlschema.ValidateDocType(raw.DocType); err != nil {
		return xmlschema.PullProfile{}, fmt.Errorf("%s: doctype: %w", path, err)
	}
	pol, err := compilePull(raw.Pull)
	if err != nil {
		return xmlschema.PullProfile{}, fmt.Errorf("%s: %w", path, err)
	}
	pp := xmlschema.PullProfile{DocType: raw.DocType, SearchKeys: raw.SearchKeys, Policy: pol, APIParameters: raw.Pull.apiNames()}
	if err := pp.ValidateAPIParameters(); err != nil {
		return xmlschema.PullProfile{}, fmt.Errorf("%s: %w", path, err)
	}
	return pp, nil
}
