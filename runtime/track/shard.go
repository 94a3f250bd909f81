package track

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sync"

	"github.com/usagekit/usagekit/runtime/event"
)

// numShards spreads concurrent Track calls over independent locks. Events
// are sharded by user (else project, else namespace), so the members of a
// user's unique keys never meet in two shards.
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
	maxKeptMap    = 1024
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
	descs  map[descWeek]*descState
	bytes  int64
	events int64
}

type descWeek struct {
	d    *event.Descriptor
	week int32
}

type descState struct {
	rules []ruleState
	used  bool
}

// ruleState aggregates one rule: n events (for totals and sums), their sum,
// and the distinct members of a unique rule, kept as numbers or strings and
// only formatted when flushed.
type ruleState struct {
	n    int64
	sum  float64
	ints map[int64]struct{}
	strs map[string]struct{}
}

func newState() *state {
	return &state{descs: make(map[descWeek]*descState)}
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
	ds := s.descs[descWeek{d, wk}]
	if ds == nil {
		cost := costDesc + costRule*int64(len(d.Rules))
		if s.bytes+cost > budget {
			return false
		}
		ds = &descState{rules: make([]ruleState, len(d.Rules))}
		s.descs[descWeek{d, wk}] = ds
		s.bytes += cost
	}
	match := d.Always | r.Match
	if len(d.Rules) < 64 {
		match &= 1<<len(d.Rules) - 1
	}
	// Cheap upper bound first; count exactly only near the limit.
	worst := int64(bits.OnesCount64(match)) * (costStrMember + int64(len(r.Label)+len(r.Property)))
	if s.bytes+worst > budget && s.bytes+ds.newCost(d, r, match) > budget {
		return false
	}
	for m := match; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		rule := &d.Rules[i]
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
			if isStr {
				if rs.strs == nil {
					rs.strs = make(map[string]struct{})
				}
				if _, dup := rs.strs[str]; !dup {
					rs.strs[str] = struct{}{}
					s.bytes += costStrMember + int64(len(str))
				}
			} else {
				if rs.ints == nil {
					rs.ints = make(map[int64]struct{})
				}
				if _, dup := rs.ints[n]; !dup {
					rs.ints[n] = struct{}{}
					s.bytes += costIntMember
				}
			}
		}
	}
	ds.used = true
	s.events++
	return true
}

// newCost is what adding r would charge: only members not yet present.
func (ds *descState) newCost(d *event.Descriptor, r *event.Record, match uint64) int64 {
	var cost int64
	for m := match; m != 0; m &= m - 1 {
		i := bits.TrailingZeros64(m)
		if d.Rules[i].Kind != event.UniqueCount {
			continue
		}
		n, str, isStr, ok := member(d.Rules[i].Unique, r)
		switch {
		case !ok:
		case isStr:
			if _, dup := ds.rules[i].strs[str]; !dup {
				cost += costStrMember + int64(len(str))
			}
		default:
			if _, dup := ds.rules[i].ints[n]; !dup {
				cost += costIntMember
			}
		}
	}
	return cost
}

// reset empties s for reuse. Maps stay allocated for the next round unless
// they grew large, so a burst does not pin its memory; events idle for a
// whole round are forgotten.
func (s *state) reset() {
	for k, ds := range s.descs {
		if !ds.used {
			delete(s.descs, k)
			continue
		}
		ds.used = false
		for i := range ds.rules {
			rs := &ds.rules[i]
			rs.n, rs.sum = 0, 0
			if len(rs.ints) > maxKeptMap {
				rs.ints = nil
			} else {
				clear(rs.ints)
			}
			if len(rs.strs) > maxKeptMap {
				rs.strs = nil
			} else {
				clear(rs.strs)
			}
		}
	}
	s.bytes, s.events = 0, 0
}
