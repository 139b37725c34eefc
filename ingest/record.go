package ingest

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/issuerkit/issuerkit/internal/aadhaar"
	"github.com/issuerkit/issuerkit/xmlschema"
)

// Row is one input record: the 1-based line it starts on (header = 1) and
// its cells in header order.
type Row struct {
	Line  int
	Cells []string
	// Dates says how bare numbers in date columns are read (XLSX serials).
	Dates DateSystem
}

// RowError lists every problem of one row; Error joins them with "; " as
// the rejects report's error column does. No message holds a full Aadhaar:
// Error redacts what it joins, whatever a problem quotes (a cell, a value
// in an expression error).
type RowError struct {
	Line     int
	Problems []string
}

func (e *RowError) Error() string { return guard(strings.Join(e.Problems, "; ")) }

// Record is a validated, mapped row, ready to render.
type Record struct {
	Line       int
	DocID      string
	Aadhaar    string // the plain number, empty when none; never rendered
	HolderName string
	HolderDOB  string // DD-MM-YYYY
	Search     map[string]string
	canon      string // canonical profile-mapped values, for the content hash
	revision   int    // the profile's revision, for the content hash
	env        map[string]any
}

// Mapper binds a profile to one input's header.
type Mapper struct {
	p     *Profile
	idx   []int     // per profile column, its index in the header
	today time.Time // the day of the run, for date rules
}

// Bind checks header against the profile and returns a Mapper for its rows.
func (p *Profile) Bind(header []string) (*Mapper, error) {
	if err := p.CheckHeader(header); err != nil {
		return nil, err
	}
	pos := make(map[string]int, len(header))
	for i, h := range header {
		pos[h] = i
	}
	m := &Mapper{p: p, idx: make([]int, len(p.columns)), today: runDay(time.Now())}
	for i, c := range p.columns {
		m.idx[i] = pos[c.Name]
	}
	return m, nil
}

// SetNow sets the time of the run, which date rules such as not_future
// compare with (default: when Bind was called). Its day in India Standard
// Time counts.
func (m *Mapper) SetNow(t time.Time) { m.today = runDay(t) }

// Profile returns the bound profile.
func (m *Mapper) Profile() *Profile { return m.p }

// Map validates row and maps it to a Record, or returns a *RowError with
// every problem found.
func (m *Mapper) Map(row Row) (*Record, error) {
	p := m.p
	env := make(map[string]any, len(p.columns)+len(p.groups)+len(p.derived))
	raw := make([]string, len(p.columns)) // the cells in profile order
	for i := range p.columns {
		if j := m.idx[i]; j < len(row.Cells) {
			raw[i] = row.Cells[j]
		}
	}
	rec := &Record{Line: row.Line, Search: make(map[string]string, len(p.SearchKeys))}
	probs, dates := m.parseColumns(row, raw, env, rec)
	probs = m.collectGroups(raw, env, probs)
	if dates != nil {
		probs = append(probs, p.checkDates(dates, env, m.today)...)
	}
	if len(probs) > 0 {
		return nil, &RowError{Line: row.Line, Problems: probs}
	}
	if probs = m.derive(env); len(probs) > 0 {
		return nil, &RowError{Line: row.Line, Problems: probs}
	}
	docID, err := p.docID.exec(env)
	if err == nil {
		err = xmlschema.ValidateDocID(docID)
	}
	if err != nil {
		return nil, &RowError{Line: row.Line, Problems: []string{"DocID: " + guard(err.Error())}}
	}
	rec.DocID = docID
	rec.HolderName = formatValue(env[p.holder.Name])
	rec.HolderDOB = formatValue(env[p.holder.DOB])
	for _, k := range p.SearchKeys {
		rec.Search[k] = formatValue(env[k])
	}
	rec.revision = m.p.revision
	rec.env = env
	return rec, nil
}

// parseColumns parses every column's cell into env and rec (the Aadhaar
// number, masked in env; the canonical form the content hash is made of)
// and returns the problems found and, when the profile has date rules,
// the parsed dates.
func (m *Mapper) parseColumns(row Row, raw []string, env map[string]any, rec *Record) ([]string, map[string]time.Time) {
	p := m.p
	var probs []string
	var canon strings.Builder
	n := p.canonNames + 2*len(p.columns) + 16 // a date may grow by two
	for _, cell := range raw {
		n += len(cell)
	}
	canon.Grow(n)
	var dates map[string]time.Time // parsed values of columns with date rules
	for _, c := range p.columns {
		v, norm, prob := c.parse(raw[c.pos], !c.grouped, row.Dates)
		if prob != "" {
			probs = append(probs, c.Name+": "+prob)
			continue
		}
		if p.anyDateRules && c.Type == "date" && norm != "" {
			if dates == nil {
				dates = make(map[string]time.Time, 4)
			}
			dates[c.Name], _ = parseLayout("2-1-2006", norm) // norm is DD-MM-YYYY
		}
		if c.Type == "aadhaar" && norm != "" {
			if c.Name == p.holder.Aadhaar {
				rec.Aadhaar = norm
			}
			v = aadhaar.Mask(norm)
			norm = "\x00aadhaar" // the pipeline hashes the keyed lookup hash in its place
		}
		env[c.Name] = v
		canon.WriteString(c.Name)
		canon.WriteByte('=')
		canon.WriteString(norm)
		canon.WriteByte('\n')
	}
	rec.canon = canon.String()
	return probs, dates
}

// collectGroups puts each group's present members in env and appends the
// problems found to probs. A member is present when any of its cells is
// set; required applies within present members only.
func (m *Mapper) collectGroups(raw []string, env map[string]any, probs []string) []string {
	for _, g := range m.p.groups {
		members := make([]map[string]any, 0, g.Count)
		for k := 1; k <= g.Count; k++ {
			present := false
			for _, f := range g.fields {
				if raw[f.columns[k-1].pos] != "" {
					present = true
					break
				}
			}
			if !present {
				continue
			}
			// Room for k, the fields and what derive adds, plus one
			// (BenchmarkMapCertificate: 5 fewer allocations a row).
			mem := make(map[string]any, 2+len(g.fields)+len(g.derived))
			mem["k"] = k
			for _, f := range g.fields {
				c := f.columns[k-1]
				if c.Required && strings.TrimSpace(raw[c.pos]) == "" {
					probs = append(probs, c.Name+": required when "+g.Name+" "+strconv.Itoa(k)+" is given")
				}
				mem[f.name] = env[c.Name]
			}
			members = append(members, mem)
		}
		if len(members) < g.MinPresent {
			probs = append(probs, fmt.Sprintf("%s: at least %d required, found %d", g.Name, g.MinPresent, len(members)))
		}
		env[g.Name] = members
	}
	return probs
}

// derive computes the groups' derived values and runs their checks, then
// the record's, and returns the problems found.
func (m *Mapper) derive(env map[string]any) []string {
	p := m.p
	var probs []string
	var buf map[string]any // a member's scope, reused
	for _, g := range p.groups {
		members := env[g.Name].([]map[string]any)
		for _, mem := range members {
			scope := memberScope(&buf, env, mem, g.deps)
			for _, d := range g.derived {
				v, err := run(d.prog, scope)
				if err != nil {
					probs = append(probs, fmt.Sprintf("%s: %s could not be computed: %s", g.Name, d.name, firstLine(err.Error())))
					continue
				}
				mem[d.name], scope[d.name] = v, v
			}
			label, _ := g.label.exec(scope)
			probs = append(probs, runChecks(g.checks, scope, label+": ")...)
		}
	}
	for _, d := range p.derived {
		v, err := run(d.prog, env)
		if err != nil {
			probs = append(probs, fmt.Sprintf("%s could not be computed: %s", d.name, firstLine(err.Error())))
			continue
		}
		env[d.name] = v
	}
	return append(probs, runChecks(p.checks, env, "")...)
}

// Display returns row's cells as a person should see them in a rejects
// report: an XLSX date serial in a date column becomes DD-MM-YYYY, so the
// report can be corrected and ingested as CSV.
func (m *Mapper) Display(row Row) []string {
	if row.Dates == NoSerialDates {
		return row.Cells
	}
	out := append([]string(nil), row.Cells...)
	for i, c := range m.p.columns {
		if c.Type != "date" || m.idx[i] >= len(out) {
			continue
		}
		if d, ok := serialDate(strings.TrimSpace(out[m.idx[i]]), row.Dates); ok {
			out[m.idx[i]] = d.Format("02-01-2006")
		}
	}
	return out
}

// memberScope returns the scope of a group member's rules and templates:
// its own fields, plus the record values in deps they refer to. With no
// deps that is mem itself; else the map *buf (made when nil, and kept for
// the next member) is cleared and filled with copies. Copying only those
// (instead of the whole record) into one reused map keeps mapping cheap.
// What the rules derive is written to both the scope and mem.
func memberScope(buf *map[string]any, env, mem map[string]any, deps []string) map[string]any {
	if len(deps) == 0 {
		return mem // nothing to add: the member is its own scope
	}
	m := *buf
	if m == nil {
		m = make(map[string]any, len(mem)+len(deps)+4)
		*buf = m
	} else {
		clear(m)
	}
	for _, d := range deps {
		m[d] = env[d]
	}
	for k, v := range mem {
		m[k] = v
	}
	return m
}

func runChecks(checks []check, env map[string]any, prefix string) []string {
	var probs []string
	for _, c := range checks {
		out, err := run(c.prog, env)
		if err != nil {
			probs = append(probs, prefix+"rule "+c.src+" could not be evaluated: "+firstLine(err.Error()))
			continue
		}
		if ok, _ := out.(bool); !ok {
			msg, err := c.message.exec(env)
			if err != nil {
				msg = "rule not met: " + c.src
			}
			probs = append(probs, prefix+guard(msg))
		}
	}
	return probs
}

// parse normalizes one cell by the column's type and checks its rules. It
// returns the typed value for expressions, the canonical string and a
// problem, if any. required says whether an empty cell is a problem here.
func (c *Column) parse(cell string, required bool, ds DateSystem) (any, string, string) {
	s := strings.TrimSpace(cell)
	if s == "" {
		if required && c.Required {
			return nil, "", "required"
		}
		return nil, "", ""
	}
	if !xmlschema.ValidXMLText(s) || strings.IndexFunc(s, func(r rune) bool { return r < 0x20 }) >= 0 {
		return nil, "", "contains a control character or invalid UTF-8"
	}
	if c.Type != "aadhaar" {
		s = collapseSpace(s)
		if n := utf8.RuneCountInString(s); n > c.MaxLen {
			return nil, "", fmt.Sprintf("longer than %d characters (%d)", c.MaxLen, n)
		}
	}
	var v any // the typed value of an int or decimal; else s, boxed once at the end
	switch c.Type {
	case "name":
		for _, r := range s {
			if !unicode.IsLetter(r) && !unicode.IsMark(r) && !strings.ContainsRune(" .'-", r) {
				return nil, "", fmt.Sprintf("%s has a character %q not allowed in a name", quote(s), r)
			}
		}
	case "int":
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, "", quote(s) + " is not a whole number"
		}
		if prob := c.checkRange(float64(n), s); prob != "" {
			return nil, "", prob
		}
		v, s = n, strconv.Itoa(n)
	case "decimal":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, "", quote(s) + " is not a number"
		}
		if prob := c.checkRange(f, s); prob != "" {
			return nil, "", prob
		}
		v, s = f, strconv.FormatFloat(f, 'f', -1, 64)
	case "date":
		d, ok := serialDate(s, ds)
		if !ok {
			d, ok = c.parseDate(s)
		}
		if !ok {
			return nil, "", fmt.Sprintf("%s is not a valid date (want %s)", quote(s), strings.Join(c.formats, ", "))
		}
		s = d.Format("02-01-2006")
	case "aadhaar":
		s = aadhaarSeparators.Replace(s)
		if err := aadhaar.Validate(s); err != nil {
			return nil, "", err.Error()
		}
	}
	if c.Pattern != nil && !c.Pattern.MatchString(s) {
		return nil, "", fmt.Sprintf("%s does not match the pattern %s", quote(s), c.Pattern)
	}
	if len(c.Enum) > 0 {
		found := false
		for i, e := range c.Enum {
			if strings.EqualFold(e, s) {
				s, v, found = e, c.enumAny[i], true
				break
			}
		}
		if !found {
			return nil, "", fmt.Sprintf("%s is not one of %s", quote(s), strings.Join(c.Enum, ", "))
		}
	}
	if v == nil {
		v = s
	}
	return v, s, ""
}

// aadhaarSeparators are what may group an Aadhaar number's digits.
var aadhaarSeparators = strings.NewReplacer(" ", "", "-", "")

// collapseSpace is strings.Join(strings.Fields(s), " ") for a trimmed s,
// without allocating when s is already so (most cells are).
func collapseSpace(s string) string {
	prevSpace := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			r, w := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) {
				return strings.Join(strings.Fields(s), " ")
			}
			i += w - 1
			prevSpace = false
		case c == ' ':
			if prevSpace {
				return strings.Join(strings.Fields(s), " ")
			}
			prevSpace = true
		case c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r':
			return strings.Join(strings.Fields(s), " ")
		default:
			prevSpace = false
		}
	}
	return s
}

func (c *Column) checkRange(f float64, s string) string {
	if c.Min != nil && f < *c.Min {
		return fmt.Sprintf("%s is below the minimum %s", s, formatValue(*c.Min))
	}
	if c.Max != nil && f > *c.Max {
		return fmt.Sprintf("%s is above the maximum %s", s, formatValue(*c.Max))
	}
	return ""
}

func (c *Column) parseDate(s string) (time.Time, bool) {
	for _, l := range c.layouts {
		if d, ok := parseLayout(l, s); ok && d.Year() >= 1900 && d.Year() <= 2200 {
			return d, true
		}
	}
	return time.Time{}, false
}

// quote echoes a cell value in a message, guarded and then clipped: a
// number cut before redaction would show 11 of its 12 digits, and the 12th
// is a check digit.
func quote(s string) string {
	s = guard(s)
	if utf8.RuneCountInString(s) > 40 {
		s = string([]rune(s)[:40]) + "…"
	}
	return strconv.Quote(s)
}

// guard masks every run of 12 or more digits, so an Aadhaar typed into the
// wrong column cannot reach a message.
func guard(s string) string { return aadhaar.Redact(s) }
