package schema

// The element tables, read from the API Setu OpenAPI descriptions
// (repo paragonsean/openapi-directory, APIs/apisetu.gov.in/{cbse,transport}/3.0.0/
// java-client/api/openapi.yaml): for each element its "required"
// properties; "!" where the property has minLength 1; "=v" a default
// ingest writes when the profile gives no value (the descriptions' own
// examples: country IN, an address of type permanent; a result declared on
// the issue date).
//
// Two readings of the descriptions: AcademicCertificateSchema gives the
// Person's category minLength 1 though CBSE's results data carries none;
// the shipped profiles write "NA" (not available) rather than guess one.
// DrivingLicenseSchema requires category and motherName of the Person
// without describing them: they are present, possibly empty.

var academic = build("AcademicCertificateSchema", "apisetu.gov.in cbse 3.0.0", []string{"SSCER", "HSCER"}, `
.: language! name! type number! issuedAt issueDate validFromDate status!
IssuedBy:
IssuedBy/Organization: name! code tin uid type!
IssuedBy/Organization/Address: type line1 line2 house landmark locality vtc district pin state country!=IN
IssuedTo:
IssuedTo/Person: uid title name! dob! swd! swdIndicator! gender maritalStatus religion phone email motherName! category! disabilityStatus
IssuedTo/Person/Address: type!=permanent line1 line2 house landmark locality vtc district pin state country!=IN
IssuedTo/Person/Photo: format
CertificateData:
CertificateData/School: name! code!
CertificateData/Examination: name! month! year!
CertificateData/Performance: result! marksTotal marksMax percentage cgpa cgpaMax grade resultDate!==issueDate updateDate
CertificateData/Performance/Subjects:
CertificateData/Performance/Subjects/Subject?: name! code! marksTheory! marksMaxTheory marksPractical marksMaxPractical marksTotal! marksMax gp gpMax grade!
`)

var driving = build("DrivingLicenseSchema", "apisetu.gov.in transport 3.0.0", []string{"DRVLC"}, `
.: language! name! type number! issuedAt issueDate validFromDate status!
IssuedBy:
IssuedBy/Organization: name! code tin uid type!
IssuedBy/Organization/Address: type line1 line2 house landmark locality vtc district pin state country!=IN
IssuedTo:
IssuedTo/Person: uid title name! dob! swd! swdIndicator! gender maritalStatus religion phone email motherName category disabilityStatus
IssuedTo/Person/Address: type!=permanent line1 line2 house landmark locality vtc district pin state country!=IN
IssuedTo/Person/Photo: format
CertificateData?:
CertificateData/DrivingLicense: code! abbreviation description endorseDate issueDate
`)

var all = []*Schema{academic, driving}
