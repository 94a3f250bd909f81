package memstore

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/store"
)

// The memstore's HyperLogLog is Redis's algorithm, so for the same members
// PFCOUNT here and in Redis agree exactly, for single keys and for unions.
func TestUniqueCountsMatchRedis(t *testing.T) {
	rdb := redistest.Client(t, 4)
	ctx := context.Background()
	s := New(Options{})
	sizes := []int{0, 1, 2, 3, 10, 100, 1000, 5000, 20000, 100000}
	var lookups []store.Lookup
	for _, n := range sizes {
		key := "{hll_counters}_k" + strconv.Itoa(n)
		members := make([]string, n)
		args := make([]any, n)
		for i := range members {
			members[i] = strconv.Itoa(i * 7)
			args[i] = members[i]
		}
		if err := s.Apply(ctx, &store.Batch{Adds: []store.Add{{Key: key, Members: members}}}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i += 10000 {
			if err := rdb.PFAdd(ctx, key, args[i:min(n, i+10000)]...).Err(); err != nil {
				t.Fatal(err)
			}
		}
		lookups = append(lookups, store.Lookup{Keys: []string{key}, Unique: true})
	}
	// The union of overlapping sets (members are multiples of 7 below 7n).
	all := make([]string, len(sizes))
	for i, n := range sizes {
		all[i] = "{hll_counters}_k" + strconv.Itoa(n)
	}
	lookups = append(lookups, store.Lookup{Keys: all, Unique: true})
	got, err := s.Read(ctx, lookups)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lookups {
		want, err := rdb.PFCount(ctx, l.Keys...).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got[i] != float64(want) {
			t.Errorf("PFCOUNT %v: memstore %v, redis %d", l.Keys, got[i], want)
		}
	}
	// A string of every length 0..40 exercises each tail of the hash.
	var long []string
	for n := range 41 {
		long = append(long, string(make([]byte, n))+"xyz"[:n%3])
	}
	args := make([]any, len(long))
	for i, m := range long {
		args[i] = m
	}
	s.Apply(ctx, &store.Batch{Adds: []store.Add{{Key: "lengths", Members: long}}})
	rdb.PFAdd(ctx, "lengths", args...)
	if want := rdb.PFCount(ctx, "lengths").Val(); s.Count("lengths") != uint64(want) {
		t.Errorf("lengths: memstore %d, redis %d", s.Count("lengths"), want)
	}
}

func TestErrorIsBounded(t *testing.T) {
	s := New(Options{})
	const n = 200000
	members := make([]string, n)
	for i := range members {
		members[i] = strconv.Itoa(i + 1)
	}
	s.Apply(context.Background(), &store.Batch{Adds: []store.Add{{Key: "u", Members: members}}})
	got := float64(s.Count("u"))
	if rel := (got - n) / n; rel > 0.03 || rel < -0.03 {
		t.Errorf("count %v of %d distinct members: error %.2f%%, want within 3%% (4 standard errors)", got, n, rel*100)
	}
}

func TestCountersAndExpiry(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	s := New(Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	week := 6 * 7 * 24 * time.Hour
	b := &store.Batch{
		Incrs: []store.Incr{
			{Key: "total", By: 3},
			{Key: "weekly", By: 2, Expire: week},
			{Key: "sum", By: 1.25},
		},
		Adds: []store.Add{{Key: "hll", Members: []string{"1", "2", "2"}, Expire: week}},
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	// A second write does not extend the expiry (EXPIRE NX).
	if err := s.Apply(ctx, &store.Batch{Incrs: []store.Incr{{Key: "weekly", By: 1, Expire: week}, {Key: "sum", By: 0.5}}}); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := s.TTL("weekly"); ttl != week-time.Hour {
		t.Errorf("ttl after second write %v, want %v", ttl, week-time.Hour)
	}
	got, err := s.Read(ctx, []store.Lookup{
		{Keys: []string{"total", "weekly", "missing"}},
		{Keys: []string{"sum"}},
		{Keys: []string{"hll", "missing"}, Unique: true},
		{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{6, 1.75, 2, 0}; !slices.Equal(got, want) {
		t.Errorf("read %v, want %v", got, want)
	}
	now = now.Add(week)
	if _, ok := s.Get("weekly"); ok {
		t.Error("weekly key outlived its expiry")
	}
	if v, ok := s.Get("total"); !ok || v != 3 {
		t.Errorf("all-time key: %v %v, want 3 true", v, ok)
	}
	if keys := s.Keys(); !slices.Equal(keys, []string{"sum", "total"}) {
		t.Errorf("keys after expiry %v", keys)
	}
}

func TestWrongType(t *testing.T) {
	s := New(Options{})
	ctx := context.Background()
	s.Apply(ctx, &store.Batch{Incrs: []store.Incr{{Key: "c", By: 1}}, Adds: []store.Add{{Key: "h", Members: []string{"1"}}}})
	err := s.Apply(ctx, &store.Batch{Incrs: []store.Incr{{Key: "h", By: 1}, {Key: "c", By: 1}}})
	var wt *WrongTypeError
	if !errors.As(err, &wt) || wt.Key != "h" {
		t.Fatalf("INCRBY on a unique key: %v", err)
	}
	if err.Error() != `memstore: apply: memstore: key "h" holds the wrong kind of value` {
		t.Errorf("message %q", err)
	}
	if v, _ := s.Get("c"); v != 2 {
		t.Errorf("the valid update was not applied: %v", v)
	}
	if _, err := s.Read(ctx, []store.Lookup{{Keys: []string{"c"}, Unique: true}}); err == nil {
		t.Error("PFCOUNT of a counter: no error")
	}
	if _, err := s.Read(ctx, []store.Lookup{{Keys: []string{"h"}}}); err == nil {
		t.Error("GET of a unique key: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Apply(cctx, &store.Batch{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled apply: %v", err)
	}
}
