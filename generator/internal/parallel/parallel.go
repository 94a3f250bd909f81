// Package parallel runs the generator's independent pieces of work (one
// file each) on every processor: the one worker pool of loading, checking
// and rendering.
package parallel

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// Each calls fn(0) ... fn(n-1), GOMAXPROCS at a time, and returns when all
// calls have. Calls start in index order, so a caller can put its longest
// piece first.
//
// A few long-lived workers take the indexes in turn rather than one
// goroutine a call: parsing YAML and validating JSON Schema recurse deeply,
// and a fresh goroutine's stack would grow, copy after copy, for every
// file of thousands.
func Each(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	var next atomic.Int64
	var g errgroup.Group
	for range workers {
		g.Go(func() error {
			for i := int(next.Add(1) - 1); i < n; i = int(next.Add(1) - 1) {
				fn(i)
			}
			return nil
		})
	}
	g.Wait() //nolint:errcheck // fn returns nothing to fail with
}
