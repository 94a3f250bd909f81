package trackapi

import (
	"strconv"
	"testing"
	"time"
)

// TestLimiterForgetsIdleUsers checks that buckets of users gone quiet long
// enough to be full again are dropped, so memory follows recent users.
func TestLimiterForgetsIdleUsers(t *testing.T) {
	l := newLimiter(10, 50) // full again 5s after being drained
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		if _, ok := l.allow(strconv.Itoa(i), 50, now); !ok {
			t.Fatalf("user %d refused a first full batch", i)
		}
		now = now.Add(time.Millisecond) // 10,000 users over 10 s
	}
	// Users of the last 5 s are kept, and at most twice that between sweeps.
	if n := len(l.buckets); n < 5_000 || n > 2*5_000+1024 {
		t.Errorf("%d buckets after 10,000 users over 10 s, want those of the last 5 s", n)
	}
	// A kept user is still limited: the bucket was not forgotten early.
	if _, ok := l.allow("9999", 1, now); ok {
		t.Errorf("the last user got a token back after 1 ms")
	}
	if wait, ok := l.allow("9999", 10, now); ok || wait < 900*time.Millisecond || wait > time.Second {
		t.Errorf("wait %v, %v; want about 1 s for 10 tokens at 10/s", wait, ok)
	}
}
