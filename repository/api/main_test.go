package api_test

import (
	"os"
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestMain removes the fixtures' homes (the shared one and those tests
// build for themselves) and stops the PostgreSQL cluster the tests
// started, if any, when they end: without it each run of the package left
// them behind.
func TestMain(m *testing.M) {
	testenv.Main(m, func() {
		fixDirsMu.Lock()
		defer fixDirsMu.Unlock()
		for _, dir := range fixDirs {
			os.RemoveAll(dir)
		}
	})
}
