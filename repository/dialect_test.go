package repository

import (
	"testing"
	"time"
)

// TestTimeCol: a time column reads alike from either dialect and from
// every width SQLite has stored.
func TestTimeCol(t *testing.T) {
	want := time.Date(2026, 5, 1, 10, 0, 0, 500_000_000, time.UTC)
	for _, tt := range []struct {
		name string
		v    any
		want time.Time
		bad  bool
	}{
		{"NULL", nil, time.Time{}, false},
		{"empty", "", time.Time{}, false},
		{"timestamp", want, want, false},
		{"fixed-width", "2026-05-01T10:00:00.500000000Z", want, false},
		{"variable-width", "2026-05-01T10:00:00.5Z", want, false},
		{"bytes", []byte("2026-05-01T10:00:00.5Z"), want, false},
		{"garbage", "yesterday", time.Time{}, true},
		{"a number", int64(5), time.Time{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := time.Unix(1, 0)
			err := scanTime(&got).Scan(tt.v)
			if (err != nil) != tt.bad || (!tt.bad && !got.Equal(tt.want)) {
				t.Fatalf("Scan(%v) = %v, %v; want %v (error %v)", tt.v, got, err, tt.want, tt.bad)
			}
		})
	}
}

// FuzzTimeCol: what the SQLite dialect writes reads back as the same
// instant, and no text makes Scan panic.
func FuzzTimeCol(f *testing.F) {
	f.Add(int64(0), "2026-05-01T10:00:00Z")
	f.Add(int64(1_700_000_000_123_456_789), "")
	f.Fuzz(func(t *testing.T, ns int64, text string) {
		in := time.Unix(0, ns)
		var got time.Time
		if err := scanTime(&got).Scan(tsFixed(in)); err != nil || !got.Equal(in) {
			t.Fatalf("%v: read back %v, %v", in, got, err)
		}
		_ = scanTime(&got).Scan(text)
	})
}

// TestRebind: SQLite reads PostgreSQL's numbered placeholders as its own.
func TestRebind(t *testing.T) {
	if got := rebind(`SELECT $1, $12 WHERE a = $1`); got != `SELECT ?1, ?12 WHERE a = ?1` {
		t.Fatalf("rebind = %q", got)
	}
}
