package track

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"strings"
	"sync"
	"unsafe"

	"github.com/usagekit/usagekit/runtime/event"
)

// numShards spreads concurrent Track calls over independent locks. Events
// are sharded by user (else project, else namespace), so one goroutine's
// events rarely wait for another's.
const (
	shardBits = 5
	numShards = 1 << shardBits
)

// Estimated bytes of pending work, charged against MaxPendingBytes. They
// cover the aggregation maps and the batch the flush builds from them
// (member text, string headers, the client's argument boxes).
const (
	costDesc      = 128 // per event and week, plus costRule per rule
	costRule      = 64
	costIntMember = 48
	costStrMember = 64 // plus the string's length
	// maxKept bounds the capacity of member slices kept between flushes.
	maxKept = 1 << 14
)

type shard struct {
	mu      sync.Mutex
	cur     *state // receives events
	spare   *state // empty, swapped in by a flush
	tracked uint64
	dropped uint64
	_       [64]byte // keeps neighbouring shards' locks off one cache line
}

// state is the work aggregated since the last flush, per event and week.
type state struct {
	descs map[descWeek]*descState
	// latest is the entry of descs each event last used: one lookup by
	// pointer instead of hashing a composite key.
	latest map[*event.Descriptor]*descState
	// recent caches latest in a small two-way table indexed by a hash of
	// the descriptor's address, so most calls find their entry without a
	// map lookup; an event pushed out falls back to latest.
	recent [recentSlots]recentEntry
	// interned holds this round's string members, copied: keeping the
	// caller's strings would make everything its record points to escape
	// to the heap in every Track call (custom properties included).
	interned map[string]string
	bytes    int64
	events   int64
}

const (
	recentBits  = 6
	recentSlots = 1 << recentBits
)

type recentEntry struct {
	d  *event.Descriptor
	ds *descState
}

// recentSet returns the first slot of d's set, from a hash of the
// descriptor's address, which is stable (Go's heap does not move objects)
// and only ever compared, never dereferenced.
func recentSet(d *event.Descriptor) int {
	return int((uint64(uintptr(unsafe.Pointer(d)))*0x9E3779B97F4A7C15)>>(64-recentBits)) &^ 1
}

type descWeek struct {
	d    *event.Descriptor
	week int32
}

type descState struct {
	week  int32
	rules []ruleState
	used  bool
}

// ruleState aggregates one rule: n events (for totals and sums), their sum,
// and the members of a unique rule, kept as numbers or strings and only
// deduplicated and formatted when flushed. Appending is what keeps the hot
// path fast: a set of every user seen in a flush interval is megabytes of
// randomly probed memory, while the tail of a slice stays in cache.
type ruleState struct {
	n    int64
	sum  float64
	ints []int64
	strs []string
}

func newState() *state {
	return &state{descs: make(map[descWeek]*descState), latest: make(map[*event.Descriptor]*descState),
		interned: make(map[string]string)}
}

func shardOf(r *event.Record) int {
	id := uint64(r.User)
	if id == 0 {
		id = uint64(r.Project)
	}
	if id == 0 {
		id = uint64(r.Namespace)
	}
	if id == 0 {
		return int(rand.Uint32() & (numShards - 1))
	}
	return int((id * 0x9E3779B97F4A7C15) >> (64 - shardBits))
}

// member returns the value a unique rule adds for r: an integer (ids, and
// the bits of a float value) or a string; ok is false when r has none.
func member(u event.Unique, r *event.Record) (n int64, s string, isStr, ok bool) {
	switch u {
	case event.UniqueUser:
		return int64(r.User), "", false, r.User != 0
	case event.UniqueProject:
		return int64(r.Project), "", false, r.Project != 0
	case event.UniqueNamespace:
		return int64(r.Namespace), "", false, r.Namespace != 0
	case event.UniqueLabel:
		return 0, r.Label, true, r.Label != ""
	case event.UniqueProperty:
		return 0, r.Property, true, r.Property != ""
	case event.UniqueValue:
		return int64(math.Float64bits(r.Value)), "", false, r.HasValue
	}
	return 0, "", false, false
}

// add aggregates r into s, or reports false, changing nothing, when the
// work would go past budget: an event is kept or dropped whole, so the
// drop counter accounts exactly for what is lost.
func (s *state) add(d *event.Descriptor, r *event.Record, wk int32, budget int64) bool {
	// Two ways per set: the newest entry first, the one it displaced next.
	set := s.recent[recentSet(d):][:2]
	var ds *descState
	switch {
	case set[0].d == d:
		ds = set[0].ds
	case set[1].d == d:
		ds = set[1].ds
		set[0], set[1] = set[1], set[0]
	}
	if ds == nil || ds.week != wk {
		if ds = s.lookup(d, wk, budget); ds == nil {
			return false
		}
		if set[0].d != d {
			set[1] = set[0]
		}
		set[0] = recentEntry{d, ds}
	}
	match := d.Always | r.Match
	if len(d.Updates) < 64 {
		match &= 1<<len(d.Updates) - 1
	}
	// An upper bound of what the event adds; exact only near the limit.
	if worst := int64(bits.OnesCount64(match)) * (costStrMember + int64(len(r.Label)+len(r.Property))); s.bytes+worst > budget && s.bytes+ds.cost(d, r, match) > budget {
		return false
	}
	for m := match; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		rule := &d.Updates[i]
		rs := &ds.rules[i]
		switch rule.Kind {
		case event.Total:
			rs.n++
		case event.Sum:
			if r.HasValue {
				rs.n++
				rs.sum += r.Value
			}
		case event.UniqueCount:
			n, str, isStr, ok := member(rule.Unique, r)
			if !ok {
				continue
			}
			rs.n++
			// A burst by one user (or of one label) repeats the last
			// member; skipping it keeps such bursts from filling the
			// buffer. Other repeats go when the flush deduplicates.
			if isStr {
				if k := len(rs.strs); k == 0 || rs.strs[k-1] != str {
					rs.strs = append(rs.strs, s.intern(str))
					s.bytes += costStrMember + int64(len(str))
				}
			} else if k := len(rs.ints); k == 0 || rs.ints[k-1] != n {
				rs.ints = append(rs.ints, n)
				s.bytes += costIntMember
			}
		}
	}
	ds.used = true
	s.events++
	return true
}

// intern returns a copy of str owned by s, one per distinct string.
func (s *state) intern(str string) string {
	if c, ok := s.interned[str]; ok {
		return c
	}
	c := strings.Clone(str)
	s.interned[c] = c
	return c
}

// lookup finds or makes the entry of d in week wk, or returns nil when
// making it would go past budget.
func (s *state) lookup(d *event.Descriptor, wk int32, budget int64) *descState {
	ds := s.latest[d]
	if ds != nil && ds.week == wk {
		return ds
	}
	ds = s.descs[descWeek{d, wk}]
	if ds == nil {
		cost := costDesc + costRule*int64(len(d.Updates))
		if s.bytes+cost > budget {
			return nil
		}
		ds = &descState{week: wk, rules: make([]ruleState, len(d.Updates))}
		s.descs[descWeek{d, wk}] = ds
		s.bytes += cost
	}
	s.latest[d] = ds
	return ds
}

// cost is what adding r charges: one member per unique rule that has one,
// unless it repeats the rule's last member.
func (ds *descState) cost(d *event.Descriptor, r *event.Record, match uint64) int64 {
	var c int64
	for m := match; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if d.Updates[i].Kind != event.UniqueCount {
			continue
		}
		rs := &ds.rules[i]
		switch n, str, isStr, ok := member(d.Updates[i].Unique, r); {
		case !ok:
		case isStr:
			if k := len(rs.strs); k == 0 || rs.strs[k-1] != str {
				c += costStrMember + int64(len(str))
			}
		default:
			if k := len(rs.ints); k == 0 || rs.ints[k-1] != n {
				c += costIntMember
			}
		}
	}
	return c
}

// reset empties s for reuse. Slices stay allocated for the next round
// unless they grew large, so a burst does not pin its memory; events idle
// for a whole round are forgotten.
func (s *state) reset() {
	for k, ds := range s.descs {
		if !ds.used {
			delete(s.descs, k)
			if s.latest[k.d] == ds {
				delete(s.latest, k.d)
			}
			for i := recentSet(k.d); i < recentSet(k.d)+2; i++ {
				if s.recent[i].ds == ds {
					s.recent[i] = recentEntry{}
				}
			}
			continue
		}
		ds.used = false
		for i := range ds.rules {
			rs := &ds.rules[i]
			rs.n, rs.sum = 0, 0
			rs.ints = keep(rs.ints)
			clear(rs.strs) // let go of the callers' strings
			rs.strs = keep(rs.strs)
		}
	}
	clear(s.interned)
	s.bytes, s.events = 0, 0
}

func keep[T any](s []T) []T {
	if cap(s) > maxKept {
		return nil
	}
	return s[:0]
}
