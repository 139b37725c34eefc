package apisetu_test

import (
	"os"
	"testing"
)

// TestMain removes the fixtures' homes when the tests end: without it each
// run of the package left them in the temp directory.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, d := range fixDirs {
		os.RemoveAll(d)
	}
	os.Exit(code)
}
