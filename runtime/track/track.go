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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/internal/backlog"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/record"
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
	// Records, when set, receives every tracked event as a record (the
	// SaaS path: see package record), stamped by Now. With the default
	// clock the stamp reads the monotonic clock alone, from a reading of
	// the system clock at most a second old (see stampClock). Close closes it
	// after the last flush, so every record tracked before Close is
	// delivered.
	Records *record.Pipeline
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
	// count allows.
	lanes backlog.Lanes
	// budget is each shard's share of MaxPendingBytes left after the work
	// the flusher holds.
	budget backlog.Budget
	week   atomic.Pointer[weekSpan]
	// current, with the default clock, is the week now, moved on by a timer
	// at each week's end so Track reads no clock; nil with Options.Now.
	current   atomic.Pointer[weekSpan]
	weekMu    sync.Mutex
	weekTimer *time.Timer
	// stamp times records with the default clock; nil with Options.Now.
	stamp *stampClock
	loop  backlog.Loop

	sinkPanics atomic.Uint64
	flushing   flusher // guarded by its own mutex
	reports    backlog.Reporter
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
	}
	if coarse {
		t.followWeek()
		t.stamp = &stampClock{}
	}
	for i := range t.shards {
		t.shards[i].cur = newState()
		t.shards[i].spare = newState()
	}
	t.lanes.Init(numShards)
	t.flushing.init()
	t.reports.Init(opts.ErrorHandler, opts.ErrorInterval, opts.Now)
	t.budget.Init(opts.MaxPendingBytes, numShards)
	interval := opts.FlushInterval
	if opts.Sync {
		interval = -1
	}
	t.loop.Start(interval, func() { t.Flush(context.Background()) }, t.flushing.failing.Load)
	return t
}

// Store returns the store the tracker writes to, so the metric engine can
// read the same counts (for the default tracker, its embedded memstore).
func (t *Tracker) Store() store.Store { return t.store }

// Track records one event. It never blocks on the store and never panics;
// a nil Tracker ignores the call.
func (t *Tracker) Track(ctx context.Context, d *event.Descriptor, r *event.Record) {
	// A wrapper small enough to inline: a Track call in generated code
	// costs one function call, however the work is shared.
	t.track(ctx, d, r, true)
}

// TrackCounts records one event in the counts only: neither the sink nor
// the record pipeline hears of it. The track endpoint uses it for events
// sent without send_to_snowplow, as GitLab counts those without emitting
// a Snowplow event. A nil Tracker ignores the call.
func (t *Tracker) TrackCounts(ctx context.Context, d *event.Descriptor, r *event.Record) {
	t.track(ctx, d, r, false)
}

// track adds the event's updates to its shard and, when forward is set,
// hands it to the sink and the record pipeline.
func (t *Tracker) track(ctx context.Context, d *event.Descriptor, r *event.Record, forward bool) {
	if t == nil || d == nil || r == nil {
		return
	}
	if forward && t.opts.Sink != nil {
		t.forward(ctx, d, r)
	}
	if forward && t.opts.Records != nil {
		var at time.Time
		if t.stamp != nil {
			at = t.stamp.now()
		} else {
			at = t.now()
		}
		t.opts.Records.Add(d.Name, r, at)
	}
	var wk int32
	if w := t.current.Load(); w != nil {
		wk = w.code
	} else {
		wk = t.weekOf(t.now())
	}
	lane := t.lanes.Get()
	lb := t.lanes.Bits()
	sh := &t.shards[*lane<<(shardBits-lb)|shardOf(r)>>lb]
	t.lanes.Put(t.lanes.Lock(lane, &sh.mu))
	budget := t.budget.Share()
	sh.tracked++
	if t.loop.Closed() || !sh.cur.add(d, r, wk, budget) {
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
		t.loop.Kick()
	}
}

// WantsCustom reports whether records should carry custom properties, which
// only an event sink and a record pipeline consume.
func (t *Tracker) WantsCustom() bool {
	return t != nil && (t.opts.Sink != nil || t.opts.Records != nil)
}

// lent lends the sink a copy of the caller's record: handing the caller's
// own pointer to an interface would move every record of every Track call
// to the heap, sink or not. What r points to is copied too (its strings
// cloned, its slices copied into the loan's own), so that nothing at r's
// first level escapes: the caller's slices (a composite literal in
// generated code) stay on its stack, with or without a sink.
var lent = sync.Pool{New: func() any { return new(event.Record) }}

func (t *Tracker) forward(ctx context.Context, d *event.Descriptor, r *event.Record) {
	rc := lent.Get().(*event.Record)
	custom, fe := rc.Custom, rc.FeatureEnabledByNamespaceIDs
	*rc = event.Record{
		User: r.User, Project: r.Project, Namespace: r.Namespace,
		Label: strings.Clone(r.Label), Property: strings.Clone(r.Property),
		Value: r.Value, HasValue: r.HasValue, Match: r.Match,
		FeatureEnabledByNamespaceIDs: append(fe[:0], r.FeatureEnabledByNamespaceIDs...),
		Custom:                       append(custom[:0], r.Custom...),
	}
	if len(r.FeatureEnabledByNamespaceIDs) == 0 {
		rc.FeatureEnabledByNamespaceIDs = nil
	}
	if len(r.Custom) == 0 {
		rc.Custom = nil
	}
	defer func() {
		clear(rc.Custom)
		*rc = event.Record{Custom: rc.Custom[:0], FeatureEnabledByNamespaceIDs: rc.FeatureEnabledByNamespaceIDs[:0]}
		lent.Put(rc)
		if p := recover(); p != nil {
			t.sinkPanics.Add(1)
			t.reports.Report(reportSink, fmt.Errorf("%w on event %s: %v", ErrPanic, d.Name, p))
		}
	}()
	t.opts.Sink.Event(ctx, d.Name, rc)
}

// stampClock is the system clock for record stamps, read the cheap way:
// the wall time of its last reading plus the monotonic time since. That
// is one clock read instead of time.Now's two (about 30 ns against 60-80
// on a 2-core VM, a fifth of a Track call with records). The reading is
// renewed once it is a second old, or when the monotonic clock says it
// lies in the future, so a step of the wall clock shows within a second.
type stampClock struct{ base atomic.Pointer[stampBase] }

// stampBase is a reading of the system clock: its monotonic reading, and
// its wall time in Unix nanoseconds.
type stampBase struct {
	mono time.Time
	wall int64
}

func (c *stampClock) now() time.Time {
	if b := c.base.Load(); b != nil {
		if d := time.Since(b.mono); d >= 0 && d < time.Second {
			// time.Unix, not mono.Add: a stamp needs no monotonic
			// reading, and Add's carrying of one costs half the clock.
			return time.Unix(0, b.wall+int64(d))
		}
	}
	t := time.Now()
	c.base.Store(&stampBase{mono: t, wall: t.UnixNano()})
	return t
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
	if t.loop.Closed() {
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

// Close stops background flushing and writes everything tracked before it,
// retrying until ctx is done; a ctx without deadline gets CloseTimeout.
// Events it could not write are counted as dropped and reported in the
// error. Events tracked after Close are dropped.
func (t *Tracker) Close(ctx context.Context) error {
	if t == nil {
		return nil
	}
	if t.loop.Stop() {
		t.weekMu.Lock()
		if t.weekTimer != nil {
			t.weekTimer.Stop()
		}
		t.weekMu.Unlock()
	}
	// One deadline for the counts and the records alike, so that closing
	// both never takes longer than CloseTimeout.
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.opts.CloseTimeout)
		defer cancel()
	}
	n, err := t.loop.Drain(ctx, t.opts.CloseTimeout, t.Flush, t.abandonHeld)
	if err != nil && n > 0 {
		err = fmt.Errorf("track: close: %d events not written: %w", n, err)
	} else {
		err = nil
	}
	return errors.Join(err, t.opts.Records.Close(ctx))
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

// Kinds of error report, each rate-limited on its own.
const (
	reportFlush backlog.Kind = iota
	reportDrop
	reportSink
)
