package main

import (
	"testing"

	"github.com/usagekit/usagekit/internal/testservers"
)

// TestMain stops the package's tests with one line per missing server.
func TestMain(m *testing.M) {
	testservers.Main(m, testservers.Redis, testservers.Postgres, testservers.NATS)
}
