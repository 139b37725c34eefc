package aadhaar

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestVerhoeff(t *testing.T) {
	// 236 → check digit 3 is the textbook example.
	if d := VerhoeffDigit("236"); d != '3' {
		t.Fatalf("VerhoeffDigit(236) = %c, want 3", d)
	}
	if !VerhoeffValid("2363") || VerhoeffValid("2364") {
		t.Fatal("VerhoeffValid on 2363/2364")
	}
	for _, base := range []string{"23456789012", "98765432101", "50000000000"} {
		n := base + string(VerhoeffDigit(base))
		if !VerhoeffValid(n) {
			t.Errorf("%s: generated check digit not valid", n)
		}
		// Every single-digit change must be caught.
		for i := range n {
			b := []byte(n)
			b[i] = '0' + (b[i]-'0'+1)%10
			if VerhoeffValid(string(b)) {
				t.Errorf("single-digit change %s accepted", b)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	good := "23456789012" + string(VerhoeffDigit("23456789012"))
	bad := good[:11] + string('0'+(good[11]-'0'+1)%10)
	tests := []struct {
		in   string
		want error
	}{
		{good, nil},
		{"1234", ErrLength},
		{"23456789012a", ErrLength},
		{"0" + good[1:], ErrLeading},
		{"1" + good[1:], ErrLeading},
		{bad, ErrVerhoeff},
	}
	for _, tt := range tests {
		err := Validate(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("Validate(...%s) = %v, want %v", Last4(tt.in), err, tt.want)
		}
		if err != nil && len(tt.in) == 12 && strings.Contains(err.Error(), tt.in[:8]) {
			t.Errorf("error %q leaks more than the last 4 digits", err)
		}
	}
}

func TestMask(t *testing.T) {
	if got := Mask("234567890124"); got != "XXXXXXXX0124" {
		t.Fatalf("Mask = %q", got)
	}
}

func TestKeyring(t *testing.T) {
	master := bytes.Repeat([]byte{7}, KeySize)
	k, err := NewKeyring(master)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := k.Encrypt("234567890124", "in.gov.x-SSCER-1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("234567890124")) {
		t.Fatal("ciphertext contains the number")
	}
	if got, err := k.Decrypt(ct, "in.gov.x-SSCER-1"); err != nil || got != "234567890124" {
		t.Fatalf("Decrypt = %q, %v", got, err)
	}
	if _, err := k.Decrypt(ct, "in.gov.x-SSCER-2"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("Decrypt under another URI: %v", err)
	}
	// MD5("234567890124") computed independently (md5sum), upper-cased as
	// some lockers send it: a v1.13 UID must find the same row.
	if k.LookupHash("234567890124") != k.LookupHashFromMD5("6ED06F24C8BDB60346B846EAB5F52FCA") {
		t.Fatal("LookupHash of the number differs from LookupHashFromMD5 of its MD5")
	}
	if k.LookupHash("234567890124") == k.LookupHash("234567890132") {
		t.Fatal("different numbers share a lookup hash")
	}
	other, _ := NewKeyring(bytes.Repeat([]byte{8}, KeySize))
	if k.LookupHash("234567890124") == other.LookupHash("234567890124") {
		t.Fatal("lookup hash does not depend on the key")
	}
	if _, err := NewKeyring([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"234567890124", "XXXXXXXX0124"},
		{"id 2345678901245 end", "id XXXXXXXXX1245 end"},
		{"roll 51000032025", "roll 51000032025"},
		{"5489 6542 5043", "XXXX XXXX 5043"},
		{"5489-6542-5043", "XXXX-XXXX-5043"},
		{"5489.6542.5043", "XXXX.XXXX.5043"},
		{"5489 - 6542 - 5043", "XXXX - XXXX - 5043"},
		{"invalid operation: int(5489 6542 5043) (1:1)", "invalid operation: int(XXXX XXXX 5043) (1:1)"},
		{"5.48965425043e+11", "X.XXXXXXX5043e+11"},
		{"DOB 01-02-2009, marks 91", "DOB 01-02-2009, marks 91"},
		{"5489 6542 504", "5489 6542 504"}, // 11 digits: not a number to hide
		{"5489    6542 5043", "5489    6542 5043"},
		{"uid 5489 6542 5043.", "uid XXXX XXXX 5043."},
		{"5489\t6542\t5043", "XXXX\tXXXX\t5043"},
		{"5489\u00a06542\u00a05043", "XXXX\u00a0XXXX\u00a05043"},
		{"5489–6542–5043", "XXXX–XXXX–5043"},
		{"5489 – 6542 – 5043", "XXXX – XXXX – 5043"},
		{"5489/6542/5043", "XXXX/XXXX/5043"},
		{"5489_6542_5043", "XXXX_XXXX_5043"},
		{"5489,6542,5043", "XXXX,XXXX,5043"},
		{"a «5489 6542 5043»", "a «XXXX XXXX 5043»"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzRedact checks that no output holds 12 digits Redact would still
// treat as one number, that only digits change, and that Redact is
// idempotent.
func FuzzRedact(f *testing.F) {
	for _, s := range []string{"5489 6542 5043", "a1-2.3 4567890123b", "12345678901", "9-9-9-9-9-9-9-9-9-9-9-9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Redact(s)
		if len(r) != len(s) {
			t.Fatalf("length changed: %q -> %q", s, r)
		}
		for i := 0; i < len(s); i++ {
			if r[i] != s[i] && (r[i] != 'X' || !isDigit(s[i])) {
				t.Fatalf("byte %d changed from %q to %q", i, s[i], r[i])
			}
		}
		for i := 0; i < len(r); i++ {
			if isDigit(r[i]) {
				if _, n := runEnd(r, i); n >= 12 {
					t.Fatalf("Redact(%q) = %q still holds a 12-digit run at %d", s, r, i)
				}
			}
		}
		if Redact(r) != r {
			t.Fatalf("not idempotent: %q", s)
		}
	})
}

func TestRedactHandler(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(RedactHandler(slog.NewJSONHandler(&buf, nil))).With("cell", "5489-6542-5043")
	log.WithGroup("g").Info("row 3: 548965425043 rejected", "err", errors.New("int(5489 6542 5043)"),
		"n", 548965425043, "small", 42, slog.Group("in", "v", []byte("5489.6542.5043")))
	out := buf.String()
	for _, leak := range []string{"5489", "6542"} {
		if strings.Contains(out, leak) {
			t.Fatalf("log line leaks %s: %s", leak, out)
		}
	}
	if !strings.Contains(out, `"small":42`) || strings.Count(out, "5043") != 5 {
		t.Fatalf("log line lost what it may show: %s", out)
	}
}
