package xmlschema

import (
	"fmt"
	"strings"
	"time"
)

// whenLayouts are the forms a release time may take; those without a zone
// are Indian Standard Time, the issuers' clock.
var whenLayouts = []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02 15:04:05"}

// ParseWhen reads a release time: RFC 3339 with a zone, or a date and time
// in IST.
func ParseWhen(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for i, layout := range whenLayouts {
		loc := IST
		if i == 0 {
			loc = time.UTC // the value's own zone wins
		}
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want e.g. 2027-05-13T12:00 (IST) or 2027-05-13T12:00:00+05:30", s)
}

// ParseSince reads a starting time: an RFC 3339 time, or a duration such
// as 24h before now.
func ParseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
}
