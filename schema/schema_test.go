package schema

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
)

func TestCheck(t *testing.T) {
	s := For("SSCER")
	if s == nil || s.Name != "AcademicCertificateSchema" || For("DRVLC").Name != "DrivingLicenseSchema" || For("XYZ") != nil {
		t.Fatal("For")
	}
	doc := etree.NewDocument()
	err := doc.ReadFromString(`<Certificate language="99" name="X" type="SSCER" number="1" issuedAt="" issueDate="" validFromDate="" status="A">` +
		`<IssuedBy><Organization name="B" code="" tin="" uid="" type="CG"/></IssuedBy>` +
		`<IssuedTo><Person name="N" dob="01-01-2000" swd=""/></IssuedTo>` +
		`<CertificateData><School name="S" code="1"/><Extra/></CertificateData><Signature/></Certificate>`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range s.Check(doc.Root()) {
		got = append(got, d.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"Certificate/IssuedBy/Organization/Address: missing required element",
		"Certificate/IssuedTo/Person/@swd: empty required value",
		"Certificate/IssuedTo/Person/@swdIndicator: missing required attribute",
		"Certificate/IssuedTo/Person/Photo: missing required element",
		"Certificate/CertificateData/Extra: unknown element",
		"Certificate/CertificateData/Performance: missing required element",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "Signature") {
		t.Errorf("the Signature is reported:\n%s", all)
	}
}
