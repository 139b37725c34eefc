package apisetu_test

import (
	"os"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestMain removes the fixtures' homes when the tests end: without it each
// run of the package left them in the temp directory.
func TestMain(m *testing.M) {
	testenv.Main(m, func() {
		for _, d := range fixDirs {
			os.RemoveAll(d)
		}
	})
}
