package warehouse_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/internal/testservers"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

func TestMain(m *testing.M) { testservers.Main(m, testservers.Postgres) }

// received is the warehouse's clock in these tests.
var received = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// open returns a fresh warehouse of each dialect.
func open(t *testing.T) map[string]*warehouse.Warehouse {
	t.Helper()
	return warehousetest.Open(t, warehouse.Options{Now: func() time.Time { return received }})
}

func TestOpenRejects(t *testing.T) {
	for _, dsn := range []string{"", "mysql://x", "sqlite:", "/tmp/w.db"} {
		_, err := warehouse.Open(context.Background(), dsn, warehouse.Options{})
		if !errors.Is(err, warehouse.ErrDSN) {
			t.Errorf("Open(%q): %v, want ErrDSN", dsn, err)
		}
	}
}

const pingA = `{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "version": "2.3.0", "hostname": "forge.example.com",
 "license_plan": "premium", "active_user_count": 42, "counts": {"issues": 60, "sum": 150.5, "failed": -1},
 "settings": {"registry_enabled": true, "adapter": "postgresql", "categories": ["standard"]}}`

func TestStorePing(t *testing.T) {
	ctx := context.Background()
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			st, err := w.StorePing(ctx, warehouse.Ping{Payload: []byte(pingA), Problems: []string{"counts.failed: -1 is a failure"}})
			if err != nil || st.Duplicate || st.Values != 5 || st.UUID != "a1" {
				t.Fatalf("StorePing = %+v, %v", st, err)
			}
			again, err := w.StorePing(ctx, warehouse.Ping{Payload: []byte(pingA)})
			if err != nil || !again.Duplicate {
				t.Errorf("the same ping again: %+v, %v; want a duplicate", again, err)
			}
			var got []string
			rows, err := w.DB().QueryContext(ctx, `SELECT key_path, value FROM metric_values ORDER BY key_path`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				var v float64
				rows.Scan(&k, &v)
				got = append(got, fmt.Sprintf("%s=%g", k, v))
			}
			rows.Close()
			want := "active_user_count=42 counts.failed=-1 counts.issues=60 counts.sum=150.5 settings.registry_enabled=1"
			if strings.Join(got, " ") != want {
				t.Errorf("values %v\nwant %s", got, want)
			}
			var host, version, edition, week string
			if err := w.DB().QueryRowContext(ctx, `SELECT i.hostname, i.version, i.edition, p.week FROM instances i JOIN pings p ON p.uuid = i.uuid`).
				Scan(&host, &version, &edition, &week); err != nil {
				t.Fatal(err)
			}
			if host != "forge.example.com" || version != "2.3.0" || edition != "premium" || week != "2026-W48" {
				t.Errorf("instance %s %s %s, week %s", host, version, edition, week)
			}
		})
	}
}

func TestStorePingRejects(t *testing.T) {
	ctx := context.Background()
	for name, w := range open(t) {
		for _, tt := range []struct{ payload, want string }{
			{`[]`, "warehouse: bad ping: the payload is not a JSON object"},
			{`{"recorded_at": "2026-11-25T12:00:00Z"}`, "warehouse: bad ping: uuid: want the instance's UUID, a string"},
			{`{"uuid": "a", "recorded_at": "yesterday"}`, `warehouse: bad ping: recorded_at "yesterday": want an RFC 3339 time`},
		} {
			_, err := w.StorePing(ctx, warehouse.Ping{Payload: []byte(tt.payload)})
			if !errors.Is(err, warehouse.ErrBadPing) || err.Error() != tt.want {
				t.Errorf("%s: %s: %v\nwant %s", name, tt.payload, err, tt.want)
			}
		}
		var n int
		w.DB().QueryRowContext(ctx, `SELECT count(*) FROM pings`).Scan(&n)
		if n != 0 {
			t.Errorf("%s: %d pings stored from bad input", name, n)
		}
	}
}

func TestMetadataAndErrors(t *testing.T) {
	ctx := context.Background()
	meta := `{"metadata": {"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "metrics": [{"name": "counts.failed", "time_elapsed": 0.1, "error": "boom"}]}}`
	for name, w := range open(t) {
		fresh, err := w.StoreMetadata(ctx, []byte(meta))
		again, err2 := w.StoreMetadata(ctx, []byte(meta))
		if !fresh || again || err != nil || err2 != nil {
			t.Errorf("%s: metadata: %v %v, %v %v", name, fresh, err, again, err2)
		}
		if _, err := w.StoreMetadata(ctx, []byte(`{"uuid": "a1"}`)); !errors.Is(err, warehouse.ErrBadPing) {
			t.Errorf("%s: metadata without its object: %v", name, err)
		}
		if err := w.StoreErrorReport(ctx, warehouse.ErrorReport{UUID: "a1", RecordedAt: "2026-11-25T12:00:00Z", Message: "503"}); err != nil {
			t.Errorf("%s: error report: %v", name, err)
		}
	}
}

// rec is a record for the metric tests.
func rec(id int, at time.Time, ev, user string, props string) warehouse.Record {
	return warehouse.Record{
		ID:          fmt.Sprintf("0190a6b8-0000-7000-8000-%012d", id),
		OccurredAt:  at,
		Event:       ev,
		Identifiers: warehouse.Identifiers{User: user, Project: "p1"},
		Properties:  []byte(props),
	}
}

// week returns Wednesday noon of the ISO week offset weeks from 2026-W48.
func week(offset int) time.Time {
	return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).AddDate(0, 0, 7*offset)
}

func TestStoreRecordsOnce(t *testing.T) {
	ctx := context.Background()
	for name, w := range open(t) {
		rs := []warehouse.Record{rec(1, week(-1), "a", "u1", `{}`), rec(2, week(-5), "a", "u2", `{"label": "x"}`)}
		n, err := w.StoreRecords(ctx, rs)
		if err != nil || n != 2 {
			t.Fatalf("%s: StoreRecords = %d, %v", name, n, err)
		}
		n, err = w.StoreRecords(ctx, append(rs, rec(3, week(-1), "a", "u3", `{}`)))
		if err != nil || n != 1 {
			t.Errorf("%s: the batch again with one new record: %d new, %v", name, n, err)
		}
		var count int
		w.DB().QueryRowContext(ctx, `SELECT count(*) FROM records`).Scan(&count)
		if count != 3 {
			t.Errorf("%s: %d records stored, want 3", name, count)
		}
	}
}

func TestParseRecordsRejects(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{`{}`, "warehouse: bad record: the batch is not a JSON array of records: json: cannot unmarshal object into Go value of type []warehouse.Record"},
		{`[{"id": "x", "occurred_at": "2026-11-25T12:00:00Z", "event": "a"}]`, `warehouse: bad record: records[0]: id "x": want a UUID`},
		{`[{"id": "0190a6b8-0000-7000-8000-000000000001", "event": "a"}]`, "warehouse: bad record: records[0]: occurred_at: want an RFC 3339 time"},
		{`[{"id": "0190a6b8-0000-7000-8000-000000000001", "occurred_at": "2026-11-25T12:00:00Z"}]`, "warehouse: bad record: records[0]: event: want the event's action"},
		{`[{"id": "0190a6b8-0000-7000-8000-000000000001", "occurred_at": "2026-11-25T12:00:00Z", "event": "a", "properties": [1]}]`,
			"warehouse: bad record: records[0]: properties: want a JSON object"},
		{`[{"id": "0190a6b8-0000-7000-8000-000000000001", "occurred_at": "2026-11-25T12:00:00Z", "event": "a", "identifiers": {"user": true}}]`,
			"warehouse: bad record: the batch is not a JSON array of records: identifiers.user: want a string or a number"},
	} {
		_, err := warehouse.ParseRecords([]byte(tt.body))
		if !errors.Is(err, warehouse.ErrBadRecord) || err.Error() != tt.want {
			t.Errorf("%s:\n got %v\nwant %s", tt.body, err, tt.want)
		}
	}
}

// TestEventMetrics computes metrics of every kind from records, on both
// databases, against counts worked out by hand.
func TestEventMetrics(t *testing.T) {
	ctx := context.Background()
	now := week(0) // 2026-W48: 7d is W47, 28d W44..W47
	rs := []warehouse.Record{
		rec(1, week(-1), "create_issue", "u1", `{"label": "bug", "confidential": true, "weight": 3, "value": 2.5}`),
		rec(2, week(-1), "create_issue", "u2", `{"label": "bug", "confidential": false, "weight": 1, "value": 1}`),
		rec(3, week(-2), "create_issue", "u1", `{"label": "feature", "confidential": true, "plan": "30", "value": 4}`),
		rec(4, week(-4), "create_issue", "u3", `{"label": "bug", "plan": 30}`),
		rec(5, week(-5), "create_issue", "u4", `{"label": "bug"}`), // before the 28 days
		rec(6, week(0), "create_issue", "u5", `{"label": "bug"}`),  // this week: all time only
		rec(7, week(-1), "close_issue", "u6", `{"label": "bug"}`),
	}
	ev := func(name string, u event.Unique, f ...event.FilterTerm) metric.EventRule {
		return metric.EventRule{Event: name, Unique: u, Filter: event.NewFilter(f...)}
	}
	bug := event.FilterTerm{Property: "label", Value: "bug"}
	conf := event.FilterTerm{Property: "confidential", Value: "true"}
	d := func(key string, tf metric.TimeFrame, rules ...metric.EventRule) *metric.Descriptor {
		return &metric.Descriptor{KeyPath: key, TimeFrame: tf, DataSource: "internal_events", Events: rules}
	}
	ds := []*metric.Descriptor{
		d("total_7d", metric.Weekly, ev("create_issue", 0)),
		d("total_28d", metric.Monthly, ev("create_issue", 0)),
		d("total_all", metric.AllTime, ev("create_issue", 0)),
		d("bugs_28d", metric.Monthly, ev("create_issue", 0, bug)),
		d("confidential_all", metric.AllTime, ev("create_issue", 0, conf)),
		d("confidential_bugs_all", metric.AllTime, ev("create_issue", 0, bug, conf)),
		d("weight_3_all", metric.AllTime, ev("create_issue", 0, event.FilterTerm{Property: "weight", Value: "3"})),
		d("plan_30_all", metric.AllTime, ev("create_issue", 0, event.FilterTerm{Property: "plan", Value: "30"})),
		d("both_7d", metric.Weekly, ev("create_issue", 0), ev("close_issue", 0)),
		d("sum_28d", metric.Monthly, metric.EventRule{Event: "create_issue", Operator: metric.SumValue}),
		d("users_28d", metric.Monthly, ev("create_issue", event.UniqueUser)),
		d("users_either_7d", metric.Weekly, ev("create_issue", event.UniqueUser), ev("close_issue", event.UniqueUser)),
		d("labels_28d", metric.Monthly, ev("create_issue", event.UniqueLabel)),
		d("projects_7d", metric.Weekly, ev("create_issue", event.UniqueProject)),
		d("none", metric.None, ev("create_issue", 0)),
		{KeyPath: "database", DataSource: "database", TimeFrame: metric.AllTime},
	}
	want := map[string]string{
		"total_7d": "2", "total_28d": "4", "total_all": "6", "bugs_28d": "3", "confidential_all": "2",
		"confidential_bugs_all": "1", "weight_3_all": "1", "plan_30_all": "2", "both_7d": "3", "sum_28d": "7.5",
		"users_28d": "3", "users_either_7d": "3", "labels_28d": "2", "projects_7d": "1",
		"none":     `none: metric: cannot read metric from the store: time frame "none" counts no events`,
		"database": "database: warehouse: not an event metric (data_source database)",
	}
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := w.StoreRecords(ctx, rs); err != nil {
				t.Fatal(err)
			}
			for _, r := range w.EventMetrics(ctx, ds, now) {
				got := fmt.Sprint(r.Value)
				if r.Err != nil {
					got = r.Err.Error()
				}
				if got != want[r.KeyPath] {
					t.Errorf("%s = %s, want %s", r.KeyPath, got, want[r.KeyPath])
				}
			}
		})
	}
}

// TestStoreComputedPing: the SaaS instance's event metrics, computed from
// its records, are stored as its weekly ping beside the others, once a
// week.
func TestStoreComputedPing(t *testing.T) {
	ctx := context.Background()
	ds := []*metric.Descriptor{
		{KeyPath: "counts.issues_weekly", TimeFrame: metric.Weekly, DataSource: "internal_events", Status: metric.Active,
			Events: []metric.EventRule{{Event: "create_issue"}}},
		{KeyPath: "redis_hll_counters.users_monthly", TimeFrame: metric.Monthly, DataSource: "internal_events", Status: metric.Active,
			Events: []metric.EventRule{{Event: "create_issue", Unique: event.UniqueUser}}},
		{KeyPath: "counts.removed", TimeFrame: metric.Weekly, DataSource: "internal_events", Status: metric.Removed,
			Events: []metric.EventRule{{Event: "create_issue"}}},
		{KeyPath: "license_plan", TimeFrame: metric.None, DataSource: "license", Application: true},
	}
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := w.StoreRecords(ctx, []warehouse.Record{
				rec(1, week(-1), "create_issue", "u1", `{}`), rec(2, week(-1), "create_issue", "u2", `{}`), rec(3, week(-3), "create_issue", "u1", `{}`),
			}); err != nil {
				t.Fatal(err)
			}
			st, err := w.StoreComputedPing(ctx, "saas", "18.0", ds, week(0))
			if err != nil || st.Duplicate || st.Values != 2 || !st.RecordedAt.Equal(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("StoreComputedPing = %+v, %v", st, err)
			}
			again, err := w.StoreComputedPing(ctx, "saas", "18.0", ds, week(0).Add(time.Hour))
			if err != nil || !again.Duplicate {
				t.Errorf("the same week again: %+v, %v", again, err)
			}
			var got []string
			rows, _ := w.DB().QueryContext(ctx, `SELECT key_path, value FROM metric_values JOIN pings ON pings.id = ping_id
				WHERE pings.uuid = 'saas' AND pings.source = 'warehouse' ORDER BY key_path`)
			for rows.Next() {
				var k string
				var v float64
				rows.Scan(&k, &v)
				got = append(got, fmt.Sprintf("%s=%g", k, v))
			}
			rows.Close()
			if want := "counts.issues_weekly=2 redis_hll_counters.users_monthly=2"; strings.Join(got, " ") != want {
				t.Errorf("stored %v, want %s", got, want)
			}
		})
	}
}
