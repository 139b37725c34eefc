// Package aadhaar validates, masks, encrypts and hashes Aadhaar numbers.
//
// issuerkit never stores or prints an Aadhaar number in clear: documents carry
// it masked (XXXXXXXX1234), the catalog keeps a keyed lookup hash, the outbox
// keeps it AES-GCM encrypted for pushing, and messages show at most the last
// four digits.
package aadhaar

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

// Validation errors. Their messages never contain the number.
var (
	ErrLength   = errors.New("must be 12 digits")
	ErrLeading  = errors.New("must not start with 0 or 1")
	ErrVerhoeff = errors.New("fails the Verhoeff check")
)

// Validate checks s: 12 ASCII digits, not starting with 0 or 1, and a valid
// Verhoeff check digit. The error names only the last four digits.
func Validate(s string) error {
	if len(s) != 12 || !allDigits(s) {
		return ErrLength
	}
	if s[0] == '0' || s[0] == '1' {
		return fmt.Errorf("number ending %s %w", Last4(s), ErrLeading)
	}
	if !VerhoeffValid(s) {
		return fmt.Errorf("number ending %s %w", Last4(s), ErrVerhoeff)
	}
	return nil
}

// Mask returns s with all but the last four characters replaced by X, as
// documents carry it (Person/@uid="XXXXXXXX1234").
func Mask(s string) string {
	if len(s) <= 4 {
		return s
	}
	b := []byte(s)
	for i := 0; i < len(b)-4; i++ {
		b[i] = 'X'
	}
	return string(b)
}

// Last4 returns the last four characters of s (all of s if shorter).
func Last4(s string) string {
	if len(s) <= 4 {
		return s
	}
	return s[len(s)-4:]
}

// Redact masks all but the last four digits of every run of 12 or more
// digits in s, so that an Aadhaar number inside a message from elsewhere (a
// cell typed into the wrong column, a locker's error text, an expression
// error quoting a value) is never logged or stored in clear. A run may be
// broken by spaces, hyphens and dots, as numbers are written on cards and
// forms ("5489 6542 5043", "5489-6542-5043", "5.48965425043e+11", and
// tabs, slashes, commas, no-break spaces and Unicode dashes, see
// separatorWidth): up to maxGap of them between two digits keep the run
// going. Separators are kept;
// only digits become X. Redact cuts nothing: callers that clip a message
// must redact first and then clip.
func Redact(s string) string {
	var b []byte
	for i := 0; i < len(s); {
		if !isDigit(s[i]) {
			i++
			continue
		}
		end, digits := runEnd(s, i)
		if digits >= 12 {
			if b == nil {
				b = []byte(s)
			}
			maskRun(b, i, end, digits-4)
		}
		i = end
	}
	if b == nil {
		return s
	}
	return string(b)
}

// maxGap is how many separators in a row Redact lets stand inside one run
// of digits (" - " in "5489 - 6542 - 5043").
const maxGap = 3

// runEnd returns where the run of digits starting at s[i] ends (after its
// last digit) and how many digits it holds.
func runEnd(s string, i int) (end, digits int) {
	end = i
	for j := i; j < len(s); {
		if isDigit(s[j]) {
			digits++
			j++
			end = j
			continue
		}
		gap := 0
		for j < len(s) && gap < maxGap {
			w := separatorWidth(s[j:])
			if w == 0 {
				break
			}
			j += w
			gap++
		}
		if gap == 0 || j >= len(s) || !isDigit(s[j]) {
			break
		}
	}
	return end, digits
}

// maskRun replaces the first n digits of b[from:to] with X.
func maskRun(b []byte, from, to, n int) {
	for j := from; j < to && n > 0; j++ {
		if isDigit(b[j]) {
			b[j] = 'X'
			n--
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// separatorWidth is the length in bytes of the separator s starts with,
// or 0: the ways a number is broken up on forms and in pasted spreadsheet
// cells (space, tab, hyphen, dot, slash, underscore, comma, no-break and
// figure spaces, the Unicode dashes and minus).
func separatorWidth(s string) int {
	switch s[0] {
	case ' ', '\t', '-', '.', '/', '_', ',':
		return 1
	}
	if s[0] < utf8.RuneSelf {
		return 0
	}
	r, w := utf8.DecodeRuneInString(s)
	switch {
	case r == '\u00a0', r == '\u2007', r == '\u202f', r == '\u2212', r >= '\u2010' && r <= '\u2015':
		return w
	}
	return 0
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

var (
	verhoeffD = [10][10]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 2, 3, 4, 0, 6, 7, 8, 9, 5},
		{2, 3, 4, 0, 1, 7, 8, 9, 5, 6}, {3, 4, 0, 1, 2, 8, 9, 5, 6, 7},
		{4, 0, 1, 2, 3, 9, 5, 6, 7, 8}, {5, 9, 8, 7, 6, 0, 4, 3, 2, 1},
		{6, 5, 9, 8, 7, 1, 0, 4, 3, 2}, {7, 6, 5, 9, 8, 2, 1, 0, 4, 3},
		{8, 7, 6, 5, 9, 3, 2, 1, 0, 4}, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
	}
	verhoeffP = [8][10]byte{
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, {1, 5, 7, 6, 2, 8, 3, 0, 9, 4},
		{5, 8, 0, 3, 7, 9, 6, 1, 4, 2}, {8, 9, 1, 6, 0, 4, 3, 5, 2, 7},
		{9, 4, 5, 3, 1, 2, 6, 8, 7, 0}, {4, 2, 8, 6, 5, 7, 3, 9, 0, 1},
		{2, 7, 9, 3, 8, 0, 6, 4, 1, 5}, {7, 0, 4, 6, 9, 1, 3, 2, 5, 8},
	}
	verhoeffInv = [10]byte{0, 4, 3, 2, 1, 5, 6, 7, 8, 9}
)

// VerhoeffValid reports whether the digit string s ends in a valid Verhoeff
// check digit.
func VerhoeffValid(s string) bool {
	var c byte
	for i := 0; i < len(s); i++ {
		d := s[len(s)-1-i] - '0'
		if d > 9 {
			return false
		}
		c = verhoeffD[c][verhoeffP[i%8][d]]
	}
	return c == 0 && len(s) > 0
}

// VerhoeffDigit returns the check digit to append to the digit string s.
func VerhoeffDigit(s string) byte {
	var c byte
	for i := 0; i < len(s); i++ {
		d := s[len(s)-1-i] - '0'
		c = verhoeffD[c][verhoeffP[(i+1)%8][d]]
	}
	return '0' + verhoeffInv[c]
}
