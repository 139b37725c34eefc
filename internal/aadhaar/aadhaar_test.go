package aadhaar

import (
	"bytes"
	"errors"
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
