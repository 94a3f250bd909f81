package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

func TestEach(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		seen := make([]atomic.Int32, n)
		var running, most atomic.Int32
		Each(n, func(i int) {
			r := running.Add(1)
			for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
			}
			seen[i].Add(1)
			running.Add(-1)
		})
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Errorf("n=%d: fn(%d) called %d times", n, i, c)
			}
		}
		if m := most.Load(); int(m) > runtime.GOMAXPROCS(0) {
			t.Errorf("n=%d: %d calls at once, more than GOMAXPROCS", n, m)
		}
	}
}
