package issuer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/issuerkit/issuerkit/ingest"
	"github.com/issuerkit/issuerkit/internal/home"
)

func TestOf(t *testing.T) {
	h := &home.Home{}
	h.Config.Issuer.ID, h.Config.Issuer.Name, h.Config.Issuer.Type = "in.gov.cbse", "CBSE", "CG"
	h.Config.Issuer.Address = map[string]string{"state": "Delhi", "line1": "Shiksha Kendra", "pin": "110092"}
	iss, err := Of(h)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(iss.Address); got != "[{line1 Shiksha Kendra} {pin 110092} {state Delhi}]" || iss.ID != "in.gov.cbse" || iss.Type != "CG" {
		t.Errorf("Of: %+v (address %s), want the official attribute order", iss, got)
	}
	h.Config.Issuer.Address["street"] = "x"
	if _, err := Of(h); err == nil || !strings.Contains(err.Error(), "issuer.address.street") {
		t.Errorf("an unknown address field: %v", err)
	}
}

// TestRecordedProfiles: a profile ingest recorded is what serve answers
// with, and one named on the command line for the same DocType wins.
func TestRecordedProfiles(t *testing.T) {
	h := &home.Home{Dir: t.TempDir()}
	const sample = "../../samples/profiles/cbse-sscer.yaml"
	prof, err := ingest.LoadProfile(sample)
	if err != nil {
		t.Fatal(err)
	}
	if err := RecordProfile(h, prof, sample); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(h.Dir, "profiles", "SSCER.yaml")); err != nil {
		t.Fatal(err)
	}
	got, err := PullProfiles(h, nil)
	if err != nil || len(got) != 1 || got[0].DocType != "SSCER" {
		t.Fatalf("PullProfiles: %+v, %v", got, err)
	}
	b, _ := os.ReadFile(sample)
	other := filepath.Join(t.TempDir(), "other.yaml")
	os.WriteFile(other, []byte(strings.Replace(string(b), "search_keys: [RollNo, Year]", "search_keys: [RollNo]", 1)), 0o600)
	got, err = PullProfiles(h, []string{other})
	if err != nil || len(got) != 1 {
		t.Fatalf("PullProfiles with --profile: %+v, %v", got, err)
	}
	if fmt.Sprint(got[0].SearchKeys) != "[RollNo]" {
		t.Errorf("the --profile file did not win: %+v", got[0])
	}
}
