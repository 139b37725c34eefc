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
