package ping

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	c := NewClient("http://127.0.0.1", ClientOptions{MinBackoff: time.Second, MaxBackoff: time.Minute})
	for i, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second, 32 * time.Second, time.Minute, time.Minute} {
		for range 20 {
			// Jitter takes up to half off.
			if d := c.backoff(i+1, nil); d > want || d < want/2 {
				t.Fatalf("retry %d: wait %v, want between %v and %v", i+1, d, want/2, want)
			}
		}
	}
	if d := c.backoff(1000, nil); d > time.Minute || d < 30*time.Second {
		t.Errorf("retry 1000: wait %v", d)
	}
	ra := &retryAfter{error: errFake, wait: 45 * time.Second}
	if d := c.backoff(1, ra); d != 45*time.Second {
		t.Errorf("Retry-After 45s: wait %v", d)
	}
}

var errFake = errorString("503")

type errorString string

func (e errorString) Error() string { return string(e) }
