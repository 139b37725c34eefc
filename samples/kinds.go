package samples

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// Kinds of data set Generate can make, by DocType.
const (
	KindSSCER = "SSCER" // Class X marksheet (the default)
	KindHSCER = "HSCER" // Class XII marksheet
	KindDRVLC = "DRVLC" // driving licence
)

// HeaderFor returns the header of a kind's data set.
func HeaderFor(kind string) ([]string, error) {
	switch kind {
	case "", KindSSCER:
		return Header, nil
	case KindHSCER:
		return HeaderHSCER, nil
	case KindDRVLC:
		return HeaderDRVLC, nil
	}
	return nil, fmt.Errorf("unknown kind %q (want SSCER, HSCER or DRVLC)", kind)
}

// HeaderHSCER is the Class XII sample header: the Class X one with a Stream
// column and five subjects.
var HeaderHSCER = func() []string {
	h := append([]string{}, Header[:12]...)
	h = append(h, "Stream", "Result")
	for k := 1; k <= 5; k++ {
		s := strconv.Itoa(k)
		h = append(h, "Sub"+s+"Code", "Sub"+s+"Name", "Sub"+s+"Theory", "Sub"+s+"Practical", "Sub"+s+"Max", "Sub"+s+"Grade")
	}
	return h
}()

// HeaderDRVLC is the driving licence sample header.
var HeaderDRVLC = []string{"LicenceNo", "Name", "FatherName", "DOB", "Gender", "BloodGroup", "Aadhaar", "Mobile",
	"AddressLine", "District", "State", "Pin", "IssueDate", "ValidTill", "RTOCode", "RTOName",
	"Cat1Code", "Cat1IssueDate", "Cat2Code", "Cat2IssueDate", "Cat3Code", "Cat3IssueDate"}

var streams = []struct {
	name string
	subs []struct{ code, name string }
}{
	{"Science", []struct{ code, name string }{{"301", "English Core"}, {"042", "Physics"}, {"043", "Chemistry"}, {"041", "Mathematics"}, {"083", "Computer Science"}}},
	{"Commerce", []struct{ code, name string }{{"301", "English Core"}, {"054", "Business Studies"}, {"055", "Accountancy"}, {"030", "Economics"}, {"041", "Mathematics"}}},
	{"Humanities", []struct{ code, name string }{{"301", "English Core"}, {"027", "History"}, {"028", "Political Science"}, {"029", "Geography"}, {"037", "Psychology"}}},
}

// hscerRow is row i of a Class XII data set.
func (o Options) hscerRow(r *rand.Rand, base []string) []string {
	rec := append([]string{}, base[:12]...)
	// Class XII students are two years older than Class X ones.
	if d, ok := parseAnyDate(rec[6]); ok {
		rec[6] = d.AddDate(-2, 0, 0).Format("02-01-2006")
	}
	st := streams[r.IntN(len(streams))]
	rec = append(rec, st.name, "PASS")
	for _, s := range st.subs {
		// Theory out of 70, practical or project out of 30.
		theory, prac := 25+r.IntN(46), 15+r.IntN(16)
		total := theory + prac
		rec = append(rec, s.code, s.name, strconv.Itoa(theory), strconv.Itoa(prac), "100", grades[min(8, (100-total)/8)])
	}
	return rec
}

var (
	states = []struct{ code, name, rto, district string }{
		{"DL", "Delhi", "DL-04", "West Delhi"}, {"MH", "Maharashtra", "MH-12", "Pune"},
		{"KA", "Karnataka", "KA-01", "Bengaluru Urban"}, {"TN", "Tamil Nadu", "TN-09", "Chennai"},
		{"UP", "Uttar Pradesh", "UP-32", "Lucknow"},
	}
	categories = []string{"MCWG", "LMV", "LMV-TR", "HGMV", "MCWOG"}
	blood      = []string{"A+", "A-", "B+", "B-", "O+", "O-", "AB+", "AB-"}
)

// drvlcRow is row i of a driving licence data set.
func (o Options) drvlcRow(r *rand.Rand, i int, base []string) []string {
	st := states[r.IntN(len(states))]
	year := 2005 + r.IntN(20)
	lic := fmt.Sprintf("%s%s%d%07d", st.rto[:2], st.rto[3:], year, int(o.Seed%50)*100_000+i)
	lic = lic[:4] + "-" + lic[4:] // e.g. DL04-20110012345: a DocID with a dash
	dob, _ := parseAnyDate(base[6])
	dob = time.Date(year-18-r.IntN(30), dob.Month(), dob.Day(), 0, 0, 0, 0, time.UTC)
	issue := fmt.Sprintf("%02d-%02d-%d", 1+r.IntN(28), 1+r.IntN(12), year)
	valid := fmt.Sprintf("%s-%d", issue[:5], year+20)
	rec := []string{lic, base[3], base[5], dob.Format("02-01-2006"), base[7], blood[r.IntN(len(blood))], base[8], base[9],
		fmt.Sprintf("%d, Sector %d", 1+r.IntN(400), 1+r.IntN(60)), st.district, st.name, strconv.Itoa(110001 + r.IntN(800000)),
		issue, valid, st.rto, "RTO " + st.district}
	n := 1 + r.IntN(3)
	perm := r.Perm(len(categories))
	for k := range 3 {
		if k >= n {
			rec = append(rec, "", "")
			continue
		}
		rec = append(rec, categories[perm[k]], issue)
	}
	return rec
}
