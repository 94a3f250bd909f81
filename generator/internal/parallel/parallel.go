// Package parallel runs the generator's independent pieces of work (one
// file each) on every processor: the one worker pool of loading, checking
// and rendering.
package parallel

import (
	"runtime"

	"golang.org/x/sync/errgroup"
)

// Each calls fn(0) ... fn(n-1), GOMAXPROCS at a time, and returns when all
// calls have. Calls start in index order, so a caller can put its longest
// piece first.
func Each(n int, fn func(i int)) {
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range n {
		g.Go(func() error {
			fn(i)
			return nil
		})
	}
	g.Wait() //nolint:errcheck // fn returns nothing to fail with
}
