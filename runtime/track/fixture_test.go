package track

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/memstore"
)

// issueCreated is an event as the generator would describe it: its
// unfiltered total (rule 0), uniques over user, project, label and value,
// a sum, and a total filtered on label "bug" (rule 3, set by Match).
var issueCreated = &event.Descriptor{
	Name: "issue_created",
	Updates: []event.Update{
		{Kind: event.Total, Key: keys.Counter("issue_created", nil), AllTime: true, Weekly: true},
		{Kind: event.UniqueCount, Unique: event.UniqueUser, Key: keys.Unique("issue_created", nil, event.UniqueUser), Weekly: true},
		{Kind: event.UniqueCount, Unique: event.UniqueProject, Key: keys.Unique("issue_created", nil, event.UniqueProject), Weekly: true},
		{Kind: event.Total, Key: keys.Counter("issue_created", event.Filter{{Property: "label", Value: "bug"}}), Weekly: true},
		{Kind: event.Sum, Key: keys.Sum("issue_created", nil), Weekly: true, AllTime: true},
		{Kind: event.UniqueCount, Unique: event.UniqueLabel, Key: keys.Unique("issue_created", nil, event.UniqueLabel), Weekly: true},
		{Kind: event.UniqueCount, Unique: event.UniqueValue, Key: keys.Unique("issue_created", nil, event.UniqueValue), Weekly: true},
	},
	Always: 0b1110111,
}

// trackIssue does what a generated Track function does: fill a record on
// the stack, evaluate the filters into Match, hand it over.
func trackIssue(ctx context.Context, t *Tracker, user event.UserID, project event.ProjectID, label string, value *float64) {
	r := event.Record{User: user, Project: project, Label: label}
	if value != nil {
		r.Value, r.HasValue = *value, true
	}
	if label == "bug" {
		r.Match |= 1 << 3
	}
	t.Track(ctx, issueCreated, &r)
}

func ptr(v float64) *float64 { return &v }

// clock is a settable clock for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(s string) *clock {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return &clock{now: t}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(s string) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// inspector reads back what a store holds, the way an operator would:
// GET, PFCOUNT, TTL and the list of keys.
type inspector interface {
	get(key string) string
	pfcount(key string) int64
	ttl(key string) time.Duration // -1 without expiry, -2 when missing
	keys() []string
}

type memInspector struct{ s *memstore.Store }

func (m memInspector) get(key string) string {
	v, ok := m.s.Get(key)
	if !ok {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}
func (m memInspector) pfcount(key string) int64 { return int64(m.s.Count(key)) }
func (m memInspector) ttl(key string) time.Duration {
	ttl, ok := m.s.TTL(key)
	switch {
	case !ok:
		return -2
	case ttl == 0:
		return -1
	}
	return ttl
}
func (m memInspector) keys() []string { return m.s.Keys() }

type redisInspector struct{ c redis.UniversalClient }

func (r redisInspector) get(key string) string {
	return r.c.Get(context.Background(), key).Val()
}
func (r redisInspector) pfcount(key string) int64 {
	return r.c.PFCount(context.Background(), key).Val()
}
func (r redisInspector) ttl(key string) time.Duration {
	d := r.c.TTL(context.Background(), key).Val()
	if d < 0 {
		return d / time.Nanosecond // go-redis gives -1ns and -2ns
	}
	return d
}
func (r redisInspector) keys() []string {
	ctx := context.Background()
	var out []string
	collect := func(c *redis.Client) {
		ks, _ := c.Keys(ctx, "*").Result()
		out = append(out, ks...)
	}
	switch c := r.c.(type) {
	case *redis.ClusterClient:
		var mu sync.Mutex
		c.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
			ks, _ := n.Keys(ctx, "*").Result()
			mu.Lock()
			out = append(out, ks...)
			mu.Unlock()
			return nil
		})
	case *redis.Client:
		collect(c)
	}
	sort.Strings(out)
	return out
}

// recorder keeps a copy of every batch on its way to the store.
type recorder struct {
	store.Store
	mu      sync.Mutex
	batches []store.Batch
}

func (r *recorder) Apply(ctx context.Context, b *store.Batch) error {
	r.mu.Lock()
	r.batches = append(r.batches, store.Batch{Incrs: append([]store.Incr(nil), b.Incrs...), Adds: append([]store.Add(nil), b.Adds...)})
	r.mu.Unlock()
	return r.Store.Apply(ctx, b)
}

// failing is a store that is down until up is set, for the memory bound
// test; the network faults are tested with a real proxy in front of Redis.
type failing struct {
	store.Store
	mu sync.Mutex
	up bool
}

func (f *failing) Apply(ctx context.Context, b *store.Batch) error {
	f.mu.Lock()
	up := f.up
	f.mu.Unlock()
	if !up {
		return errDown
	}
	return f.Store.Apply(ctx, b)
}

var errDown = &downError{}

type downError struct{}

func (*downError) Error() string { return "store down" }
