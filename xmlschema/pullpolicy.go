package xmlschema

import (
	"fmt"
	"slices"
	"strings"
)

// Holder fields of a Pull URI or Pull Doc request's DocDetails: the
// citizen's data as on Aadhaar, which an issuer may require and match
// against its record (digilocker-spec.md §3).
const (
	HolderFullName = "FullName"
	HolderDOB      = "DOB"
	HolderUID      = "UID"
)

var holderFields = []string{HolderFullName, HolderDOB, HolderUID}

// PullPolicy is a DocType's pull policy: which holder fields a Pull URI
// request must carry, which of those present are matched against the
// record, and how names match. The zero value is not the default; use
// DefaultPullPolicy.
type PullPolicy struct {
	// Require lists the holder fields a Pull URI request must carry
	// (non-empty); a request without one is answered as not found.
	Require []string `yaml:"require" json:"require"`
	// Match lists the holder fields compared with the record when a
	// request carries them; a field not listed is ignored.
	Match []string `yaml:"match" json:"match"`
	// Initials lets a one-letter word of a name match a word it is the
	// initial of, in either direction ("A K Sharma" for "Anil Kumar
	// Sharma"). Off by default: with a date of birth, initials alone
	// identify too many people ("M N" would pull Meera Nair's marksheet).
	Initials bool `yaml:"initials" json:"initials"`
}

// DefaultPullPolicy is the CONTRACT's default: FullName and DOB required
// and matched, a UID matched when sent, no initials.
func DefaultPullPolicy() PullPolicy {
	return PullPolicy{Require: []string{HolderFullName, HolderDOB}, Match: []string{HolderFullName, HolderDOB, HolderUID}}
}

// Validate checks the field names (FullName, DOB, UID) and that every
// required field is also matched.
func (p PullPolicy) Validate() error {
	for _, list := range [][]string{p.Require, p.Match} {
		for _, f := range list {
			if !slices.Contains(holderFields, f) {
				return fmt.Errorf("pull: %q is not a holder field (%s)", f, strings.Join(holderFields, ", "))
			}
		}
	}
	for _, f := range p.Require {
		if !slices.Contains(p.Match, f) {
			return fmt.Errorf("pull: %s is required but not in match", f)
		}
	}
	return nil
}

// Requires reports whether field must be present.
func (p PullPolicy) Requires(field string) bool { return slices.Contains(p.Require, field) }

// Matches reports whether field is compared when present.
func (p PullPolicy) Matches(field string) bool { return slices.Contains(p.Match, field) }

// PullProfile is what the repository API knows of a DocType: the names of
// its search parameters and its pull policy.
type PullProfile struct {
	DocType    string
	SearchKeys []string
	Policy     PullPolicy
	// APIParameters names search keys as the API Setu certificate API's
	// certificateParameters call them (LicenceNo: dlno); a key not named
	// here is its own name. Either is matched ignoring case.
	APIParameters map[string]string
}

// APIName is the certificateParameters name of search key k.
func (p PullProfile) APIName(k string) string {
	if n := p.APIParameters[k]; n != "" {
		return n
	}
	return k
}

// ValidateAPIParameters checks that every named key is a search key.
func (p PullProfile) ValidateAPIParameters() error {
	for k, n := range p.APIParameters {
		if !slices.Contains(p.SearchKeys, k) {
			return fmt.Errorf("pull: apisetu_parameters: %q is not a search key", k)
		}
		if strings.TrimSpace(n) == "" {
			return fmt.Errorf("pull: apisetu_parameters: %s has no name", k)
		}
	}
	return nil
}
