package redisstore

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/store"
)

func TestApplyRead(t *testing.T) {
	rdb := redistest.Client(t, 3)
	ctx := context.Background()
	// Tiny chunks so a small batch takes several round trips and a PFADD
	// is split.
	s := New(rdb, Options{ChunkArgs: 7, MaxMembers: 3, MaxKeys: 2})
	week := 6 * 7 * 24 * time.Hour
	members := make([]string, 10)
	for i := range members {
		members[i] = strconv.Itoa(i + 1)
	}
	b := &store.Batch{
		Incrs: []store.Incr{
			{Key: "{event_counters}_a", By: 5},
			{Key: "{event_counters}_a-2026-48", By: 5, Expire: week},
			{Key: "{event_counters}_b-2026-48", By: 2, Expire: week},
			{Key: "{event_sums}_a-operator:sum(value)-2026-48", By: 1.5, Expire: week},
			{Key: "{event_sums}_a-operator:sum(value)", By: 2, Float: true},
		},
		Adds: []store.Add{
			{Key: "{hll_counters}_a-user-2026-48", Members: members, Expire: week},
			{Key: "{hll_counters}_a-user-2026-47", Members: members[5:]},
			{Key: "{hll_counters}_empty-user-2026-48"},
		},
	}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	// The sum holds a fraction now; a whole increment must still work.
	if err := s.Apply(ctx, &store.Batch{Incrs: []store.Incr{{Key: "{event_sums}_a-operator:sum(value)-2026-48", By: 1, Float: true, Expire: time.Hour}}}); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"{event_counters}_a":                         "5",
		"{event_counters}_a-2026-48":                 "5",
		"{event_sums}_a-operator:sum(value)-2026-48": "2.5",
		"{event_sums}_a-operator:sum(value)":         "2",
	} {
		if got := rdb.Get(ctx, key).Val(); got != want {
			t.Errorf("GET %s = %q, want %q", key, got, want)
		}
	}
	// EXPIRE NX: set by the first write, untouched by the second (which
	// asked for one hour); never on all-time keys.
	if ttl := rdb.TTL(ctx, "{event_sums}_a-operator:sum(value)-2026-48").Val(); ttl < week-time.Minute {
		t.Errorf("weekly TTL %v, want about %v", ttl, week)
	}
	if ttl := rdb.TTL(ctx, "{event_counters}_a").Val(); ttl != -1 {
		t.Errorf("all-time TTL %v, want none (-1ns)", ttl)
	}
	if ttl := rdb.TTL(ctx, "{hll_counters}_a-user-2026-48").Val(); ttl < week-time.Minute {
		t.Errorf("unique key TTL %v", ttl)
	}
	if n := rdb.Exists(ctx, "{hll_counters}_empty-user-2026-48").Val(); n != 1 {
		t.Error("PFADD without members did not create the key")
	}
	got, err := s.Read(ctx, []store.Lookup{
		{Keys: []string{"{event_counters}_a-2026-48", "{event_counters}_b-2026-48", "{event_counters}_missing"}},
		{Keys: []string{"{event_sums}_a-operator:sum(value)-2026-48", "{event_counters}_a"}},
		{Keys: []string{"{hll_counters}_a-user-2026-48", "{hll_counters}_a-user-2026-47", "{hll_counters}_none"}, Unique: true},
		{Keys: []string{"{hll_counters}_a-user-2026-47"}, Unique: true},
		{},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{7, 7.5, 10, 5, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("lookup %d = %v, want %v", i, got[i], want[i])
		}
	}
}

func TestErrors(t *testing.T) {
	rdb := redistest.Client(t, 3)
	ctx := context.Background()
	s := New(rdb, Options{})
	rdb.Set(ctx, "{event_counters}_text", "abc", 0)
	rdb.PFAdd(ctx, "{hll_counters}_h", "1")
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"INCRBY on text", func() error {
			return s.Apply(ctx, &store.Batch{Incrs: []store.Incr{{Key: "{event_counters}_text", By: 1}}})
		}, "redisstore: apply 1 commands: incrby: ERR value is not an integer or out of range"},
		{"GET of text", func() error {
			_, err := s.Read(ctx, []store.Lookup{{Keys: []string{"{event_counters}_text"}}})
			return err
		}, `redisstore: read: key "{event_counters}_text" holds "abc", not a number`},
		{"PFCOUNT of a counter", func() error {
			_, err := s.Read(ctx, []store.Lookup{{Keys: []string{"{event_counters}_text"}, Unique: true}})
			return err
		}, "redisstore: read 1 lookups: pfcount: WRONGTYPE Key is not a valid HyperLogLog string value."},
	}
	for _, tt := range tests {
		err := tt.err()
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.want)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := s.Apply(cctx, &store.Batch{Incrs: []store.Incr{{Key: "x", By: 1}}}); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestHashTag(t *testing.T) {
	for key, want := range map[string]string{
		"{event_counters}_a-2024-07": "event_counters",
		"{hll_counters}_a-{x}":       "hll_counters",
		"plain":                      "plain",
		"{}_a":                       "{}_a",
		"a{b":                        "a{b",
		"a{b}c":                      "b",
	} {
		if got := hashTag(key); got != want {
			t.Errorf("hashTag(%q) = %q, want %q", key, got, want)
		}
	}
}

// countingHook records the commands the client sends and in how many
// round trips, leaving out the handshake of new connections.
type countingHook struct {
	trips int
	names []string
}

var handshake = map[string]bool{"hello": true, "select": true, "client": true, "auth": true, "ping": true}

func (h *countingHook) DialHook(next redis.DialHook) redis.DialHook { return next }
func (h *countingHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake[cmd.Name()] {
			h.trips++
			h.names = append(h.names, cmd.Name())
		}
		return next(ctx, cmd)
	}
}
func (h *countingHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		counted := false
		for _, c := range cmds {
			if !handshake[c.Name()] {
				h.names = append(h.names, c.Name())
				counted = true
			}
		}
		if counted {
			h.trips++
		}
		return next(ctx, cmds)
	}
}

// Read answers any number of lookups in one round trip: one MGET per hash
// tag for all counters, one PFCOUNT per unique lookup.
func TestReadIsOneRoundTrip(t *testing.T) {
	rdb := redistest.Client(t, 3)
	ctx := context.Background()
	rdb.Set(ctx, "{event_counters}_a-2026-47", 2, 0)
	rdb.Set(ctx, "{event_counters}_a-2026-48", 3, 0)
	rdb.Set(ctx, "{event_sums}_a-operator:sum(value)-2026-48", 1.5, 0)
	rdb.PFAdd(ctx, "{hll_counters}_a-user-2026-47", 1, 2)
	rdb.PFAdd(ctx, "{hll_counters}_a-user-2026-48", 2, 3)
	h := &countingHook{}
	rdb.AddHook(h)
	s := New(rdb, Options{})
	var lookups []store.Lookup
	for range 5 {
		lookups = append(lookups,
			store.Lookup{Keys: []string{"{event_counters}_a-2026-47", "{event_counters}_a-2026-48", "{event_sums}_a-operator:sum(value)-2026-48"}},
			store.Lookup{Keys: []string{"{hll_counters}_a-user-2026-47", "{hll_counters}_a-user-2026-48"}, Unique: true})
	}
	got, err := s.Read(ctx, lookups)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		want := 6.5
		if i%2 == 1 {
			want = 3
		}
		if v != want {
			t.Errorf("lookup %d = %v, want %v", i, v, want)
		}
	}
	mgets, pfcounts := 0, 0
	for _, n := range h.names {
		switch n {
		case "mget":
			mgets++
		case "pfcount":
			pfcounts++
		}
	}
	if h.trips != 1 || mgets != 2 || pfcounts != 5 {
		t.Errorf("%d round trips, %d MGET, %d PFCOUNT (%v); want 1, 2 (one per hash tag), 5", h.trips, mgets, pfcounts, h.names)
	}
}

// RedirectLogs catches what go-redis would print while Redis is away.
func TestRedirectLogs(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	RedirectLogs(func(msg string) {
		mu.Lock()
		lines = append(lines, msg)
		mu.Unlock()
	})
	defer RedirectLogs(nil)
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	defer c.Close()
	c.Ping(context.Background())
	mu.Lock()
	defer mu.Unlock()
	if len(lines) == 0 {
		t.Fatal("go-redis logged nothing through RedirectLogs")
	}
	if !strings.Contains(strings.Join(lines, "\n"), "127.0.0.1:1") {
		t.Errorf("lines %q do not name the address", lines)
	}
}
