package api_test

import (
	"os"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestMain removes the shared fixture's home and stops the PostgreSQL
// cluster the tests started, if any, when they end: without it each run
// of the package left both behind.
func TestMain(m *testing.M) {
	testenv.Main(m, func() {
		if fixDir != "" {
			os.RemoveAll(fixDir)
		}
	})
}
