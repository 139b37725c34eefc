//go:build integration

package repository_test

import (
	"testing"

	"github.com/issuerkit/issuerkit/internal/testenv"
)

// TestMain stops the PostgreSQL cluster the tests started, if any, when
// they end: without it each run of the package left one running.
func TestMain(m *testing.M) { testenv.Main(m) }
