package xmlschema

import (
	"testing"
	"time"
)

func TestParseWhen(t *testing.T) {
	ist := time.FixedZone("IST", 5*3600+1800)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"2027-05-13T12:00", time.Date(2027, 5, 13, 12, 0, 0, 0, ist)},
		{" 2027-05-13 12:00 ", time.Date(2027, 5, 13, 12, 0, 0, 0, ist)},
		{"2027-05-13T12:00:30", time.Date(2027, 5, 13, 12, 0, 30, 0, ist)},
		{"2027-05-13T06:30:00Z", time.Date(2027, 5, 13, 12, 0, 0, 0, ist)},
		{"2027-05-13T12:00:00+05:30", time.Date(2027, 5, 13, 12, 0, 0, 0, ist)},
	} {
		got, err := ParseWhen(tc.in)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseWhen(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "tomorrow", "13-05-2027 12:00", "2027-05-13", "2027-13-01T12:00"} {
		if _, err := ParseWhen(bad); err == nil {
			t.Errorf("ParseWhen(%q) succeeded", bad)
		}
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2027, 5, 13, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"24h", now.Add(-24 * time.Hour)},
		{"90m", now.Add(-90 * time.Minute)},
		{"2027-05-01T00:00:00Z", time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if got, err := ParseSince(c.in, now); err != nil || !got.Equal(c.want) {
			t.Errorf("ParseSince(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if _, err := ParseSince("yesterday", now); err == nil {
		t.Error("ParseSince(yesterday) succeeded")
	}
}
