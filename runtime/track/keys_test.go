package track

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
)

// wantKeys is what trackScript leaves in a store, key by key, in GitLab's
// layout. 2026 has an ISO week 53 (Dec 28 - Jan 3): 2027-01-02 counts in
// 2026-53 and 2027-01-04 in 2027-01.
var wantKeys = []struct {
	key    string
	get    string // GET, for counters
	count  int64  // PFCOUNT, for uniques
	weekly bool
}{
	{key: "{event_counters}_issue_created", get: "7"},
	{key: "{event_counters}_issue_created-2026-48", get: "4", weekly: true},
	{key: "{event_counters}_issue_created-2026-53", get: "2", weekly: true},
	{key: "{event_counters}_issue_created-2027-01", get: "1", weekly: true},
	{key: "{event_counters}_issue_created-filter:[label:bug]-2026-48", get: "2", weekly: true},
	{key: "{event_counters}_issue_created-filter:[label:bug]-2026-53", get: "1", weekly: true},
	{key: "{event_sums}_issue_created-operator:sum(value)", get: "5"},
	{key: "{event_sums}_issue_created-operator:sum(value)-2026-48", get: "4.5", weekly: true},
	{key: "{event_sums}_issue_created-operator:sum(value)-2026-53", get: "0.5", weekly: true},
	{key: "{hll_counters}_issue_created-label-2026-48", count: 2, weekly: true},
	{key: "{hll_counters}_issue_created-label-2026-53", count: 1, weekly: true},
	{key: "{hll_counters}_issue_created-project-2026-48", count: 2, weekly: true},
	{key: "{hll_counters}_issue_created-project-2026-53", count: 1, weekly: true},
	{key: "{hll_counters}_issue_created-project-2027-01", count: 1, weekly: true},
	{key: "{hll_counters}_issue_created-user-2026-48", count: 2, weekly: true},
	{key: "{hll_counters}_issue_created-user-2026-53", count: 1, weekly: true},
	{key: "{hll_counters}_issue_created-user-2027-01", count: 1, weekly: true},
	{key: "{hll_counters}_issue_created-value-2026-48", count: 2, weekly: true},
	{key: "{hll_counters}_issue_created-value-2026-53", count: 1, weekly: true},
}

// trackScript tracks seven events over three ISO weeks, flushing as it
// goes, on a pinned clock.
func trackScript(t *testing.T, tr *Tracker, c *clock) {
	t.Helper()
	ctx := context.Background()
	c.Set("2026-11-25T12:00:00Z") // Wednesday of 2026-W48
	trackIssue(ctx, tr, 1, 10, "bug", ptr(2.5))
	trackIssue(ctx, tr, 2, 10, "feature", ptr(1))
	trackIssue(ctx, tr, 1, 11, "bug", ptr(1)) // same user and value again
	trackIssue(ctx, tr, 0, 0, "", nil)        // anonymous: counts, adds no member
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	c.Set("2027-01-02T23:59:59Z") // Saturday, still 2026-W53
	trackIssue(ctx, tr, 3, 12, "bug", ptr(0.5))
	c.Set("2027-01-03T23:59:59Z") // Sunday, the last second of 2026-W53
	trackIssue(ctx, tr, 3, 12, "", nil)
	c.Set("2027-01-04T00:00:00Z") // Monday of 2027-W01
	trackIssue(ctx, tr, 4, 12, "", nil)
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
}

// checkKeys compares the store with wantKeys. Weekly keys must expire
// within six weeks, and no sooner than six weeks minus minusAge (the
// memstore runs on the test's clock, which moves on).
func checkKeys(t *testing.T, in inspector, minusAge time.Duration) {
	t.Helper()
	var names []string
	for _, w := range wantKeys {
		names = append(names, w.key)
		if w.get != "" {
			if got := in.get(w.key); got != w.get {
				t.Errorf("GET %s = %q, want %q", w.key, got, w.get)
			}
		} else if got := in.pfcount(w.key); got != w.count {
			t.Errorf("PFCOUNT %s = %d, want %d", w.key, got, w.count)
		}
		ttl := in.ttl(w.key)
		if w.weekly && (ttl < 6*7*24*time.Hour-minusAge || ttl > 6*7*24*time.Hour) {
			t.Errorf("TTL %s = %v, want six weeks", w.key, ttl)
		}
		if !w.weekly && ttl != -1 {
			t.Errorf("TTL %s = %v, want no expiry", w.key, ttl)
		}
	}
	if got := in.keys(); !slices.Equal(got, names) {
		t.Errorf("keys:\n got %q\nwant %q", got, names)
	}
}

func TestKeysMemstore(t *testing.T) {
	c := newClock("2026-11-25T12:00:00Z")
	ms := memstore.New(memstore.Options{Now: c.Now})
	tr := New(Options{Store: ms, Now: c.Now, FlushInterval: -1})
	trackScript(t, tr, c)
	checkKeys(t, memInspector{ms}, 40*24*time.Hour)
	if s := tr.Stats(); s.Tracked != 7 || s.Flushed != 7 || s.Dropped != 0 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestKeysRedis(t *testing.T) {
	rdb := redistest.Client(t, 1)
	c := newClock("2026-11-25T12:00:00Z")
	tr := New(Options{Store: redisstore.New(rdb, redisstore.Options{}), Now: c.Now, FlushInterval: -1})
	trackScript(t, tr, c)
	checkKeys(t, redisInspector{rdb}, time.Minute)
}

// The same keys through a Sentinel: the application gives the Sentinel's
// address and the master name, and the store works unchanged.
func TestKeysRedisSentinel(t *testing.T) {
	rdb := redistest.Sentinel(t)
	if _, ok := rdb.(*redis.Client); !ok {
		t.Fatalf("UniversalClient with MasterName is a %T, want a failover *redis.Client", rdb)
	}
	c := newClock("2026-11-25T12:00:00Z")
	tr := New(Options{Store: redisstore.New(rdb, redisstore.Options{}), Now: c.Now, FlushInterval: -1})
	trackScript(t, tr, c)
	checkKeys(t, redisInspector{rdb}, time.Minute)
}

func TestKeysRedisCluster(t *testing.T) {
	cc := redistest.Cluster(t)
	c := newClock("2026-11-25T12:00:00Z")
	st := redisstore.New(cc, redisstore.Options{})
	tr := New(Options{Store: st, Now: c.Now, FlushInterval: -1})
	trackScript(t, tr, c)
	checkKeys(t, redisInspector{cc}, time.Minute)
	// Each kind sits in one slot, so the engine's reads (one MGET per hash
	// tag, one PFCOUNT over many keys) work unchanged.
	got, err := st.Read(context.Background(), []store.Lookup{
		{Keys: []string{"{event_counters}_issue_created-2026-48", "{event_counters}_issue_created-2026-53", "{event_sums}_issue_created-operator:sum(value)-2026-48"}},
		{Keys: []string{"{hll_counters}_issue_created-user-2026-48", "{hll_counters}_issue_created-user-2026-53", "{hll_counters}_issue_created-user-2027-01"}, Unique: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{4 + 2 + 4.5, 4}; !slices.Equal(got, want) {
		t.Errorf("cluster read %v, want %v", got, want)
	}
}

// The expiry is sent with the first write of a weekly key only, and never
// with all-time keys; increments of one key between flushes become one
// INCRBY, and the members of one key one PFADD without repeats.
func TestAggregationAndExpireOnce(t *testing.T) {
	c := newClock("2026-11-25T12:00:00Z")
	rec := &recorder{Store: memstore.New(memstore.Options{Now: c.Now})}
	tr := New(Options{Store: rec, Now: c.Now, FlushInterval: -1})
	ctx := context.Background()
	for round := range 2 {
		for i := range 1000 {
			trackIssue(ctx, tr, event.UserID(i%10+1), 7, "", nil)
		}
		if err := tr.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		b := rec.batches[round]
		if len(b.Incrs) != 2 || len(b.Adds) != 2 {
			t.Fatalf("round %d: %d incrs, %d adds, want 2 and 2: %+v", round, len(b.Incrs), len(b.Adds), b)
		}
		for _, in := range b.Incrs {
			if in.By != 1000 {
				t.Errorf("round %d: INCRBY %s %v, want 1000", round, in.Key, in.By)
			}
			weekly := in.Key != "{event_counters}_issue_created"
			if want := weekly && round == 0; (in.Expire != 0) != want {
				t.Errorf("round %d: %s expire %v, want set=%v", round, in.Key, in.Expire, want)
			}
		}
		for _, a := range b.Adds {
			want := []string{"7"}
			if a.Key == "{hll_counters}_issue_created-user-2026-48" {
				want = []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}
			}
			got := slices.Clone(a.Members)
			slices.SortFunc(got, func(a, b string) int {
				x, _ := strconv.Atoi(a)
				y, _ := strconv.Atoi(b)
				return x - y
			})
			if !slices.Equal(got, want) {
				t.Errorf("round %d: PFADD %s %v, want %v", round, a.Key, got, want)
			}
			if (a.Expire != 0) != (round == 0) {
				t.Errorf("round %d: %s expire %v", round, a.Key, a.Expire)
			}
		}
	}
}
