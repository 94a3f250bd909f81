package trackapi

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// limiter keeps one token bucket per user. Buckets idle long enough to be
// full again are forgotten, as a new one would be the same, so memory
// follows the users active in the last few seconds, not all users ever seen.
type limiter struct {
	limit rate.Limit
	burst int
	// idle is how long a drained bucket takes to fill up.
	idle time.Duration

	mu      sync.Mutex
	buckets map[string]*bucket
	sweepAt int // sweep when the map grows past this
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

func newLimiter(limit rate.Limit, burst int) *limiter {
	idle := time.Duration(float64(burst) / float64(limit) * float64(time.Second))
	return &limiter{limit: limit, burst: burst, idle: idle, buckets: map[string]*bucket{}, sweepAt: 1024}
}

// allow takes n tokens from key's bucket, or says how long to wait.
func (l *limiter) allow(key string, n int, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= l.sweepAt {
			l.sweep(now)
		}
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.last = now
	r := b.lim.ReserveN(now, n)
	if !r.OK() {
		return l.idle, false
	}
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		return wait, false
	}
	return 0, true
}

// sweep forgets full buckets and sets the next sweep at twice what is
// left, so sweeping costs O(1) per new key.
func (l *limiter) sweep(now time.Time) {
	for k, b := range l.buckets {
		if now.Sub(b.last) >= l.idle {
			delete(l.buckets, k)
		}
	}
	l.sweepAt = max(1024, 2*len(l.buckets))
}
