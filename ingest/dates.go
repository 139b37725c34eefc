package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/issuerkit/issuerkit/xmlschema"
	"go.yaml.in/yaml/v3"
)

// Date rules of a date column, relative to the run or to other columns:
//
//	DOB:       {type: date, not_future: true, age: {min: 10, max: 25, on: "31-12-{Year}"}}
//	IssueDate: {type: date, not_future: true, after: DOB}
//	ValidTill: {type: date, after: IssueDate}
//
// not_future: on or before the day of the run (India Standard Time).
// before/after: strictly earlier/later than each named date column of the
// record (a name or a list); checked when both are set.
// age: the holder's age in whole years on the date `on` (a template giving a
// date, such as "31-12-{Year}" or "{IssueDate}"; default the day of the run)
// is at least min and at most max. Rules on a group field may use
// not_future, before and after (naming record columns); age needs a record
// column.
type dateRules struct {
	notFuture     bool
	before, after []string
	age           *ageRule
}

type ageRule struct {
	min, max *int
	on       *template // nil: the day of the run
	onSrc    string
}

// names is a YAML scalar or sequence of column names.
type names []string

func (n *names) UnmarshalYAML(v *yaml.Node) error {
	switch v.Kind {
	case yaml.ScalarNode:
		*n = names{v.Value}
		return nil
	case yaml.SequenceNode:
		var s []string
		if err := v.Decode(&s); err != nil {
			return err
		}
		*n = s
		return nil
	}
	return fmt.Errorf("line %d: want a column name or a list of them", v.Line)
}

type rawAge struct {
	Min *int   `yaml:"min"`
	Max *int   `yaml:"max"`
	On  string `yaml:"on"`
}

func (r rawColumn) hasDateRules() bool {
	return r.NotFuture || len(r.Before) > 0 || len(r.After) > 0 || r.Age != nil
}

// compileDateRules checks the shape of a column's date rules; the names
// they refer to are resolved by (*Profile).resolveDateRules once every
// column is known.
func (r rawColumn) compileDateRules(c *Column) error {
	if !r.hasDateRules() {
		return nil
	}
	if c.Type != "date" {
		return fmt.Errorf("column %s: not_future, before, after and age need type date", c.Name)
	}
	c.dates = &dateRules{notFuture: r.NotFuture, before: r.Before, after: r.After}
	if r.Age != nil {
		a := r.Age
		if a.Min == nil && a.Max == nil {
			return fmt.Errorf("column %s: age needs min, max or both", c.Name)
		}
		if a.Min != nil && a.Max != nil && *a.Min > *a.Max {
			return fmt.Errorf("column %s: age min %d is above max %d", c.Name, *a.Min, *a.Max)
		}
		c.dates.age = &ageRule{min: a.Min, max: a.Max, onSrc: a.On}
	}
	return nil
}

// resolveDateRules checks that every column a date rule names is a record
// date column, and compiles the age reference dates against scope.
func (p *Profile) resolveDateRules(scope map[string]any) error {
	for _, c := range p.columns {
		d := c.dates
		if d == nil {
			continue
		}
		p.anyDateRules = true
		for _, list := range []struct {
			key   string
			names []string
		}{{"before", d.before}, {"after", d.after}} {
			for _, n := range list.names {
				t := p.byName[n]
				switch {
				case t == nil:
					return fmt.Errorf("column %s: %s: %q is not a column", c.Name, list.key, n)
				case t == c:
					return fmt.Errorf("column %s: %s: a date cannot be compared with itself", c.Name, list.key)
				case t.Type != "date":
					return fmt.Errorf("column %s: %s: column %q is not of type date", c.Name, list.key, n)
				case t.grouped:
					return fmt.Errorf("column %s: %s: %q is a group field; name a record column", c.Name, list.key, n)
				}
			}
		}
		if d.age == nil {
			continue
		}
		if c.grouped {
			return fmt.Errorf("column %s: age is for record columns, not group fields", c.Name)
		}
		if d.age.onSrc != "" {
			t, err := parseTemplate(d.age.onSrc, scope, exprOptions)
			if err != nil {
				return fmt.Errorf("column %s: age.on: %w", c.Name, err)
			}
			d.age.on = &t
		}
	}
	return nil
}

// checkDates applies the date rules of every column whose value parsed;
// dates holds those values. today is the day of the run.
func (p *Profile) checkDates(dates map[string]time.Time, env map[string]any, today time.Time) []string {
	var probs []string
	for _, c := range p.columns {
		d, v := c.dates, dates[c.Name]
		if d == nil || v.IsZero() {
			continue
		}
		if d.notFuture && v.After(today) {
			probs = append(probs, fmt.Sprintf("%s: %s is in the future (rule not_future; the run is on %s)", c.Name, showDate(v), showDate(today)))
		}
		for _, n := range d.before {
			if o := dates[n]; !o.IsZero() && !v.Before(o) {
				probs = append(probs, fmt.Sprintf("%s: %s is not before %s %s (rule before: %s)", c.Name, showDate(v), n, showDate(o), n))
			}
		}
		for _, n := range d.after {
			if o := dates[n]; !o.IsZero() && !v.After(o) {
				probs = append(probs, fmt.Sprintf("%s: %s is not after %s %s (rule after: %s)", c.Name, showDate(v), n, showDate(o), n))
			}
		}
		if d.age != nil {
			if prob := d.age.check(c.Name, v, env, today); prob != "" {
				probs = append(probs, prob)
			}
		}
	}
	return probs
}

func (a *ageRule) check(col string, born time.Time, env map[string]any, today time.Time) string {
	on, ofRun := today, true
	if a.on != nil {
		s, err := a.on.exec(env)
		if err != nil {
			return fmt.Sprintf("%s: the age reference date %s could not be computed: %s", col, a.onSrc, firstLine(guard(err.Error())))
		}
		if s == "" {
			return "" // the reference date is an empty optional column
		}
		t, ok := parseAnyDate(s)
		if !ok {
			return fmt.Sprintf("%s: the age reference date %s gives %s, not a date", col, a.onSrc, quote(s))
		}
		on, ofRun = t, false
	}
	onName := func() string {
		if ofRun {
			return "the day of the run"
		}
		return showDate(on)
	}
	age := yearsBetween(born, on)
	switch {
	case a.min != nil && age < *a.min:
		return fmt.Sprintf("%s: %s makes the holder %d on %s, below the minimum age %d (rule age.min)", col, showDate(born), age, onName(), *a.min)
	case a.max != nil && age > *a.max:
		return fmt.Sprintf("%s: %s makes the holder %d on %s, above the maximum age %d (rule age.max)", col, showDate(born), age, onName(), *a.max)
	}
	return ""
}

// showDate writes d as a message shows dates (DD-MM-YYYY); called only
// when a rule fails, so a valid row formats no date.
func showDate(d time.Time) string { return d.Format("02-01-2006") }

// yearsBetween is the age in whole years on day on of someone born on born
// (negative when born is later). A 29 February birthday counts on 1 March.
func yearsBetween(born, on time.Time) int {
	y := on.Year() - born.Year()
	if on.Month() < born.Month() || (on.Month() == born.Month() && on.Day() < born.Day()) {
		y--
	}
	return y
}

// parseAnyDate reads a date in any layout a profile may declare.
func parseAnyDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if d, ok := parseLayout(l, s); ok {
			return d, true
		}
	}
	return time.Time{}, false
}

// runDay is the calendar day of t in India Standard Time, as a UTC midnight
// comparable with parsed dates.
func runDay(t time.Time) time.Time {
	y, m, d := t.In(xmlschema.IST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseLayout reads s in layout, one of dateLayouts' values, exactly as
// time.Parse does. The shape every row has (digits and the layout's
// separator) is read without time.Parse, whose failed attempts allocate an
// error each: a column with three formats tries up to three layouts a
// cell. Anything else is left to time.Parse.
func parseLayout(layout, s string) (time.Time, bool) {
	if d, ok, sure := numericDate(layout, s); sure {
		return d, ok
	}
	d, err := time.Parse(layout, s)
	return d, err == nil
}

// numericDate reads s in a day-first ("2-1-2006") or year-first
// ("2006-1-2") layout of dateLayouts. sure is false when s is not plainly
// digits and separators in the layout's order (time.Parse then decides);
// when it is true, ok says what time.Parse would: a separator out of place
// for the layout fails there too, so another format's dates cost nothing.
func numericDate(layout, s string) (d time.Time, ok, sure bool) {
	var y, m, day int
	switch {
	case len(layout) == 8 && layout[0] == '2' && layout[1] == layout[3] && layout[4:] == "2006":
		sep := layout[1]
		if !(len(s) > 1 && s[1] == sep) && !(len(s) > 2 && s[2] == sep) {
			// time.Parse reads one or two digits of day and then wants
			// the separator: it fails too.
			return time.Time{}, false, true
		}
		if day, s, sure = upTo2Digits(s); !sure || !hasPrefixByte(s, sep) {
			return time.Time{}, false, false
		}
		if m, s, sure = upTo2Digits(s[1:]); !sure || !hasPrefixByte(s, sep) {
			return time.Time{}, false, false
		}
		if y, sure = fourDigits(s[1:]); !sure {
			return time.Time{}, false, false
		}
	case len(layout) == 8 && layout[:4] == "2006" && layout[4] == layout[6] && layout[7] == '2':
		sep := layout[4]
		if len(s) < 5 || s[4] != sep {
			return time.Time{}, false, true // time.Parse reads four characters of year, then the separator
		}
		if y, sure = fourDigits(s[:4]); !sure {
			return time.Time{}, false, false
		}
		if m, s, sure = upTo2Digits(s[5:]); !sure || !hasPrefixByte(s, sep) {
			return time.Time{}, false, false
		}
		if day, s, sure = upTo2Digits(s[1:]); !sure || s != "" {
			return time.Time{}, false, false
		}
	default:
		return time.Time{}, false, false
	}
	if m < 1 || m > 12 || day < 1 || day > daysIn(time.Month(m), y) {
		return time.Time{}, false, true
	}
	return time.Date(y, time.Month(m), day, 0, 0, 0, 0, time.UTC), true, true
}

// upTo2Digits reads one or two leading digits, as time.Parse reads a
// non-padded day or month.
func upTo2Digits(s string) (n int, rest string, ok bool) {
	if s == "" || !isDigit(s[0]) {
		return 0, s, false
	}
	if len(s) < 2 || !isDigit(s[1]) {
		return int(s[0] - '0'), s[1:], true
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), s[2:], true
}

// fourDigits reads s when it is exactly four digits.
func fourDigits(s string) (int, bool) {
	if len(s) != 4 {
		return 0, false
	}
	n := 0
	for i := range 4 {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func hasPrefixByte(s string, c byte) bool { return s != "" && s[0] == c }

// daysIn is the number of days of month m in year y, as time.Parse counts
// them (the day before the next month's first).
func daysIn(m time.Month, y int) int { return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day() }
