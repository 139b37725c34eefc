package ingest

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestPullPolicyInProfile(t *testing.T) {
	p, err := ParseProfile([]byte(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Pull.Require, []string{"FullName", "DOB"}) || p.Pull.Initials {
		t.Fatalf("no pull: section: %+v, want the default (FullName and DOB, no initials)", p.Pull)
	}
	p, err = ParseProfile([]byte(minimal + "pull: {require: [FullName], match: [FullName, UID], initials: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if pp := p.PullProfile(); !slices.Equal(pp.Policy.Require, []string{"FullName"}) || !pp.Policy.Initials || pp.Policy.Matches("DOB") || pp.DocType != "TESTX" {
		t.Fatalf("pull: %+v", pp)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"pull: {require: [Mobile]}\n", `"Mobile" is not a holder field`},
		{"pull: {require: [DOB], match: [FullName]}\n", "DOB is required but not in match"},
		{"pull: {required: [DOB]}\n", "field required not found"},
	} {
		if _, err := ParseProfile([]byte(minimal + bad.yaml)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err %v, want %q", bad.yaml, err, bad.want)
		}
	}
}

// TestLoadPullProfile reads the pull profile of a file whose certificate
// part would not load.
func TestLoadPullProfile(t *testing.T) {
	path := t.TempDir() + "/old.yaml"
	os.WriteFile(path, []byte("doctype: SSCER\nsearch_keys: [RollNo, Year]\npull: {initials: true}\ncertificate: {person: {name: x}}\n"), 0o600)
	pp, err := LoadPullProfile(path)
	if err != nil || pp.DocType != "SSCER" || !slices.Equal(pp.SearchKeys, []string{"RollNo", "Year"}) || !pp.Policy.Initials || !pp.Policy.Requires("DOB") {
		t.Fatalf("%+v %v", pp, err)
	}
	os.WriteFile(path, []byte("doctype: SSCER\npull: {require: [Mobile]}\n"), 0o600)
	if _, err := LoadPullProfile(path); err == nil {
		t.Fatal("a bad pull policy was accepted")
	}
}

// TestAPISetuParameters: pull: apisetu_parameters names search keys as
// API Setu's certificateParameters do, in a full profile (the transport
// sample: dlno) and in a pull profile; a name for a non-key is refused.
func TestAPISetuParameters(t *testing.T) {
	p, err := LoadProfile("../samples/profiles/transport-drvlc.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if pp := p.PullProfile(); pp.APIName("LicenceNo") != "dlno" {
		t.Fatalf("transport sample: LicenceNo is %q in API Setu, want dlno", pp.APIName("LicenceNo"))
	}
	pp, err := LoadPullProfile("../samples/profiles/transport-drvlc.yaml")
	if err != nil || pp.APIName("LicenceNo") != "dlno" || pp.APIName("Other") != "Other" {
		t.Fatalf("pull profile: %+v %v", pp, err)
	}
	keyed := strings.Replace(minimal, "holder:", "search_keys: [Id]\nholder:", 1)
	if _, err := ParseProfile([]byte(keyed + "pull: {apisetu_parameters: {Name: name}}\n")); err == nil || !strings.Contains(err.Error(), `"Name" is not a search key`) {
		t.Errorf("a name for a non-key: %v", err)
	}
	path := t.TempDir() + "/p.yaml"
	os.WriteFile(path, []byte("doctype: SSCER\nsearch_keys: [RollNo]\npull: {apisetu_parameters: {Year: year}}\n"), 0o600)
	if _, err := LoadPullProfile(path); err == nil {
		t.Error("LoadPullProfile accepted a name for a non-key")
	}
}
