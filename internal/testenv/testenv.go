// Package testenv holds helpers shared by issuerkit's tests: finding external
// tools and turning skips into failures where CI demands it.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// DisallowSkip reports whether ISSUERKIT_TEST_DISALLOW_SKIP is set; make test
// and CI set it so that a missing tool fails the suite instead of skipping.
func DisallowSkip() bool { return os.Getenv("ISSUERKIT_TEST_DISALLOW_SKIP") != "" }

// SkipOrFail skips t, or fails it when skips are disallowed.
func SkipOrFail(t testing.TB, reason string) {
	t.Helper()
	if DisallowSkip() {
		t.Fatalf("%s (ISSUERKIT_TEST_DISALLOW_SKIP is set, so this is a failure)", reason)
	}
	t.Skip(reason)
}

// Xmlsec1 returns the path of the xmlsec1 binary or skips/fails t.
func Xmlsec1(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("xmlsec1")
	if err != nil {
		SkipOrFail(t, "xmlsec1 not found on PATH (apt-get install xmlsec1)")
	}
	return p
}

// Tool returns the path of an external program, or skips/fails t naming
// the Debian package that provides it.
func Tool(t testing.TB, name, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		SkipOrFail(t, name+" not found on PATH (apt-get install "+debianPackage+")")
	}
	return p
}
