package natssink_test

import (
	"testing"

	"github.com/usagekit/usagekit/internal/testservers"
)

// TestMain stops the package's tests with one line when NATS is missing.
func TestMain(m *testing.M) { testservers.Main(m, testservers.NATS) }
