package metric_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
)

// redisDB is this package's Redis database.
const redisDB = 6

// at returns noon UTC of an ISO week's Wednesday.
func at(year, week int) time.Time {
	return keys.Week{Year: year, Week: week}.Monday().Add(2*24*time.Hour + 12*time.Hour)
}

// write stores what a tracker would have written for a user doing event in
// the week containing t, with filtered and sum keys as given.
type write struct {
	event  string
	when   time.Time
	user   string
	filter event.Filter
	value  float64
}

func apply(t *testing.T, s store.Store, ws ...write) {
	t.Helper()
	var b store.Batch
	for _, w := range ws {
		sfx := keys.WeekOf(w.when).Suffix()
		b.Incrs = append(b.Incrs,
			store.Incr{Key: keys.Counter(w.event, nil), By: 1},
			store.Incr{Key: keys.Counter(w.event, nil) + sfx, By: 1, Expire: keys.WeeklyExpiry},
			store.Incr{Key: keys.Sum(w.event, nil) + sfx, By: w.value, Float: true, Expire: keys.WeeklyExpiry},
			store.Incr{Key: keys.Sum(w.event, nil), By: w.value, Float: true},
		)
		b.Adds = append(b.Adds, store.Add{Key: keys.Unique(w.event, nil, event.UniqueUser) + sfx, Members: []string{w.user}, Expire: keys.WeeklyExpiry})
		if w.filter != nil {
			b.Incrs = append(b.Incrs,
				store.Incr{Key: keys.Counter(w.event, w.filter), By: 1},
				store.Incr{Key: keys.Counter(w.event, w.filter) + sfx, By: 1, Expire: keys.WeeklyExpiry})
			b.Adds = append(b.Adds, store.Add{Key: keys.Unique(w.event, w.filter, event.UniqueUser) + sfx, Members: []string{w.user}, Expire: keys.WeeklyExpiry})
		}
	}
	if err := s.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
}

// countingStore counts Read calls, to check that a ping reads in one batch.
type countingStore struct {
	store.Store
	reads atomic.Int32
}

func (c *countingStore) Read(ctx context.Context, l []store.Lookup) ([]float64, error) {
	c.reads.Add(1)
	return c.Store.Read(ctx, l)
}

func ev(name string, unique event.Unique, filter ...event.FilterTerm) metric.EventRule {
	return metric.EventRule{Event: name, Unique: unique, Filter: event.NewFilter(filter...)}
}

func TestEventMetricsAcrossISOYear(t *testing.T) {
	rs := redisstore.New(redistest.Client(t, redisDB), redisstore.Options{})
	s := &countingStore{Store: rs}
	// 2020 has 53 ISO weeks; "now" is in 2021-W02, so 28d covers 2020-W51,
	// 2020-W52, 2020-W53 and 2021-W01, and 7d covers 2021-W01.
	now := at(2021, 2)
	mobile := event.Filter{{Property: "label", Value: "mobile"}}
	apply(t, s,
		write{event: "issue_created", when: at(2020, 53), user: "1", value: 2, filter: mobile},
		write{event: "issue_created", when: at(2021, 1), user: "1", value: 3},
		write{event: "issue_created", when: at(2021, 1), user: "2", value: 0.5, filter: mobile},
		write{event: "issue_created", when: at(2020, 51), user: "3", value: 1},
		write{event: "issue_created", when: at(2020, 50), user: "4", value: 100}, // before the window
		write{event: "issue_created", when: now, user: "5", value: 100},          // current week
		write{event: "issue_closed", when: at(2020, 52), user: "1", value: 1},
		write{event: "issue_closed", when: at(2020, 52), user: "6", value: 1},
	)
	e := metric.NewEngine(metric.EngineOptions{Store: s, Now: func() time.Time { return now }})
	mob := event.FilterTerm{Property: "label", Value: "mobile"}
	ds := []*metric.Descriptor{
		{KeyPath: "users_28d", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueUser)}},
		{KeyPath: "users_7d", TimeFrame: metric.Weekly, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueUser)}},
		{KeyPath: "users_either_28d", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueUser), ev("issue_closed", event.UniqueUser)}},
		{KeyPath: "users_mobile_28d", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueUser, mob)}},
		{KeyPath: "total_28d", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueNone)}},
		{KeyPath: "total_7d", TimeFrame: metric.Weekly, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueNone)}},
		{KeyPath: "total_both_28d", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueNone), ev("issue_closed", event.UniqueNone)}},
		{KeyPath: "total_mobile_28d", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueNone, mob)}},
		{KeyPath: "total_all", TimeFrame: metric.AllTime, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueNone)}},
		{KeyPath: "total_mobile_all", TimeFrame: metric.AllTime, DataSource: "internal_events", Events: []metric.EventRule{ev("issue_created", event.UniqueNone, mob)}},
		{KeyPath: "sum_28d", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{{Event: "issue_created", Operator: metric.SumValue}}},
		{KeyPath: "sum_all", TimeFrame: metric.AllTime, DataSource: "internal_events", Events: []metric.EventRule{{Event: "issue_created", Operator: metric.SumValue}}},
		{KeyPath: "nothing_7d", TimeFrame: metric.Weekly, DataSource: "internal_events", Events: []metric.EventRule{ev("never_happened", event.UniqueUser)}},
	}
	want := map[string]any{
		"users_28d":        int64(3), // 1 (weeks 53 and 1, once), 2, 3
		"users_7d":         int64(2), // 1, 2
		"users_either_28d": int64(4), // 1, 2, 3, 6
		"users_mobile_28d": int64(2),
		"total_28d":        int64(4),
		"total_7d":         int64(2),
		"total_both_28d":   int64(6),
		"total_mobile_28d": int64(2),
		"total_all":        int64(6),
		"total_mobile_all": int64(2),
		"sum_28d":          6.5,
		"sum_all":          206.5,
		"nothing_7d":       int64(0),
	}
	res := e.Compute(context.Background(), ds)
	for _, r := range res {
		if r.Err != nil {
			t.Errorf("%s: %v", r.KeyPath, r.Err)
			continue
		}
		if r.Value != want[r.KeyPath] {
			t.Errorf("%s = %v (%T), want %v (%T)", r.KeyPath, r.Value, r.Value, want[r.KeyPath], want[r.KeyPath])
		}
	}
	if n := s.reads.Load(); n != 1 {
		t.Errorf("%d store reads for one Compute, want 1", n)
	}
	// Value is Compute of one.
	if v, err := e.Value(context.Background(), ds[0]); err != nil || v != int64(3) {
		t.Errorf("Value = %v, %v; want 3", v, err)
	}
}

func TestWindowAtYearStart(t *testing.T) {
	// 2026-01-01 is a Thursday: ISO 2026-W01 starts on 2025-12-29.
	now := time.Date(2026, 1, 7, 9, 0, 0, 0, time.UTC) // 2026-W02
	l, err := metric.Lookup(&metric.Descriptor{KeyPath: "k", TimeFrame: metric.Monthly, DataSource: "internal_events",
		Events: []metric.EventRule{ev("a", event.UniqueProject), ev("b", event.UniqueProject)}}, now)
	if err != nil {
		t.Fatal(err)
	}
	want := "{hll_counters}_a-project-2025-50 {hll_counters}_a-project-2025-51 {hll_counters}_a-project-2025-52 {hll_counters}_a-project-2026-01 " +
		"{hll_counters}_b-project-2025-50 {hll_counters}_b-project-2025-51 {hll_counters}_b-project-2025-52 {hll_counters}_b-project-2026-01"
	if got := strings.Join(l.Keys, " "); got != want || !l.Unique {
		t.Errorf("keys %q (unique %v),\nwant %q", got, l.Unique, want)
	}
}

func TestLookupRejects(t *testing.T) {
	now := at(2026, 48)
	tests := []struct {
		d    metric.Descriptor
		want string
	}{
		{metric.Descriptor{KeyPath: "a", TimeFrame: "all", DataSource: "internal_events", Events: []metric.EventRule{ev("e", event.UniqueUser)}},
			"a: metric: cannot read metric from the store: unique count over time frame all"},
		{metric.Descriptor{KeyPath: "b", TimeFrame: "28d", DataSource: "internal_events", Events: []metric.EventRule{ev("e", event.UniqueUser), ev("f", event.UniqueNone)}},
			"b: metric: cannot read metric from the store: unique and total rules mixed"},
		{metric.Descriptor{KeyPath: "c", TimeFrame: "none", DataSource: "internal_events", Events: []metric.EventRule{ev("e", event.UniqueNone)}},
			`c: metric: cannot read metric from the store: time frame "none" counts no events (want 7d, 28d or all)`},
		{metric.Descriptor{KeyPath: "d", TimeFrame: "7d", DataSource: "internal_events", Events: []metric.EventRule{{Event: "e", Operator: "max(value)"}}},
			`d: metric: cannot read metric from the store: operator "max(value)"`},
		{metric.Descriptor{KeyPath: "e", TimeFrame: "7d", DataSource: "internal_events"},
			"e: metric: cannot read metric from the store: no events"},
		{metric.Descriptor{KeyPath: "f", TimeFrame: "7d", DataSource: "redis_hll"},
			"f: metric: cannot read metric from the store: redis_hll needs options.events"},
		{metric.Descriptor{KeyPath: "g", TimeFrame: "all", DataSource: "redis_hll", Options: map[string]any{"events": []any{"x"}}},
			"g: metric: cannot read metric from the store: redis_hll needs time frame 7d or 28d"},
		{metric.Descriptor{KeyPath: "h", TimeFrame: "all", DataSource: "redis"},
			"h: metric: cannot read metric from the store: redis needs options.event"},
	}
	for _, tt := range tests {
		_, err := metric.Lookup(&tt.d, now)
		if err == nil || err.Error() != tt.want || !errors.Is(err, metric.ErrBadMetric) {
			t.Errorf("%s: got %v\nwant %s", tt.d.KeyPath, err, tt.want)
		}
	}
}

func TestLegacyRedisMetrics(t *testing.T) {
	rdb := redistest.Client(t, redisDB)
	ctx := context.Background()
	now := at(2026, 48)
	rdb.Set(ctx, "USAGE_WEB_IDE_COMMITS", "42", 0)
	rdb.PFAdd(ctx, "{hll_counters}_i_search_total-2026-47", "1", "2")
	rdb.PFAdd(ctx, "{hll_counters}_i_search_advanced-2026-46", "2", "3")
	rdb.PFAdd(ctx, "{hll_counters}_i_search_advanced-2026-48", "9") // current week
	e := metric.NewEngine(metric.EngineOptions{Store: redisstore.New(rdb, redisstore.Options{}), Now: func() time.Time { return now }})
	res := e.Compute(ctx, []*metric.Descriptor{
		{KeyPath: "web_ide_commits", TimeFrame: "all", DataSource: "redis", Options: map[string]any{"event": "commits", "prefix": "web_ide"}},
		{KeyPath: "search_users", TimeFrame: "28d", DataSource: "redis_hll", Options: map[string]any{"events": []any{"i_search_total", "i_search_advanced"}}},
	})
	if res[0].Err != nil || res[0].Value != int64(42) {
		t.Errorf("redis: %v, %v", res[0].Value, res[0].Err)
	}
	if res[1].Err != nil || res[1].Value != int64(3) {
		t.Errorf("redis_hll: %v, %v", res[1].Value, res[1].Err)
	}
}

func TestApplicationMetricsFailAlone(t *testing.T) {
	rdb := redistest.Client(t, redisDB)
	e := metric.NewEngine(metric.EngineOptions{
		Store:   redisstore.New(rdb, redisstore.Options{}),
		Now:     func() time.Time { return at(2026, 48) },
		Timeout: 500 * time.Millisecond,
	})
	boom := errors.New("license server unreachable")
	released := make(chan struct{})
	defer close(released)
	ds := []*metric.Descriptor{
		{KeyPath: "version", TimeFrame: "none", DataSource: "system", Value: func(context.Context) (any, error) { return "1.2.3", nil }},
		{KeyPath: "license", TimeFrame: "none", DataSource: "license", Value: func(context.Context) (any, error) { return nil, boom }},
		{KeyPath: "hangs", TimeFrame: "none", DataSource: "system", Value: func(context.Context) (any, error) { <-released; return 1, nil }},
		{KeyPath: "panics", TimeFrame: "none", DataSource: "system", Value: func(context.Context) (any, error) { panic("nil map") }},
		{KeyPath: "orphan", TimeFrame: "none", DataSource: "prometheus"},
		{KeyPath: "class", TimeFrame: "all", DataSource: "redis", InstrumentationClass: "CountCommitsMetric", Application: true},
		{KeyPath: "db", TimeFrame: "all", DataSource: "database", Database: &dbcount.Query{Operation: "count", Table: "t"}},
		{KeyPath: "events", TimeFrame: "7d", DataSource: "internal_events", Events: []metric.EventRule{ev("e", event.UniqueNone)}},
	}
	res := e.Compute(context.Background(), ds)
	check := func(i int, value any, is error, msg string) {
		t.Helper()
		r := res[i]
		if r.KeyPath != ds[i].KeyPath || r.Value != value || !errors.Is(r.Err, is) || (r.Err != nil && !strings.HasPrefix(r.Err.Error(), msg)) {
			t.Errorf("%s: got %v, %v; want %v, %v (%q)", ds[i].KeyPath, r.Value, r.Err, value, is, msg)
		}
	}
	check(0, "1.2.3", nil, "")
	check(1, nil, boom, "license: license server unreachable")
	check(2, nil, metric.ErrTimeout, "hangs: metric: timed out after 500ms")
	check(3, nil, metric.ErrPanic, "panics: metric: panicked: nil map")
	check(4, nil, metric.ErrNoSource, "orphan: metric: no way to compute the metric (data_source prometheus)")
	check(5, nil, metric.ErrNoSource, "class: metric: no way to compute the metric: the application computes it (instrumentation_class CountCommitsMetric)")
	check(6, nil, metric.ErrNoDatabase, "db: metric: no database configured")
	check(7, int64(0), nil, "")
	if res[2].Elapsed < 500*time.Millisecond {
		t.Errorf("hanging metric elapsed %v, want at least the timeout", res[2].Elapsed)
	}
	// Without a store, event metrics fail and the rest still compute.
	res = metric.NewEngine(metric.EngineOptions{}).Compute(context.Background(), ds[:1:1])
	if res[0].Value != "1.2.3" {
		t.Errorf("no store: %v", res[0])
	}
	if _, err := metric.NewEngine(metric.EngineOptions{}).Value(context.Background(), ds[7]); !errors.Is(err, metric.ErrNoStore) {
		t.Errorf("no store: %v", err)
	}
}

// failingStore stands for Redis being down.
type failingStore struct{ store.Store }

func (failingStore) Read(context.Context, []store.Lookup) ([]float64, error) {
	return nil, errors.New("dial tcp 127.0.0.1:1: connection refused")
}

func TestStoreFailureFailsOnlyEventMetrics(t *testing.T) {
	e := metric.NewEngine(metric.EngineOptions{Store: failingStore{}})
	res := e.Compute(context.Background(), []*metric.Descriptor{
		{KeyPath: "a", TimeFrame: "7d", DataSource: "internal_events", Events: []metric.EventRule{ev("e", event.UniqueNone)}},
		{KeyPath: "b", TimeFrame: "none", DataSource: "system", Value: func(context.Context) (any, error) { return true, nil }},
	})
	if res[0].Err == nil || res[0].Err.Error() != "a: reading the store: dial tcp 127.0.0.1:1: connection refused" {
		t.Errorf("a: %v", res[0].Err)
	}
	if res[1].Value != true {
		t.Errorf("b: %v", res[1])
	}
}

func TestDatabaseMetricWindows(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if _, err := db.Exec(`CREATE TABLE projects (id integer PRIMARY KEY, creator_id integer, created_at timestamp)`); err != nil {
		t.Fatal(err)
	}
	// One project a day for 40 days back from now, creators 1..5.
	for i := range 40 {
		if _, err := db.Exec(`INSERT INTO projects VALUES (?, ?, ?)`, i+1, i%5+1, now.Add(-time.Duration(i)*24*time.Hour-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	e := metric.NewEngine(metric.EngineOptions{DB: db, Now: func() time.Time { return now }})
	d := func(tf metric.TimeFrame, op dbcount.Operation, col string) *metric.Descriptor {
		return &metric.Descriptor{KeyPath: "p", TimeFrame: tf, DataSource: "database", Database: &dbcount.Query{Operation: op, Table: "projects", Column: col}}
	}
	// Days ago of the rows: i + 1h. 28d takes [30d, 2d) ago: i = 2..29, 28
	// rows. 7d takes [9d, 2d): i = 2..8, 7 rows.
	for _, tt := range []struct {
		d    *metric.Descriptor
		want any
	}{
		{d("all", "count", ""), int64(40)},
		{d("28d", "count", ""), int64(28)},
		{d("7d", "count", ""), int64(7)},
		{d("7d", "distinct_count", "creator_id"), int64(5)},
		{d("28d", "sum", "creator_id"), float64(87)}, // creators 3,4,5,1,2 five times, then 3,4,5
	} {
		v, err := e.Value(context.Background(), tt.d)
		if err != nil || v != tt.want {
			t.Errorf("%s %s %s = %v (%T), %v; want %v", tt.d.TimeFrame, tt.d.Database.Operation, tt.d.Database.Column, v, v, err, tt.want)
		}
	}
}

func TestUserInWeeksOneAndTwoCountsOnce(t *testing.T) {
	s := redisstore.New(redistest.Client(t, redisDB), redisstore.Options{})
	// Now is in 2027-W03: 28d covers 2026-W52, 2026-W53, 2027-W01 and
	// 2027-W02 (2026 has 53 ISO weeks), 7d covers 2027-W02.
	now := at(2027, 3)
	apply(t, s,
		write{event: "push", when: at(2027, 1), user: "1"},
		write{event: "push", when: at(2027, 2), user: "1"},
		write{event: "push", when: at(2026, 53), user: "2"},
		write{event: "push", when: now, user: "3"}, // the current week never counts
	)
	e := metric.NewEngine(metric.EngineOptions{Store: s, Now: func() time.Time { return now }})
	res := e.Compute(context.Background(), []*metric.Descriptor{
		{KeyPath: "m", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{ev("push", event.UniqueUser)}},
		{KeyPath: "w", TimeFrame: metric.Weekly, DataSource: "internal_events", Events: []metric.EventRule{ev("push", event.UniqueUser)}},
		{KeyPath: "t", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{ev("push", event.UniqueNone)}},
	})
	for i, want := range []int64{2, 1, 3} {
		if res[i].Err != nil || res[i].Value != want {
			t.Errorf("%s = %v, %v; want %d", res[i].KeyPath, res[i].Value, res[i].Err, want)
		}
	}
}

func TestWorkers(t *testing.T) {
	// Two metrics that each wait for the other finish only when they run
	// at the same time.
	a, b := make(chan struct{}), make(chan struct{})
	meet := func(mine, theirs chan struct{}) metric.ValueFunc {
		return func(ctx context.Context) (any, error) {
			close(mine)
			select {
			case <-theirs:
				return "met", nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	ds := []*metric.Descriptor{
		{KeyPath: "a", DataSource: "system", Value: meet(a, b)},
		{KeyPath: "b", DataSource: "system", Value: meet(b, a)},
	}
	res := metric.NewEngine(metric.EngineOptions{Workers: 2, Timeout: 10 * time.Second}).Compute(context.Background(), ds)
	if res[0].Value != "met" || res[1].Value != "met" {
		t.Errorf("with two workers: %+v", res)
	}
	// One at a time (the default), the first times out waiting.
	a, b = make(chan struct{}), make(chan struct{})
	ds[0].Value, ds[1].Value = meet(a, b), meet(b, a)
	res = metric.NewEngine(metric.EngineOptions{Timeout: 100 * time.Millisecond}).Compute(context.Background(), ds)
	if !errors.Is(res[0].Err, metric.ErrTimeout) || res[1].Value != "met" {
		t.Errorf("with one worker: %+v", res)
	}
}
