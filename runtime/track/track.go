// Package track records events: generated Track functions hand each event to
// a Tracker, which aggregates updates in process and flushes them to a store.
//
// Tracking never blocks on the store, never panics into the caller and never
// returns an error the caller must handle. Between flushes the increments of
// a key add up to one INCRBY and the members of a unique key to one PFADD;
// a flush is one pipeline. When the store is slow or gone, work is kept up
// to Options.MaxPendingBytes and retried; past that, events are dropped and
// counted (see Stats), and the error handler hears about it.
package track

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/memstore"
)

// Errors passed to the error handler; match them with errors.Is.
var (
	// ErrDropped reports events given up because pending work reached
	// Options.MaxPendingBytes or the tracker was closed.
	ErrDropped = errors.New("track: events dropped")
	// ErrFlush reports a failed write to the store; the work is kept and
	// retried.
	ErrFlush = errors.New("track: flush failed")
	// ErrPanic reports a panic recovered in an event sink.
	ErrPanic = errors.New("track: event sink panicked")
)

// Sink receives every tracked record, for example to forward raw events to
// an analytics pipeline. Event is called in the goroutine that tracked the
// event, so it must be quick; it must not keep r after it returns.
type Sink interface {
	Event(ctx context.Context, name string, r *event.Record)
}

// Options configure a Tracker. The zero value is ready to use: events are
// counted in an embedded memstore and flushed every two seconds.
type Options struct {
	// Store receives the aggregated updates. Default: a new memstore.
	Store store.Store
	// FlushInterval is how often pending work is written. Default 2s. A
	// negative interval disables background flushing: call Flush.
	FlushInterval time.Duration
	// MaxPendingBytes bounds the estimated memory of work not yet written,
	// including work kept after a failed flush. Events that would go past
	// it are dropped and counted. Default 64 MiB.
	MaxPendingBytes int64
	// MaxBatch bounds the updates (counters plus unique members) of one
	// write to the store; a flush sends as many writes as it needs.
	// Default 50,000.
	MaxBatch int
	// WriteTimeout bounds one write to the store. Default 5s.
	WriteTimeout time.Duration
	// CloseTimeout bounds Close when its context has no deadline, so that
	// a shutdown with the store down does not hang. Default 5s.
	CloseTimeout time.Duration
	// Sync writes every event through before Track returns (one pipelined
	// round trip), for tests and low volume; Track then waits for the store,
	// up to WriteTimeout. Failures are still only reported to ErrorHandler
	// and retried.
	Sync bool
	// ErrorHandler hears about failed flushes, dropped events and sink
	// panics, at most once per ErrorInterval for each kind. Default: none;
	// the counters of Stats still record everything.
	ErrorHandler func(error)
	// ErrorInterval is the least time between two reports of one kind.
	// Default 1m.
	ErrorInterval time.Duration
	// Now is the clock that decides an event's ISO week; Track calls it
	// for every event. Default: the system clock, read by a timer at each
	// week's end instead, so Track reads no clock at all.
	Now func() time.Time
	// Sink, when set, receives every tracked record.
	Sink Sink
}

// Stats are the tracker's counters, for an application to export. Every
// tracked event ends up flushed or dropped: Tracked = Flushed + Dropped +
// Pending.
type Stats struct {
	Tracked     uint64 // events handed to Track
	Flushed     uint64 // events whose updates the store accepted
	Retried     uint64 // events sent again after a failed flush (once per retry)
	Dropped     uint64 // events given up (over the limit, after Close, unwritten at Close)
	FlushErrors uint64 // failed writes to the store
	SinkPanics  uint64 // panics recovered in the sink
	Pending     uint64 // events tracked but not yet written
	// PendingBytes estimates the memory held by pending work.
	PendingBytes int64
}

// Tracker aggregates tracked events and writes them to a store. It is safe
// for concurrent use. A nil *Tracker ignores events.
type Tracker struct {
	opts   Options
	store  store.Store
	now    func() time.Time
	shards [numShards]shard
	// Shards are split into lanes, one per processor as far as the shard
	// count allows; a sync.Pool hands each processor its own lane most of
	// the time, so goroutines running at once rarely touch the same
	// shard's memory (which costs more than the work itself).
	lanes    sync.Pool
	laneIDs  [numShards]int
	laneBits uint
	nextLane atomic.Uint32
	// budget is each shard's share of MaxPendingBytes left after the work
	// the flusher holds.
	budget atomic.Int64
	week   atomic.Pointer[weekSpan]
	// current, with the default clock, is the week now, moved on by a timer
	// at each week's end so Track reads no clock; nil with Options.Now.
	current   atomic.Pointer[weekSpan]
	weekMu    sync.Mutex
	weekTimer *time.Timer
	closed    atomic.Bool
	kick      chan struct{}
	stop      chan struct{}
	done      chan struct{}

	sinkPanics atomic.Uint64
	flushing   flusher // guarded by its own mutex
	reports    reporter
}

// New returns a tracker configured by opts; it flushes in the background
// until Close.
func New(opts Options) *Tracker {
	if opts.Store == nil {
		opts.Store = memstore.New(memstore.Options{Now: opts.Now})
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = 2 * time.Second
	}
	if opts.MaxPendingBytes <= 0 {
		opts.MaxPendingBytes = 64 << 20
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 50_000
	}
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = 5 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	if opts.ErrorInterval <= 0 {
		opts.ErrorInterval = time.Minute
	}
	coarse := opts.Now == nil
	if coarse {
		opts.Now = time.Now
	}
	t := &Tracker{
		opts:  opts,
		store: opts.Store,
		now:   opts.Now,
		kick:  make(chan struct{}, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if coarse {
		t.followWeek()
	}
	for i := range t.shards {
		t.shards[i].cur = newState()
		t.shards[i].spare = newState()
		t.laneIDs[i] = i
	}
	t.laneBits = uint(bits.Len(uint(min(runtime.GOMAXPROCS(0), numShards)))) - 1
	t.lanes.New = func() any {
		return &t.laneIDs[int(t.nextLane.Add(1))&(1<<t.laneBits-1)]
	}
	t.flushing.init()
	t.reports.init(opts.ErrorHandler, opts.ErrorInterval, opts.Now)
	t.budget.Store(opts.MaxPendingBytes / numShards)
	if opts.FlushInterval > 0 && !opts.Sync {
		go t.run()
	} else {
		close(t.done)
	}
	return t
}

// Store returns the store the tracker writes to, so the metric engine can
// read the same counts (for the default tracker, its embedded memstore).
func (t *Tracker) Store() store.Store { return t.store }

// Track records one event. It never blocks on the store and never panics;
// a nil Tracker ignores the call.
func (t *Tracker) Track(ctx context.Context, d *event.Descriptor, r *event.Record) {
	if t == nil || d == nil || r == nil {
		return
	}
	if t.opts.Sink != nil {
		t.forward(ctx, d, r)
	}
	var wk int32
	if w := t.current.Load(); w != nil {
		wk = w.code
	} else {
		wk = t.weekOf(t.now())
	}
	lane := t.lanes.Get().(*int)
	sh := &t.shards[*lane<<(shardBits-t.laneBits)|shardOf(r)>>t.laneBits]
	t.lanes.Put(lane)
	budget := t.budget.Load()
	sh.mu.Lock()
	sh.tracked++
	if t.closed.Load() || !sh.cur.add(d, r, wk, budget) {
		sh.dropped++
		sh.mu.Unlock()
		return
	}
	half := sh.cur.bytes > budget/2
	sh.mu.Unlock()
	if t.opts.Sync {
		t.Flush(context.WithoutCancel(ctx))
		return
	}
	if half {
		// Past half its share, a shard asks for an early flush so a
		// healthy store never sees drops, whatever the event rate.
		select {
		case t.kick <- struct{}{}:
		default:
		}
	}
}

// WantsCustom reports whether records should carry custom properties, which
// only an event sink consumes.
func (t *Tracker) WantsCustom() bool { return t != nil && t.opts.Sink != nil }

// records lends the sink a copy of the caller's record: handing the
// caller's own pointer to an interface would move every record of every
// Track call to the heap, sink or not.
var records = sync.Pool{New: func() any { return new(event.Record) }}

func (t *Tracker) forward(ctx context.Context, d *event.Descriptor, r *event.Record) {
	rc := records.Get().(*event.Record)
	*rc = *r
	defer func() {
		*rc = event.Record{}
		records.Put(rc)
		if p := recover(); p != nil {
			t.sinkPanics.Add(1)
			t.reports.report(reportSink, fmt.Errorf("%w on event %s: %v", ErrPanic, d.Name, p))
		}
	}()
	t.opts.Sink.Event(ctx, d.Name, rc)
}

// weekSpan caches the current ISO week so the hot path compares two
// integers instead of computing a calendar week.
type weekSpan struct {
	start, end int64 // Unix nanoseconds, [start, end)
	code       int32 // year*100 + week
}

func (t *Tracker) weekOf(now time.Time) int32 {
	ns := now.UnixNano()
	if w := t.week.Load(); w != nil && ns >= w.start && ns < w.end {
		return w.code
	}
	wk := keys.WeekOf(now)
	mon := wk.Monday()
	code := int32(wk.Year*100 + wk.Week)
	t.week.Store(&weekSpan{start: mon.UnixNano(), end: mon.AddDate(0, 0, 7).UnixNano(), code: code})
	return code
}

// followWeek sets current to this week and arms a timer for the next.
func (t *Tracker) followWeek() {
	now := time.Now()
	t.weekOf(now)
	w := t.week.Load()
	t.current.Store(w)
	wait := max(time.Duration(w.end-now.UnixNano()), time.Millisecond)
	t.weekMu.Lock()
	defer t.weekMu.Unlock()
	if t.closed.Load() {
		return // Close stopped the timer; do not restart it
	}
	if t.weekTimer == nil {
		t.weekTimer = time.AfterFunc(wait, t.followWeek)
	} else {
		t.weekTimer.Reset(wait)
	}
}

func weekFromCode(code int32) keys.Week {
	return keys.Week{Year: int(code / 100), Week: int(code % 100)}
}

// Stats returns the current counters.
func (t *Tracker) Stats() Stats {
	var s Stats
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		s.Tracked += sh.tracked
		s.Dropped += sh.dropped
		s.PendingBytes += sh.cur.bytes
		sh.mu.Unlock()
	}
	f := &t.flushing
	f.statMu.Lock()
	s.Flushed = f.flushed
	s.Retried = f.retried
	s.Dropped += f.dropped
	s.FlushErrors = f.errors
	s.PendingBytes += f.heldBytes
	f.statMu.Unlock()
	s.SinkPanics = t.sinkPanics.Load()
	if s.Tracked > s.Flushed+s.Dropped {
		s.Pending = s.Tracked - s.Flushed - s.Dropped
	}
	return s
}

func (t *Tracker) run() {
	defer close(t.done)
	tick := time.NewTicker(t.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		case <-t.kick:
			// After a failure, only the ticker retries: a full buffer
			// must not turn into a storm of failing writes.
			if t.flushing.failing.Load() {
				continue
			}
		}
		t.Flush(context.Background())
	}
}

// Close stops background flushing and writes everything tracked before it,
// retrying until ctx is done; a ctx without deadline gets CloseTimeout.
// Events it could not write are counted as dropped and reported in the
// error. Events tracked after Close are dropped.
func (t *Tracker) Close(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if t.closed.CompareAndSwap(false, true) {
		close(t.stop)
		t.weekMu.Lock()
		if t.weekTimer != nil {
			t.weekTimer.Stop()
		}
		t.weekMu.Unlock()
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.opts.CloseTimeout)
		defer cancel()
	}
	select {
	case <-t.done:
	case <-ctx.Done():
	}
	backoff := 10 * time.Millisecond
	for {
		err := t.Flush(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			n := t.abandonHeld()
			if n == 0 {
				return nil
			}
			return fmt.Errorf("track: close: %d events not written: %w", n, err)
		case <-time.After(backoff):
			backoff = min(2*backoff, time.Second)
		}
	}
}

var defaultTracker atomic.Pointer[Tracker]

// Default returns the process-wide tracker used when a context carries
// none. Until SetDefault is called it is a tracker with zero Options, which
// counts into an embedded memstore: an unconfigured process still counts.
func Default() *Tracker {
	if t := defaultTracker.Load(); t != nil {
		return t
	}
	t := New(Options{})
	if defaultTracker.CompareAndSwap(nil, t) {
		return t
	}
	t.Close(context.Background())
	return defaultTracker.Load()
}

// SetDefault replaces the process-wide tracker. The caller closes the one it
// replaced, if it wants its pending events written.
func SetDefault(t *Tracker) { defaultTracker.Store(t) }

type ctxKey struct{}

// NewContext returns ctx carrying t; generated Track functions called with it
// use t instead of the default tracker.
func NewContext(ctx context.Context, t *Tracker) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// From returns the tracker carried by ctx, or the default tracker. It never
// returns nil.
func From(ctx context.Context) *Tracker {
	if t, ok := ctx.Value(ctxKey{}).(*Tracker); ok && t != nil {
		return t
	}
	return Default()
}

// reporter rate-limits error reports per kind.
type reportKind int

const (
	reportFlush reportKind = iota
	reportDrop
	reportSink
	numReportKinds
)

type reporter struct {
	handler  func(error)
	interval time.Duration
	now      func() time.Time

	mu         sync.Mutex
	last       [numReportKinds]time.Time
	suppressed [numReportKinds]int
}

func (r *reporter) init(h func(error), interval time.Duration, now func() time.Time) {
	r.handler, r.interval, r.now = h, interval, now
}

// report passes err to the handler unless one of its kind went out less
// than the interval ago; it says whether the handler was called.
func (r *reporter) report(kind reportKind, err error) (called bool) {
	if r.handler == nil {
		return false
	}
	now := r.now()
	r.mu.Lock()
	if !r.last[kind].IsZero() && now.Sub(r.last[kind]) < r.interval {
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
	defer func() { _ = recover() }() // a panicking handler must not take down a flush or a caller
	called = true
	r.handler(err)
	return called
}
