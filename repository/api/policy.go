package api

import (
	"strings"

	"github.com/issuerkit/issuerkit/repository"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// A Pull URI request's DocDetails holds the standard fields, the DocType's
// search parameters and whatever else a locker or integration adds
// (Mobile, UDFn, tracking_id…). Only the search parameters of the DocType's
// profile and the holder fields are read; the rest is ignored, never part of
// the lookup, never echoed, never logged.

// profiles indexes the pull profiles of Config.Profiles by DocType.
type profiles map[string]xmlschema.PullProfile

func newProfiles(list []xmlschema.PullProfile) profiles {
	p := profiles{}
	for _, pp := range list {
		if pp.SearchKeys == nil {
			pp.SearchKeys = []string{} // known, and searched by UID only
		}
		p[pp.DocType] = pp
	}
	return p
}

// pullProfile is the profile of doctype, or, for a DocType no profile
// names, the default policy and nil SearchKeys: unknown, guessed from the
// request (see searchKey). A known profile's SearchKeys is never nil.
func (s *Server) pullProfile(doctype string) xmlschema.PullProfile {
	if p, ok := s.profiles[doctype]; ok {
		return p
	}
	return xmlschema.PullProfile{DocType: doctype, Policy: xmlschema.DefaultPullPolicy()}
}

// notSearch are DocDetails children that are never search parameters of a
// DocType without a known profile: the standard fields, and the extras real
// lockers and integrations send (digilocker-spec.md §3a).
var notSearch = map[string]bool{"doctype": true, "digilockerid": true, "uid": true, "fullname": true,
	"dob": true, "photo": true, "uri": true, "mobile": true, "gender": true, "email": true,
	"tracking_id": true, "trackingid": true, "text": true}

// isExtra says whether a DocDetails child is never a search parameter: a
// standard field, a known extra, or an issuer-defined UDF1, UDF2….
func isExtra(name string) bool {
	n := strings.ToLower(name)
	if notSearch[n] {
		return true
	}
	digits := strings.TrimPrefix(n, "udf")
	return digits != n && digits != "" && strings.Trim(digits, "0123456789") == ""
}

// searchKey returns the request's search key (repository.SearchKey of its
// search parameters), "" when it carries none. The parameters are the
// profile's names (matched ignoring case: lockers send rollno as well as
// RollNo), values trimmed. ok is false when the request carries some of
// them but not all. For a DocType without a profile, every non-empty child
// that is not a standard field or a known extra is a parameter, by its own
// name.
func searchKey(req *xmlschema.Request, prof xmlschema.PullProfile) (key string, ok bool) {
	if prof.SearchKeys == nil {
		params := map[string]string{}
		for _, f := range req.Details {
			if v := strings.TrimSpace(f.Value); v != "" && !isExtra(f.Name) {
				params[f.Name] = v
			}
		}
		return repository.SearchKey(params), true // "" without any
	}
	// A profile's names are distinct (ingest refuses one naming a key
	// twice), so the pairs need no map.
	var buf [8]repository.SearchParam
	pairs := buf[:0]
	for _, k := range prof.SearchKeys {
		if v := field(req, k); v != "" {
			pairs = append(pairs, repository.SearchParam{Name: k, Value: v})
		}
	}
	switch len(pairs) {
	case 0:
		return "", true
	case len(prof.SearchKeys):
		return repository.SearchKeyOf(pairs), true
	}
	return "", false
}

// field is the trimmed value of the first non-empty DocDetails child named
// name, ignoring case.
func field(req *xmlschema.Request, name string) string {
	for _, f := range req.Details {
		if strings.EqualFold(f.Name, name) {
			if v := strings.TrimSpace(f.Value); v != "" {
				return v
			}
		}
	}
	return ""
}

// echoed reports whether a request's DocDetails child goes back in the
// reply: the fields API Setu's issuer description echoes (DocType,
// DigiLockerId, FullName, DOB) and the profile's search parameters. The
// UID is not echoed, in either form: an MD5 of an Aadhaar is brute-forced
// to the number in seconds, and a raw one is the number.
func echoed(name string, prof xmlschema.PullProfile) bool {
	for _, always := range [...]string{"doctype", "digilockerid", "fullname", "dob"} {
		if strings.EqualFold(name, always) {
			return true
		}
	}
	if prof.SearchKeys == nil {
		return !notSearch[strings.ToLower(name)]
	}
	for _, k := range prof.SearchKeys {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

// genderWord spells a Certificate's gender (M, F, T) as the Pull URI
// reply's Person does (Male, Female, Transgender); any other value is
// passed on as it is.
func genderWord(g string) string {
	switch strings.ToUpper(strings.TrimSpace(g)) {
	case "M":
		return "Male"
	case "F":
		return "Female"
	case "T":
		return "Transgender"
	}
	return g
}
