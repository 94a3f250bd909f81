package track

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/internal/backlog"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/store"
)

// slotKey names one Redis key without building its string: a rule of an
// event and an ISO week (year*100+week), or week 0 for the all-time key.
type slotKey struct {
	d    *event.Descriptor
	rule int32
	week int32
}

// keyInfo is a key's text, built once, and whether its expiry is known to
// be set (EXPIRE NX is sent with the first successful write only).
type keyInfo struct {
	key       string
	expireSet bool
}

// aggSlot merges one key's work from all shards.
type aggSlot struct {
	n     int64
	sum   float64
	ints  []int64
	strs  []string
	round uint64 // flush that last touched the slot
	// members the shards will add, counted before appending
	needInts, needStrs int
}

// flusher is the state of the one flush running at a time.
type flusher struct {
	mu       sync.Mutex
	keys     map[slotKey]*keyInfo
	agg      map[slotKey]*aggSlot
	order    []slotKey
	round    uint64
	lastWeek int32

	// Work kept after a failed flush, retried with the next one.
	held       *store.Batch
	heldIncr   map[string]int // key -> index in held.Incrs
	heldEvents int64
	expiring   []*keyInfo // keys whose EXPIRE is in the batch being sent
	failing    atomic.Bool

	statMu    sync.Mutex
	flushed   uint64
	retried   uint64
	dropped   uint64
	errors    uint64
	heldBytes int64
	drops     backlog.Drops // guarded by mu
}

func (f *flusher) init() {
	f.keys = make(map[slotKey]*keyInfo)
	f.agg = make(map[slotKey]*aggSlot)
}

// Flush writes everything tracked so far, together with work kept from
// failed flushes: pipelined writes of at most MaxBatch updates, each within
// WriteTimeout and all within ctx. On failure the writes not yet done are
// kept (within MaxPendingBytes) for the next flush and the error is
// returned; callers of Track never see it.
func (t *Tracker) Flush(ctx context.Context) error {
	f := &t.flushing
	f.mu.Lock()
	defer f.mu.Unlock()

	w := t.gather()
	if w.batch == nil || w.batch.Len() == 0 {
		return nil
	}
	t.budget.Hold(w.bytes)
	// Chunks bound what one timeout can leave in doubt: a write that timed
	// out may still land and be sent again, but only that chunk.
	chunks := split(w.batch, t.opts.MaxBatch)
	done, err := t.write(ctx, chunks)
	return t.settle(w, chunks, done, err)
}

// flushWork is what one flush writes: the batch, the events it holds (new
// and retried), and its estimated size.
type flushWork struct {
	batch           *store.Batch
	events, retried int64
	bytes           int64
}

// gather swaps the shards' tables out, aggregates them into one batch,
// joins the work kept from failed flushes, and reports drops.
func (t *Tracker) gather() flushWork {
	f := &t.flushing
	f.prune(t.weekOf(t.now()))
	f.round++
	var events, bytes int64
	var shardDrops uint64
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		sh.cur, sh.spare = sh.spare, sh.cur
		shardDrops += sh.dropped
		sh.mu.Unlock()
	}
	for i := range t.shards {
		f.collect(t.shards[i].spare, true)
	}
	for i := range t.shards {
		st := t.shards[i].spare
		events += st.events
		bytes += st.bytes
		f.collect(st, false)
		st.reset()
	}
	w := flushWork{batch: f.build(), events: events, bytes: bytes}

	limit := t.opts.MaxPendingBytes
	f.statMu.Lock()
	if f.held != nil {
		if f.heldBytes+w.bytes > limit {
			// Only reachable when estimates disagree; the shards' budget
			// normally keeps new work within what is left.
			f.dropped += uint64(w.events)
			w.events, w.bytes, w.batch = 0, 0, nil
		}
		w.retried = f.heldEvents
		f.retried += uint64(w.retried)
		w.events += w.retried
		w.bytes += f.heldBytes
		w.batch = f.merge(w.batch)
	}
	f.heldBytes = w.bytes
	allDrops := shardDrops + f.dropped
	f.statMu.Unlock()
	f.drops.Report(&t.reports, reportDrop, allDrops, func(n uint64) error {
		return fmt.Errorf("%w: %d events since the last report: pending work reached %d bytes, or tracked after Close", ErrDropped, n, limit)
	})
	return w
}

// write applies the chunks in order, each within WriteTimeout, and returns
// how many were applied before the first failure.
func (t *Tracker) write(ctx context.Context, chunks []*store.Batch) (int, error) {
	for i, c := range chunks {
		actx, cancel := context.WithTimeout(ctx, t.opts.WriteTimeout)
		err := t.store.Apply(actx, c)
		cancel()
		if err != nil {
			return i, err
		}
	}
	return len(chunks), nil
}

// settle records the outcome of a flush: on success the expiries set and
// the held work cleared; on failure the chunks not written kept for the
// next flush, and the error reported.
func (t *Tracker) settle(w flushWork, chunks []*store.Batch, done int, err error) error {
	f := &t.flushing
	f.statMu.Lock()
	defer f.statMu.Unlock()
	if err == nil {
		f.flushed += uint64(w.events)
		for _, ki := range f.expiring {
			ki.expireSet = true
		}
		f.expiring = f.expiring[:0]
		f.held, f.heldIncr, f.heldEvents, f.heldBytes = nil, nil, 0, 0
		f.failing.Store(false)
		t.budget.Hold(0)
		return nil
	}
	f.errors++
	f.failing.Store(true)
	rest := join(chunks[done:])
	if done > 0 {
		f.heldBytes = int64(float64(w.bytes) * float64(weight(rest)) / float64(max(1, weight(w.batch))))
	}
	f.held = rest
	f.heldIncr = make(map[string]int, len(rest.Incrs))
	for i, in := range rest.Incrs {
		f.heldIncr[in.Key] = i
	}
	f.heldEvents = w.events
	t.budget.Hold(f.heldBytes)
	err = fmt.Errorf("%w: %d events (%d of them retried) kept for the next flush: %w", ErrFlush, w.events, w.retried, err)
	t.reports.Report(reportFlush, err)
	return err
}

// weight is the size of a batch in updates: one per counter, one per
// member (an Add without members still costs one).
func weight(b *store.Batch) int {
	n := len(b.Incrs)
	for _, a := range b.Adds {
		n += max(1, len(a.Members))
	}
	return n
}

// split cuts b into batches of at most max updates, splitting large sets
// of members over several PFADDs.
func split(b *store.Batch, limit int) []*store.Batch {
	if weight(b) <= limit {
		return []*store.Batch{b}
	}
	var out []*store.Batch
	cur, n := &store.Batch{}, 0
	push := func() {
		if cur.Len() > 0 {
			out = append(out, cur)
			cur, n = &store.Batch{}, 0
		}
	}
	for _, in := range b.Incrs {
		cur.Incrs = append(cur.Incrs, in)
		if n++; n >= limit {
			push()
		}
	}
	for _, a := range b.Adds {
		ms := a.Members
		for {
			if n >= limit {
				push()
			}
			part := ms[:min(len(ms), limit-n)]
			cur.Adds = append(cur.Adds, store.Add{Key: a.Key, Members: part, Expire: a.Expire})
			n += max(1, len(part))
			ms = ms[len(part):]
			if len(ms) == 0 {
				break
			}
		}
	}
	push()
	return out
}

// join is the inverse of split, for the chunks a failed flush keeps.
func join(chunks []*store.Batch) *store.Batch {
	if len(chunks) == 1 {
		return chunks[0]
	}
	b := &store.Batch{}
	for _, c := range chunks {
		b.Incrs = append(b.Incrs, c.Incrs...)
		b.Adds = append(b.Adds, c.Adds...)
	}
	return b
}

// merge adds b to the held batch: increments of one key add up, members go
// to an extra PFADD.
func (f *flusher) merge(b *store.Batch) *store.Batch {
	if b == nil {
		return f.held
	}
	for _, in := range b.Incrs {
		if i, ok := f.heldIncr[in.Key]; ok {
			f.held.Incrs[i].By += in.By
			continue
		}
		f.heldIncr[in.Key] = len(f.held.Incrs)
		f.held.Incrs = append(f.held.Incrs, in)
	}
	f.held.Adds = append(f.held.Adds, b.Adds...)
	return f.held
}

// abandonHeld gives up the held work (Close ran out of time) and counts it as
// dropped.
func (t *Tracker) abandonHeld() int64 {
	f := &t.flushing
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statMu.Lock()
	defer f.statMu.Unlock()
	n := f.heldEvents
	f.dropped += uint64(n)
	f.held, f.heldIncr, f.heldEvents, f.heldBytes = nil, nil, 0, 0
	f.expiring = f.expiring[:0]
	return n
}

// prune forgets keys of weeks older than the previous one when the week
// changes, so a long-running process keeps a bounded set.
func (f *flusher) prune(week int32) {
	if week == f.lastWeek {
		return
	}
	for k := range f.keys {
		if k.week != 0 && k.week != week && k.week != f.lastWeek {
			delete(f.keys, k)
		}
	}
	for k := range f.agg {
		if k.week != 0 && k.week != week && k.week != f.lastWeek {
			delete(f.agg, k)
		}
	}
	f.lastWeek = week
}

func (f *flusher) slot(k slotKey) *aggSlot {
	a := f.agg[k]
	if a == nil {
		a = &aggSlot{}
		f.agg[k] = a
	}
	if a.round != f.round {
		a.round = f.round
		f.order = append(f.order, k)
	}
	return a
}

// collect adds one shard's aggregated state to the slots of this flush. A
// first pass over all shards with sizing set only counts members, so each
// slot grows once instead of copying its members at every doubling.
func (f *flusher) collect(st *state, sizing bool) {
	for dw, ds := range st.descs {
		if !ds.used {
			continue
		}
		for i := range ds.rules {
			rs := &ds.rules[i]
			if rs.n == 0 {
				continue
			}
			rule := &dw.d.Updates[i]
			weeks := [2]int32{-1, -1}
			if rule.Weekly {
				weeks[0] = dw.week
			}
			if rule.AllTime {
				weeks[1] = 0
			}
			for _, w := range weeks {
				if w < 0 {
					continue
				}
				a := f.slot(slotKey{dw.d, int32(i), w})
				if sizing {
					a.needInts += len(rs.ints)
					a.needStrs += len(rs.strs)
					continue
				}
				if a.needInts > 0 || a.needStrs > 0 {
					a.ints = slices.Grow(a.ints, a.needInts)
					a.strs = slices.Grow(a.strs, a.needStrs)
					a.needInts, a.needStrs = 0, 0
				}
				switch rule.Kind {
				case event.Total, event.Sum:
					a.n += rs.n
					a.sum += rs.sum
				case event.UniqueCount:
					a.n += rs.n
					a.ints = append(a.ints, rs.ints...)
					a.strs = append(a.strs, rs.strs...)
				}
			}
		}
	}
}

// build turns this flush's slots into a batch and resets them. Members are
// formatted here, off the hot path: all members of a key share one string.
func (f *flusher) build() *store.Batch {
	if len(f.order) == 0 {
		return nil
	}
	b := &store.Batch{}
	var arena []byte
	for _, k := range f.order {
		a := f.agg[k]
		rule := &k.d.Updates[k.rule]
		ki := f.keys[k]
		if ki == nil {
			key := rule.Key
			if k.week != 0 {
				key += weekFromCode(k.week).Suffix()
			}
			ki = &keyInfo{key: key}
			f.keys[k] = ki
		}
		var expire = keys.WeeklyExpiry
		if k.week == 0 || ki.expireSet {
			expire = 0
		} else {
			f.expiring = append(f.expiring, ki)
		}
		switch rule.Kind {
		case event.Total:
			b.Incrs = append(b.Incrs, store.Incr{Key: ki.key, By: float64(a.n), Expire: expire})
		case event.Sum:
			b.Incrs = append(b.Incrs, store.Incr{Key: ki.key, By: a.sum, Float: true, Expire: expire})
		case event.UniqueCount:
			slices.Sort(a.ints)
			a.ints = slices.Compact(a.ints)
			slices.Sort(a.strs)
			a.strs = slices.Compact(a.strs)
			members := make([]string, 0, len(a.ints)+len(a.strs))
			arena = arena[:0]
			ends := make([]int, 0, len(a.ints))
			for _, m := range a.ints {
				if rule.Unique == event.UniqueValue {
					arena = strconv.AppendFloat(arena, math.Float64frombits(uint64(m)), 'f', -1, 64)
				} else {
					arena = strconv.AppendInt(arena, m, 10)
				}
				ends = append(ends, len(arena))
			}
			text := string(arena)
			start := 0
			for _, end := range ends {
				members = append(members, text[start:end])
				start = end
			}
			members = append(members, a.strs...)
			b.Adds = append(b.Adds, store.Add{Key: ki.key, Members: members, Expire: expire})
		}
		a.n, a.sum = 0, 0
		a.ints = keep(a.ints)
		clear(a.strs)
		a.strs = keep(a.strs)
	}
	f.order = f.order[:0]
	return b
}
