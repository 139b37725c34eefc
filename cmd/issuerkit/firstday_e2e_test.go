//go:build integration

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFirstDayMessages: what a new user hits first gets a message that says
// what to do. A search without one of the DocType's keys names it; an input
// of a type ingest cannot read is refused before anything else is printed;
// a PDF renders with the fonts built into the binary; a date of birth in
// the future is a rejected row, not an issued document.
func TestFirstDayMessages(t *testing.T) {
	dir := t.TempDir()
	h := "--home=" + filepath.Join(dir, "home")
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE")
	mustCLI(t, h, "ingest", "--profile", profile, sample)

	for _, tt := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no year", []string{"get", "--doctype", "SSCER", "--roll", "7500003"}, exitUsage,
			"SSCER documents are found by RollNo and Year: give --year too"},
		{"no roll", []string{"get", "--doctype", "SSCER", "--year", "2025"}, exitUsage,
			"SSCER documents are found by RollNo and Year: give --roll too"},
		{"a key the DocType has not", []string{"get", "--doctype", "SSCER", "--roll", "7500003", "--year", "2025", "--key", "Board=X"}, exitUsage,
			"SSCER documents are found by RollNo and Year; Board is not one of them"},
		{"unknown DocType", []string{"get", "--doctype", "HSCER", "--roll", "7500003", "--year", "2025"}, 1,
			"this home has no HSCER documents"},
		{"no such student", []string{"get", "--doctype", "SSCER", "--roll", "7500004", "--year", "2025"}, 1,
			"no SSCER document with those search keys"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{h}, tt.args...)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tt.code, tt.want)
			}
		})
	}

	t.Run("unsupported input", func(t *testing.T) {
		odt := filepath.Join(dir, "results.ods")
		os.WriteFile(odt, []byte("not a spreadsheet we read"), 0o644)
		r := runCLI(t, h, "ingest", "--profile", profile, sample, odt)
		if r.code != 1 || !strings.Contains(r.stderr, `unsupported input type ".ods"`) {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("printed %q before the error; want nothing", r.stdout)
		}
	})

	t.Run("PDF without system fonts", func(t *testing.T) {
		// The home names no font_dir and the test sets no font path: the
		// fonts come from the binary.
		r := mustCLI(t, h, "get", "--doctype", "SSCER", "--roll", "7500003", "--year", "2025", "--format", "pdf")
		if !strings.HasPrefix(r.stdout, "%PDF-") || !strings.Contains(r.stdout, "/FontFile2") {
			t.Errorf("not a PDF with embedded fonts: %.40q", r.stdout)
		}
	})

	t.Run("DOB in the future", func(t *testing.T) {
		b, err := os.ReadFile(sample)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitN(string(b), "\n", 3)
		cells := strings.Split(lines[1], ",")
		cells[0], cells[6] = "7599999", "05-01-2099" // a new roll number, born in 2099
		in := filepath.Join(dir, "future.csv")
		os.WriteFile(in, []byte(lines[0]+"\n"+strings.Join(cells, ",")+"\n"), 0o644)
		rej := filepath.Join(dir, "future-rejects.csv")
		r := runCLI(t, h, "ingest", "--profile", profile, "--rejects", rej, in)
		if r.code != exitRejected {
			t.Fatalf("exit %d, want %d\n%s%s", r.code, exitRejected, r.stdout, r.stderr)
		}
		report, _ := os.ReadFile(rej)
		want := "2,\"DOB: 05-01-2099 is in the future (rule not_future; the run is on "
		if !strings.Contains(string(report), want) || !strings.Contains(string(report), "below the minimum age 10 (rule age.min)") {
			t.Errorf("report:\n%s\nwant %q and the age rule", report, want)
		}
		if r := runCLI(t, h, "get", "--doctype", "SSCER", "--roll", "7599999", "--year", "2025"); r.code == 0 {
			t.Error("the row was issued")
		}
	})
}

// TestVerifyDirectory: verify DIR checks every document under it on every
// core and prints one line per file in order; a changed one fails.
func TestVerifyDirectory(t *testing.T) {
	dir := t.TempDir()
	h := "--home=" + filepath.Join(dir, "home")
	mustCLI(t, h, "init", "--issuer-id", "in.gov.cbse", "--issuer-name", "CBSE")
	mustCLI(t, h, "ingest", "--profile", profile, sample)
	docs := filepath.Join(dir, "docs")
	os.Mkdir(docs, 0o755)
	var want []string
	for i, roll := range []string{"7500003", "7500017", "7500010"} {
		r := mustCLI(t, h, "get", "--doctype", "SSCER", "--roll", roll, "--year", "2025")
		p := filepath.Join(docs, fmt.Sprintf("%d-%s.xml", i, roll))
		data := r.stdout
		if i == 1 {
			data = strings.Replace(data, `marksTheory="`, `marksTheory="1`, 1)
		}
		os.WriteFile(p, []byte(data), 0o644)
		want = append(want, p)
	}
	r := runCLI(t, h, "verify", docs)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 1 || len(lines) != 3 || lines[0] != "OK "+want[0] || !strings.HasPrefix(lines[1], "FAIL "+want[1]+": ") || lines[2] != "OK "+want[2] {
		t.Errorf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
}
