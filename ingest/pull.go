package ingest

import (
	"fmt"

	"github.com/issuerkit/issuerkit/xmlschema"
)

// rawPull is a profile's pull: section, the DocType's pull policy:
//
//	pull:
//	  require: [FullName, DOB]   # holder fields a Pull URI request must carry
//	  match: [FullName, DOB, UID] # of those sent, the ones compared with the record
//	  initials: false             # "A K Sharma" for "Anil Kumar Sharma"
//
// Omitted keys keep the default (xmlschema.DefaultPullPolicy).
type rawPull struct {
	Require  *[]string `yaml:"require"`
	Match    *[]string `yaml:"match"`
	Initials bool      `yaml:"initials"`
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
	return xmlschema.PullProfile{DocType: p.DocType, SearchKeys: p.SearchKeys, Policy: p.Pull}
}
