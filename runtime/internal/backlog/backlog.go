// Package backlog holds what the event tracker and the record pipeline
// share to keep work they could not write yet: a byte budget split over
// shards, per-processor lanes that pick a shard, the background flush loop,
// closing with retries, drop accounting and rate-limited error reports.
// Both bound their pending bytes, never block the caller, count every drop
// and tell the application through one rate-limited handler; keeping that
// in one place keeps the two paths behaving alike.
package backlog

import (
	"context"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Budget is each shard's share of a byte limit, less what the flusher
// holds from failed writes. Callers read Share on every add, so it is one
// atomic load.
type Budget struct {
	limit  int64
	shards int64
	share  atomic.Int64
}

// Init sets the limit and the number of shards sharing it.
func (b *Budget) Init(limit int64, shards int) {
	b.limit, b.shards = limit, int64(shards)
	b.share.Store(limit / b.shards)
}

// Limit is the whole limit.
func (b *Budget) Limit() int64 { return b.limit }

// Share is what one shard may hold now.
func (b *Budget) Share() int64 { return b.share.Load() }

// Hold leaves held bytes aside for work the flusher keeps, and splits the
// rest; Hold(0) restores the full share.
func (b *Budget) Hold(held int64) { b.share.Store(max(0, b.limit-held) / b.shards) }

// SetShare overrides the share, for tests that need an exact room.
func (b *Budget) SetShare(n int64) { b.share.Store(n) }

// Lanes hands each processor its own lane most of the time, through a
// sync.Pool (whose per-P caches are what makes that cheap), so goroutines
// running at once rarely touch the same shard's memory, which costs more
// than the work itself.
type Lanes struct {
	pool sync.Pool
	ids  []int
	bits uint
	next atomic.Uint32
}

// Init makes as many lanes as processors, rounded down to a power of two
// and at most max (itself a power of two).
func (l *Lanes) Init(max int) {
	l.ids = make([]int, max)
	for i := range l.ids {
		l.ids[i] = i
	}
	l.bits = uint(bits.Len(uint(min(runtime.GOMAXPROCS(0), max)))) - 1
	l.pool.New = func() any {
		return &l.ids[int(l.next.Add(1))&(1<<l.bits-1)]
	}
}

// Bits is log2 of the number of lanes.
func (l *Lanes) Bits() uint { return l.bits }

// SetBits changes the number of lanes to 1<<n, for tests that need every
// call in one lane whichever processor runs it.
func (l *Lanes) SetBits(n uint) { l.bits = n }

// Get borrows a lane; give it back with Put as soon as the shard is known.
func (l *Lanes) Get() *int { return l.pool.Get().(*int) }

// Put returns a lane.
func (l *Lanes) Put(lane *int) { l.pool.Put(lane) }

// Lock locks mu, the lock of a shard of lane, and returns the lane to Put.
// A lock held at that moment most likely means that another processor
// works in the same lane: the pool can hand one lane to two processors (a
// goroutine moved between Get and Put, a lane made again after a
// collection), and two processors in one lane pass its shards' memory
// back and forth on every call, several times slower than apart. So the
// caller waits, and its processor moves to the next lane: the two part
// ways within a few calls instead of sharing until the pool is emptied.
func (l *Lanes) Lock(lane *int, mu *sync.Mutex) *int {
	if mu.TryLock() {
		return lane
	}
	mu.Lock()
	return &l.ids[(*lane+1)&(1<<l.bits-1)]
}

// Loop runs a flush in the background: every interval, and early when
// kicked, except while the last flush failed: then only the interval
// retries, so a full buffer does not turn into a storm of failing writes.
type Loop struct {
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
	closed atomic.Bool
}

// Start starts the loop, or, with a non-positive interval, only prepares
// it (Flush is then the caller's to call). failing says whether the last
// flush failed.
func (l *Loop) Start(interval time.Duration, flush func(), failing func() bool) {
	l.kick = make(chan struct{}, 1)
	l.stop = make(chan struct{})
	l.done = make(chan struct{})
	if interval <= 0 {
		close(l.done)
		return
	}
	go func() {
		defer close(l.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-tick.C:
			case <-l.kick:
				if failing() {
					continue
				}
			}
			flush()
		}
	}()
}

// Kick asks for an early flush without waiting.
func (l *Loop) Kick() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Closed reports whether Stop was called.
func (l *Loop) Closed() bool { return l.closed.Load() }

// Stop ends the loop; it reports whether this call was the first.
func (l *Loop) Stop() bool {
	if !l.closed.CompareAndSwap(false, true) {
		return false
	}
	close(l.stop)
	return true
}

// Drain waits for the loop to end, then flushes until a flush succeeds or
// ctx is done (a ctx without deadline gets defaultTimeout), backing off
// between tries. When ctx ends first, abandon gives up what is still held
// and says how many items that was; Drain returns that number with the
// last flush error.
func (l *Loop) Drain(ctx context.Context, defaultTimeout time.Duration, flush func(context.Context) error, abandon func() int64) (int64, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultTimeout)
		defer cancel()
	}
	select {
	case <-l.done:
	case <-ctx.Done():
	}
	backoff := 10 * time.Millisecond
	for {
		err := flush(ctx)
		if err == nil {
			return 0, nil
		}
		select {
		case <-ctx.Done():
			return abandon(), err
		case <-time.After(backoff):
			backoff = min(2*backoff, time.Second)
		}
	}
}

// Kind is a kind of report; each kind has its own rate limit.
type Kind int

// Reporter passes errors to a handler, at most one of each kind per
// interval, and tells the next report how many it held back.
type Reporter struct {
	handler  func(error)
	interval time.Duration
	now      func() time.Time

	mu         sync.Mutex
	last       map[Kind]time.Time
	suppressed map[Kind]int
}

// Init sets the handler (nil reports nothing), the least time between two
// reports of one kind, and the clock.
func (r *Reporter) Init(h func(error), interval time.Duration, now func() time.Time) {
	r.handler, r.interval, r.now = h, interval, now
	r.last = make(map[Kind]time.Time)
	r.suppressed = make(map[Kind]int)
}

// Report passes err to the handler unless one of its kind went out less
// than the interval ago; it says whether the handler was called. A
// panicking handler is recovered: it must not take down a flush or a
// caller.
func (r *Reporter) Report(kind Kind, err error) (called bool) {
	if r.handler == nil {
		return false
	}
	now := r.now()
	r.mu.Lock()
	if last, ok := r.last[kind]; ok && now.Sub(last) < r.interval {
		r.suppressed[kind]++
		r.mu.Unlock()
		return false
	}
	if n := r.suppressed[kind]; n > 0 {
		err = fmt.Errorf("%w (%d similar reports suppressed)", err, n)
	}
	r.last[kind] = now
	r.suppressed[kind] = 0
	r.mu.Unlock()
	defer func() { _ = recover() }()
	called = true
	r.handler(err)
	return called
}

// Drops remembers how many drops have been reported, so each report
// tells only the new ones. Its methods are called with the owner's lock.
type Drops struct {
	reported uint64
}

// Report reports the drops among total not reported yet, as the error
// made by describe; the count is remembered only when the report went out,
// so suppressed drops are told in the next one.
func (d *Drops) Report(r *Reporter, kind Kind, total uint64, describe func(n uint64) error) {
	if n := total - d.reported; n > 0 && r.Report(kind, describe(n)) {
		d.reported = total
	}
}
