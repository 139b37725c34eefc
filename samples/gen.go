// Package samples generates deterministic synthetic records for tests,
// benchmarks and demos, of three kinds (kinds.go): CBSE-style Class X
// (SSCER, the default) and Class XII (HSCER) marksheets and driving
// licences (DRVLC). Indian names in Latin and Devanagari script, valid
// (Verhoeff) Aadhaar numbers that belong to nobody, realistic marks, and a
// controlled share of bad rows of known kinds.
//
// The files beside this package are the CONTRACT samples: profiles/, and
// for each kind a CSV (cbse-sscer-2025.csv, cbse-hscer-2025.csv,
// transport-drvlc.csv, and each also as XLSX); each CSV is this
// generator's output for seed 2025.
package samples

import (
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
)

// Header is the SSCER sample header of the CONTRACT.
var Header = func() []string {
	h := []string{"RollNo", "Year", "ExamMonth", "Name", "MotherName", "FatherName", "DOB", "Gender",
		"Aadhaar", "Mobile", "SchoolCode", "SchoolName", "Result"}
	for k := 1; k <= 6; k++ {
		s := strconv.Itoa(k)
		h = append(h, "Sub"+s+"Code", "Sub"+s+"Name", "Sub"+s+"Theory", "Sub"+s+"Practical", "Sub"+s+"Max", "Sub"+s+"Grade")
	}
	return h
}()

// Options control Generate.
type Options struct {
	Rows        int
	Seed        uint64
	Year        int     // default 2025
	BadRate     float64 // share of rows made invalid, 0..1
	AadhaarRate float64 // share of rows with an Aadhaar, 0..1 (default 1 when zero and NoAadhaar is false)
	NoAadhaar   bool    // AadhaarRate is really 0
	Kind        string  // SSCER (default), HSCER or DRVLC
}

// BadKinds are the kinds of bad row Generate makes, in turn.
// dob-future is a date of birth decades ahead; too-young a holder below the
// profile's minimum age (a Class X candidate of 6, a licence holder of 10).
var BadKinds = []string{"aadhaar-checksum", "dob", "marks-over-max", "missing-name", "gender", "duplicate-roll", "dob-future", "too-young"}

var (
	firstM  = []string{"Aarav", "Vivaan", "Aditya", "Arjun", "Reyansh", "Mohammed", "Sai", "Krishna", "Ishaan", "Rohan", "Kabir", "Harpreet", "Siddharth", "Anirudh", "Rahul", "Vikram", "Yash", "Nikhil", "Omkar", "Pranav"}
	firstF  = []string{"Aanya", "Diya", "Ananya", "Saanvi", "Priya", "Fatima", "Ishita", "Kavya", "Meera", "Nandini", "Pooja", "Riya", "Sneha", "Tanvi", "Zoya", "Lakshmi", "Gurleen", "Aditi", "Bhavna", "Shreya"}
	last    = []string{"Sharma", "Verma", "Gupta", "Singh", "Kumar", "Patel", "Reddy", "Iyer", "Nair", "Das", "Banerjee", "Chatterjee", "Khan", "Joshi", "Mehta", "Rao", "Pillai", "Yadav", "Mishra", "Sinha"}
	mothers = []string{"Sunita", "Anita", "Rekha", "Kiran", "Geeta", "Suman", "Neelam", "Shabana", "Lata", "Meena"}
	fathers = []string{"Rajesh", "Suresh", "Ramesh", "Anil", "Sanjay", "Imran", "Manoj", "Prakash", "Vijay", "Ashok"}
	// Devanagari names, about one row in eight.
	deva    = []string{"आरव शर्मा", "अनन्या वर्मा", "कृष्ण मौर्य", "प्रिया त्रिपाठी", "सिद्धार्थ द्विवेदी", "श्रेया अग्रवाल"}
	schools = []struct{ code, name string }{
		{"10201", "Kendriya Vidyalaya No. 1, Delhi Cantt"}, {"10345", "Delhi Public School, R.K. Puram"},
		{"20117", "Jawahar Navodaya Vidyalaya, Lucknow"}, {"30452", "St. Xavier's High School, Patna"},
		{"41230", "Army Public School, Pune"}, {"52011", "D.A.V. Public School, Chennai"},
	}
	subjects = []struct{ code, name string }{
		{"184", "English Language and Literature"}, {"002", "Hindi Course-A"}, {"041", "Mathematics Standard"},
		{"086", "Science"}, {"087", "Social Science"}, {"402", "Information Technology"}, {"122", "Sanskrit"},
	}
	grades = []string{"A1", "A2", "B1", "B2", "C1", "C2", "D1", "D2", "E"}
)

// Row makes row i (0-based) of the data set; bad reports the kind of fault
// put into it, or "".
func (o Options) Row(i int) (rec []string, bad string) {
	rec, bad, r := o.sscerRow(i)
	switch o.Kind {
	case KindHSCER:
		rec = o.hscerRow(r, rec)
	case KindDRVLC:
		rec = o.drvlcRow(r, i, rec)
	}
	if bad != "" && o.Kind != "" && o.Kind != KindSSCER {
		bad = o.spoil(rec, bad, i)
	}
	return rec, bad
}

// spoil puts a fault of the given kind into a HSCER or DRVLC row, at that
// kind's columns.
func (o Options) spoil(rec []string, bad string, i int) string {
	h, _ := HeaderFor(o.Kind)
	col := func(name string) int {
		for j, c := range h {
			if c == name {
				return j
			}
		}
		return -1
	}
	switch bad {
	case "aadhaar-checksum":
		if j := col("Aadhaar"); rec[j] != "" {
			rec[j] = rec[j][:11] + strconv.Itoa((int(rec[j][11]-'0')+1)%10)
		} else {
			rec[j] = "234567890120"
		}
	case "dob":
		rec[col("DOB")] = "31-02-2001"
	case "dob-future":
		rec[col("DOB")] = "15-08-2085"
	case "too-young":
		if o.Kind == KindDRVLC {
			issue := rec[col("IssueDate")]
			y, _ := strconv.Atoi(issue[6:])
			rec[col("DOB")] = issue[:6] + strconv.Itoa(y-10)
		} else {
			rec[col("DOB")] = "01-01-" + strconv.Itoa(o.year()-8)
		}
	case "marks-over-max":
		if o.Kind == KindDRVLC {
			rec[col("ValidTill")] = "01-01-1990" // expires before it was issued
		} else {
			rec[col("Sub1Theory")] = "95"
		}
	case "missing-name":
		rec[col("Name")] = ""
	case "gender":
		rec[col("Gender")] = "X"
	case "duplicate-roll":
		if i == 0 {
			return ""
		}
		prev, _ := o.Row(i - 1)
		rec[0] = prev[0]
	}
	return bad
}

func (o Options) sscerRow(i int) (rec []string, bad string, r *rand.Rand) {
	// Adjacent PCG streams are correlated, so each row's generator is
	// seeded from (seed, row) mixed through splitmix64.
	r = rand.New(rand.NewPCG(splitmix(o.Seed^splitmix(uint64(i))), splitmix(uint64(i)+o.Seed*0x9E3779B97F4A7C15)))
	isBad := o.BadRate > 0 && r.Float64() < o.BadRate
	year := o.year()
	roll := o.roll(i)
	gender := "M"
	first := firstM[r.IntN(len(firstM))]
	if r.IntN(2) == 0 {
		gender, first = "F", firstF[r.IntN(len(firstF))]
	}
	surname := last[r.IntN(len(last))]
	name := first + " " + surname
	if r.IntN(8) == 0 {
		name = deva[r.IntN(len(deva))]
	}
	dob := fmt.Sprintf("%02d-%02d-%d", 1+r.IntN(28), 1+r.IntN(12), year-16+r.IntN(2))
	switch r.IntN(3) {
	case 1:
		dob = dob[:2] + "/" + dob[3:5] + "/" + dob[6:]
	case 2:
		dob = dob[6:] + "-" + dob[3:5] + "-" + dob[:2]
	}
	aadhaarRate := o.AadhaarRate
	if aadhaarRate == 0 && !o.NoAadhaar {
		aadhaarRate = 1
	}
	uid := ""
	if r.Float64() < aadhaarRate {
		uid = Aadhaar(r)
	}
	school := schools[r.IntN(len(schools))]
	mobile := strconv.Itoa(6+r.IntN(4)) + fmt.Sprintf("%09d", r.IntN(1e9))
	rec = []string{roll, strconv.Itoa(year), "MAR", name, mothers[r.IntN(len(mothers))] + " " + surname,
		fathers[r.IntN(len(fathers))] + " " + surname, dob, gender, uid, mobile, school.code, school.name, "PASS"}
	nsub := 5 + r.IntN(2)
	perm := r.Perm(len(subjects))
	for k := range 6 {
		if k >= nsub {
			rec = append(rec, "", "", "", "", "", "")
			continue
		}
		s := subjects[perm[k]]
		theory, prac := 30+r.IntN(51), 10+r.IntN(11)
		total := theory + prac
		grade := grades[min(8, (100-total)/8)]
		rec = append(rec, s.code, s.name, strconv.Itoa(theory), strconv.Itoa(prac), "100", grade)
	}
	if isBad {
		bad = BadKinds[r.IntN(len(BadKinds))]
		if o.Kind != "" && o.Kind != KindSSCER {
			return rec, bad, r // spoiled by the kind's own Row
		}
		switch bad {
		case "aadhaar-checksum":
			u := Aadhaar(r)
			rec[8] = u[:11] + strconv.Itoa((int(u[11]-'0')+1)%10)
		case "dob":
			rec[6] = fmt.Sprintf("31-02-%d", year-16)
		case "dob-future":
			rec[6] = "15-08-2085"
		case "too-young":
			rec[6] = fmt.Sprintf("01-01-%d", year-6)
		case "marks-over-max":
			rec[13+2] = "95" // Sub1Theory 95 + practical ≥ 10 > 100
		case "missing-name":
			rec[3] = ""
		case "gender":
			rec[7] = "X"
		case "duplicate-roll":
			if i == 0 {
				bad = ""
			} else {
				rec[0] = o.roll(i - 1)
			}
		}
	}
	return rec, bad, r
}

// year is the examination year of the data set (default 2025).
func (o Options) year() int {
	if o.Year == 0 {
		return 2025
	}
	return o.Year
}

// roll is row i's roll number: unique within a data set, and different
// seeds give different students.
func (o Options) roll(i int) string {
	return strconv.Itoa(5_000_000 + int(o.Seed%40)*100_000 + i*7 + 3)
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// Aadhaar returns a random 12-digit number that passes the Verhoeff check
// and does not start with 0 or 1.
func Aadhaar(r *rand.Rand) string {
	base := strconv.Itoa(2+r.IntN(8)) + fmt.Sprintf("%010d", r.Int64N(1e10))
	return base + string(aadhaar.VerhoeffDigit(base))
}

// WriteCSV writes the header and o.Rows rows to w. It holds one row at a
// time, so any number of rows fits in constant memory.
func (o Options) WriteCSV(w io.Writer) error {
	h, err := HeaderFor(o.Kind)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(h); err != nil {
		return err
	}
	for i := range o.Rows {
		rec, _ := o.Row(i)
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
