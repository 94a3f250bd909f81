package metric

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/store"
)

// ErrBadMetric is reported for an event metric the engine cannot translate
// into store keys: a unique count over all time, a time frame that counts
// no events, mixed unique and total rules, or a legacy Redis metric without
// options naming its events.
var ErrBadMetric = errors.New("metric: cannot read metric from the store")

// Key is the store key the rule reads and its event's updates write,
// without week suffix.
func (r EventRule) Key() string {
	switch r.Kind() {
	case event.UniqueCount:
		return keys.Unique(r.Event, r.Filter, r.Unique)
	case event.Sum:
		return keys.Sum(r.Event, r.Filter)
	}
	return keys.Counter(r.Event, r.Filter)
}

// lookup is the store read a metric needs, and how to turn the answer into a
// value.
type lookup struct {
	store.Lookup
	float bool // sums stay float64; counts become int64
}

// Lookup returns the store read that computes an event metric at time now:
// for totals and sums the counters to add up, for uniques the HyperLogLogs
// whose union to count. It is exported so tools can show which keys a metric
// reads.
func Lookup(d *Descriptor, now time.Time) (store.Lookup, error) {
	l, err := lookupFor(d, now)
	return l.Lookup, err
}

func lookupFor(d *Descriptor, now time.Time) (lookup, error) {
	switch d.DataSource {
	case "redis", "redis_hll":
		return legacyLookup(d, now)
	}
	if len(d.Events) == 0 {
		return lookup{}, fmt.Errorf("%s: %w: no events", d.KeyPath, ErrBadMetric)
	}
	if !d.TimeFrame.Counts() {
		return lookup{}, fmt.Errorf("%s: %w: time frame %q counts no events (want 7d, 28d or all)", d.KeyPath, ErrBadMetric, d.TimeFrame)
	}
	weeks := d.TimeFrame.Window(now)
	kind := d.Events[0].Kind()
	l := lookup{Lookup: store.Lookup{Unique: kind == event.UniqueCount}, float: kind == event.Sum}
	for _, r := range d.Events {
		if r.Operator != "" && r.Operator != SumValue {
			return lookup{}, fmt.Errorf("%s: %w: operator %q", d.KeyPath, ErrBadMetric, r.Operator)
		}
		if (r.Kind() == event.UniqueCount) != l.Unique {
			return lookup{}, fmt.Errorf("%s: %w: unique and total rules mixed", d.KeyPath, ErrBadMetric)
		}
		if r.Kind() == event.Sum {
			l.float = true
		}
		switch {
		case weeks != nil:
			l.Keys = append(l.Keys, keys.Weekly(r.Key(), weeks)...)
		case l.Unique:
			return lookup{}, fmt.Errorf("%s: %w: unique count over time frame all", d.KeyPath, ErrBadMetric)
		default:
			l.Keys = append(l.Keys, r.Key())
		}
	}
	return l, nil
}

// legacyLookup reads GitLab's older Redis metrics. A redis_hll metric names
// its events in options.events and reads the weekly HyperLogLogs
// {hll_counters}_<event>-<year>-<week>; a redis metric names options.event
// (and optionally options.prefix) and reads the all-time counter
// USAGE_<PREFIX>_<EVENT>.
func legacyLookup(d *Descriptor, now time.Time) (lookup, error) {
	var l lookup
	switch d.DataSource {
	case "redis_hll":
		names := stringList(d.Options["events"])
		if len(names) == 0 {
			return l, fmt.Errorf("%s: %w: redis_hll needs options.events", d.KeyPath, ErrBadMetric)
		}
		weeks := d.TimeFrame.Window(now)
		if len(weeks) == 0 {
			return l, fmt.Errorf("%s: %w: redis_hll needs time frame 7d or 28d", d.KeyPath, ErrBadMetric)
		}
		l.Unique = true
		for _, n := range names {
			l.Keys = append(l.Keys, keys.Weekly(keys.UniquePrefix+n, weeks)...)
		}
	case "redis":
		ev, _ := d.Options["event"].(string)
		if ev == "" {
			return l, fmt.Errorf("%s: %w: redis needs options.event", d.KeyPath, ErrBadMetric)
		}
		key := ev
		if p, _ := d.Options["prefix"].(string); p != "" {
			key = p + "_" + ev
		}
		l.Keys = []string{"USAGE_" + upper(key)}
	}
	return l, nil
}

func stringList(v any) []string {
	switch v := v.(type) {
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// isEventMetric reports whether d is read from the event store.
func isEventMetric(d *Descriptor) bool {
	if d.Value != nil || d.Application {
		return false
	}
	switch d.DataSource {
	case "internal_events", "redis", "redis_hll":
		return true
	}
	return len(d.Events) > 0
}

// computeEvents fills out for every metric of ds that is read from the event
// store, with one store.Read for all of them.
func (e *Engine) computeEvents(ctx context.Context, ds []*Descriptor, out []Result) {
	start := time.Now()
	now := e.Now()
	var (
		idx  []int
		reqs []store.Lookup
		lks  []lookup
	)
	for i, d := range ds {
		if !isEventMetric(d) {
			continue
		}
		if e.opt.Store == nil {
			out[i].Err = fmt.Errorf("%s: %w", d.KeyPath, ErrNoStore)
			continue
		}
		l, err := lookupFor(d, now)
		if err != nil {
			out[i].Err = err
			continue
		}
		idx = append(idx, i)
		reqs = append(reqs, l.Lookup)
		lks = append(lks, l)
	}
	if len(reqs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, e.opt.Timeout)
	defer cancel()
	vals, err := e.read(ctx, reqs)
	elapsed := time.Since(start)
	for j, i := range idx {
		out[i].Elapsed = elapsed
		switch {
		case err != nil:
			out[i].Err = fmt.Errorf("%s: reading the store: %w", ds[i].KeyPath, err)
		case lks[j].float:
			out[i].Value = vals[j]
		default:
			out[i].Value = int64(math.Round(vals[j]))
		}
	}
}

// read calls the store, recovering a panic and checking the answer's length
// so that a faulty store fails the metrics instead of the ping.
func (e *Engine) read(ctx context.Context, reqs []store.Lookup) (vals []float64, err error) {
	defer func() {
		if p := recover(); p != nil {
			vals, err = nil, fmt.Errorf("%w: %v", ErrPanic, p)
		}
	}()
	vals, err = e.opt.Store.Read(ctx, reqs)
	if err == nil && len(vals) != len(reqs) {
		err = fmt.Errorf("store answered %d of %d lookups", len(vals), len(reqs))
	}
	if err != nil && errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w after %s: %w", ErrTimeout, e.opt.Timeout, err)
	}
	return vals, err
}
