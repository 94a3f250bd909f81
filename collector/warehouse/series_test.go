package warehouse_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/warehouse"
)

// fillSeries stores warehousetest.SmallPings, the dataset the series
// tests read.
func fillSeries(t *testing.T, w *warehouse.Warehouse) {
	t.Helper()
	if _, err := w.StorePings(context.Background(), warehousetest.SmallPings(t)); err != nil {
		t.Fatal(err)
	}
}

var nan = math.NaN()

func TestMetricSeries(t *testing.T) {
	ctx := context.Background()
	weeks := func(s ...warehouse.WeekStat) []warehouse.WeekStat {
		for i := range s {
			s[i].Week = fmt.Sprintf("2026-W%d", 45+i)
		}
		return s
	}
	// Worked out by hand from fillSeries: W45 a=10 b=5; W46 a=20 (its
	// later ping) b=-1 c=3; W47 a=-1 b=7 c=4. a runs 17.2 from W47.
	want := &warehouse.Series{
		KeyPath: "counts.issues",
		Weeks:   weeks(ws(15, 7.5, 2, 0), ws(23, 11.5, 2, 1), ws(11, 5.5, 2, 1)),
		ByVersion: []warehouse.Group{
			{Name: "17.1", Weeks: weeks(ws(10, 10, 1, 0), ws(23, 11.5, 2, 0), ws(4, 4, 1, 0))},
			{Name: "17.2", Weeks: weeks(ws(5, 5, 1, 0), ws(0, nan, 0, 1), ws(7, 7, 1, 1))},
		},
		ByTier: []warehouse.Group{
			{Name: "free", Weeks: weeks(ws(10, 10, 1, 0), ws(20, 20, 1, 0), ws(0, nan, 0, 1))},
			{Name: "premium", Weeks: weeks(ws(5, 5, 1, 0), ws(3, 3, 1, 1), ws(11, 5.5, 2, 0))},
		},
	}
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			fillSeries(t, w)
			got, err := w.MetricSeries(ctx, "counts.issues", warehouse.SourcePing, warehouse.Weeks{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := differ(want, got); diff != "" {
				t.Errorf("MetricSeries:\n%s", diff)
			}

			got, err = w.MetricSeries(ctx, "counts.issues", warehouse.SourcePing, warehouse.Weeks{From: "2026-W46", To: "2026-W47"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := differ(want.Weeks[1:2], got.Weeks); diff != "" {
				t.Errorf("MetricSeries of W46 alone:\n%s", diff)
			}

			saas, err := w.MetricSeries(ctx, "counts.issues", warehouse.SourceWarehouse, warehouse.Weeks{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := differ([]warehouse.WeekStat{{Week: "2026-W47", Total: 1000, Median: 1000, Instances: 1}}, saas.Weeks); diff != "" {
				t.Errorf("the SaaS series:\n%s", diff)
			}

			none, err := w.MetricSeries(ctx, "counts.nothing", warehouse.SourcePing, warehouse.Weeks{})
			if err != nil {
				t.Fatal(err)
			}
			if len(none.Weeks) != 3 || none.Weeks[2].Instances != 0 || !math.IsNaN(none.Weeks[2].Median) || len(none.ByVersion) != 0 {
				t.Errorf("a key path no ping has: %+v", none)
			}
		})
	}
}

// TestMetricSeriesKept shows that a series is read from the weeks kept
// by the read before, and that a week is computed again, alone, once a
// ping of it is stored.
func TestMetricSeriesKept(t *testing.T) {
	ctx := context.Background()
	var handled []error
	var mu sync.Mutex
	opt := warehouse.Options{ErrorHandler: func(err error) {
		mu.Lock()
		defer mu.Unlock()
		handled = append(handled, err)
	}}
	for name, w := range warehousetest.Open(t, opt) {
		t.Run(name, func(t *testing.T) {
			fillSeries(t, w)
			series := func() *warehouse.Series {
				t.Helper()
				s, err := w.MetricSeries(ctx, "counts.issues", warehouse.SourcePing, warehouse.Weeks{})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			first := series()
			db := w.DB()
			var kept int
			if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM metric_weeks WHERE key_path = 'counts.issues'`).Scan(&kept); err != nil {
				t.Fatal(err)
			}
			// Each of the three weeks: all, two versions, two tiers.
			if kept != 15 {
				t.Errorf("%d rows kept for counts.issues, want 15", kept)
			}
			// A kept week is read as kept: changed behind the
			// warehouse's back, the change shows.
			if _, err := db.ExecContext(ctx, `UPDATE metric_weeks SET total = 12345 WHERE week = '2026-W45' AND split = ''`); err != nil {
				t.Fatal(err)
			}
			if got := series(); got.Weeks[0].Total != 12345 || differ(first.Weeks[1:], got.Weeks[1:]) != "" || differ(first.ByVersion, got.ByVersion) != "" {
				t.Errorf("the second read did not read the kept weeks: %+v", got.Weeks)
			}
			// A ping of W45 and one of a new week: W45 is computed again
			// (the change is gone, d counted), W46 and W47 stay kept.
			for _, p := range []warehouse.Ping{
				warehousetest.Ping(t, "d", "2026-W45", 2, "17.3", "ultimate", 100),
				warehousetest.Ping(t, "d", "2026-W48", 2, "17.3", "ultimate", 200),
			} {
				if _, err := w.StorePing(ctx, p); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := db.ExecContext(ctx, `UPDATE metric_weeks SET total = 54321 WHERE week = '2026-W46' AND split = ''`); err != nil {
				t.Fatal(err)
			}
			got := series()
			want := []warehouse.WeekStat{
				{Week: "2026-W45", Total: 115, Median: 10, Instances: 3},
				{Week: "2026-W46", Total: 54321, Median: 11.5, Instances: 2, Failed: 1},
				first.Weeks[2],
				{Week: "2026-W48", Total: 200, Median: 200, Instances: 1},
			}
			if diff := differ(want, got.Weeks); diff != "" {
				t.Errorf("after pings of W45 and W48:\n%s", diff)
			}
			wantVersions := "17.1 17.2 17.3"
			if names := groupNames(got.ByVersion); names != wantVersions || len(got.ByVersion[2].Weeks) != 4 || got.ByVersion[2].Weeks[1].Instances != 0 {
				t.Errorf("versions after pings of W45 and W48: %s %+v, want %s", names, got.ByVersion, wantVersions)
			}

			// Readers at once agree, whoever keeps the weeks.
			if _, err := w.StorePing(ctx, warehousetest.Ping(t, "e", "2026-W48", 3, "17.3", "free", 1)); err != nil {
				t.Fatal(err)
			}
			var g errgroup.Group
			results := make([]*warehouse.Series, 8)
			for i := range results {
				g.Go(func() error {
					var err error
					results[i], err = w.MetricSeries(ctx, "counts.issues", warehouse.SourcePing, warehouse.Weeks{})
					return err
				})
			}
			if err := g.Wait(); err != nil {
				t.Fatal(err)
			}
			for _, r := range results[1:] {
				if diff := differ(results[0], r); diff != "" {
					t.Errorf("concurrent reads differ:\n%s", diff)
				}
			}
			if w48 := results[0].Weeks[3]; w48.Instances != 2 || w48.Total != 201 {
				t.Errorf("W48 after e's ping: %+v", w48)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(handled) != 0 {
				t.Errorf("errors handled: %v", handled)
			}
		})
	}
}

func TestKeepSeries(t *testing.T) {
	ctx := context.Background()
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			fillSeries(t, w)
			if err := w.KeepSeries(ctx, warehouse.SourcePing, []string{"counts.issues", "counts.nothing"}); err != nil {
				t.Fatal(err)
			}
			rows, err := w.DB().QueryContext(ctx, `SELECT key_path, COUNT(*) FROM metric_weeks GROUP BY key_path ORDER BY key_path`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var kp string
				var n int
				if err := rows.Scan(&kp, &n); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%s %d", kp, n))
			}
			// counts.nothing: one row a week, with no instance.
			if diff := differ([]string{"counts.issues 15", "counts.nothing 3"}, got); diff != "" {
				t.Errorf("rows kept:\n%s", diff)
			}
		})
	}
}

// TestMetricSeriesNotKept shows that a series is read when what was read
// cannot be kept, and that the failure goes to the error handler.
func TestMetricSeriesNotKept(t *testing.T) {
	ctx := context.Background()
	var handled []error
	opt := warehouse.Options{ErrorHandler: func(err error) { handled = append(handled, err) }}
	refuse := map[string]string{
		warehouse.SQLite: `CREATE TRIGGER refuse BEFORE INSERT ON metric_weeks BEGIN SELECT RAISE(ABORT, 'read-only'); END`,
		warehouse.Postgres: `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'read-only'; END $$;
			CREATE TRIGGER refuse BEFORE INSERT ON metric_weeks FOR EACH ROW EXECUTE FUNCTION refuse()`,
	}
	for name, w := range warehousetest.Open(t, opt) {
		t.Run(name, func(t *testing.T) {
			handled = nil
			fillSeries(t, w)
			if _, err := w.DB().ExecContext(ctx, refuse[name]); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				s, err := w.MetricSeries(ctx, "counts.issues", warehouse.SourcePing, warehouse.Weeks{})
				if err != nil {
					t.Fatal(err)
				}
				if s.Weeks[1].Total != 23 || s.Weeks[1].Instances != 2 {
					t.Errorf("W46 of a series not kept: %+v", s.Weeks[1])
				}
			}
			const want = "warehouse: keeping the series of counts.issues from 2026-W45 to 2026-W47: "
			if len(handled) != 2 || !strings.HasPrefix(handled[0].Error(), want) || !strings.Contains(handled[0].Error(), "read-only") {
				t.Errorf("errors handled: %v, want two starting %q", handled, want)
			}
		})
	}
}

func groupNames(gs []warehouse.Group) string {
	var names []string
	for _, g := range gs {
		names = append(names, g.Name)
	}
	return strings.Join(names, " ")
}

func ws(total, median float64, instances, failed int) warehouse.WeekStat {
	return warehouse.WeekStat{Total: total, Median: median, Instances: instances, Failed: failed}
}

func TestTotalsAndAdoption(t *testing.T) {
	ctx := context.Background()
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			fillSeries(t, w)
			tot, err := w.Totals(ctx, warehouse.SourcePing, warehouse.Weeks{From: "2026-W46"})
			if err != nil {
				t.Fatal(err)
			}
			want := []warehouse.WeekStat{
				{Week: "2026-W46", Total: 23, Median: nan, Instances: 2, Failed: 1},
				{Week: "2026-W47", Total: 11, Median: nan, Instances: 2, Failed: 1},
			}
			if diff := differ(want, tot.KeyPaths["counts.issues"]); diff != "" || len(tot.KeyPaths) != 1 {
				t.Errorf("Totals:\n%s\nkey paths %v", diff, tot.KeyPaths)
			}

			stamps, err := w.PingWeekStamps(ctx, warehouse.SourcePing, warehouse.Weeks{})
			if err != nil {
				t.Fatal(err)
			}
			// Ids in the order fillSeries stores them: a's four, b's
			// three, c's two.
			wantStamps := []warehouse.PingWeek{{"2026-W45", 2, 1, 5}, {"2026-W46", 4, 2, 8}, {"2026-W47", 3, 4, 9}}
			if diff := differ(wantStamps, stamps); diff != "" {
				t.Errorf("PingWeekStamps:\n%s", diff)
			}

			firsts, err := w.VersionFirstWeeks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if diff := differ([]warehouse.VersionFirst{{"17.1", "2026-W45"}, {"17.2", "2026-W45"}}, firsts); diff != "" {
				t.Errorf("VersionFirstWeeks:\n%s", diff)
			}

			adoption, err := w.VersionAdoption(ctx, warehouse.Weeks{})
			if err != nil {
				t.Fatal(err)
			}
			wantAdoption := []warehouse.VersionWeek{
				{"2026-W45", "17.1", 1}, {"2026-W45", "17.2", 1},
				{"2026-W46", "17.1", 2}, {"2026-W46", "17.2", 1},
				{"2026-W47", "17.1", 1}, {"2026-W47", "17.2", 2},
			}
			if diff := differ(wantAdoption, adoption); diff != "" {
				t.Errorf("VersionAdoption:\n%s", diff)
			}
		})
	}
}

func TestInstances(t *testing.T) {
	ctx := context.Background()
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			fillSeries(t, w)
			p := warehousetest.Ping(t, "c", "2026-W48", 1, "17.2", "premium", -1)
			p.Problems = []string{"counts.issues: want a count"}
			if _, err := w.StorePing(ctx, p); err != nil {
				t.Fatal(err)
			}
			at := strings.Split(string(p.Payload), `"recorded_at": "`)[1][:20]
			meta := `{"metadata": {"uuid": "c", "recorded_at": "` + at + `", "metrics": [{"name": "counts.issues", "time_elapsed": 0.1, "error": "database: timeout"}, {"name": "counts.ok", "time_elapsed": 0.1}]}}`
			if _, err := w.StoreMetadata(ctx, []byte(meta)); err != nil {
				t.Fatal(err)
			}
			got, err := w.Instances(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var brief []string
			for _, in := range got {
				brief = append(brief, fmt.Sprintf("%s %s %s %s %s %q %q %q", in.UUID, in.Hostname, in.Version, in.Edition,
					in.LastSeen.Format(time.RFC3339), in.Problems, in.Failing, in.Errors))
			}
			want := []string{
				`c c.example.com 17.2 premium 2026-11-24T01:00:00Z ["counts.issues: want a count"] ["counts.issues"] map["counts.issues":"database: timeout"]`,
				`a a.example.com 17.2 free 2026-11-17T01:00:00Z [] ["counts.issues"] map[]`,
				`b b.example.com 17.2 premium 2026-11-17T01:00:00Z [] [] map[]`,
			}
			if diff := differ(want, brief); diff != "" {
				t.Errorf("Instances:\n%s", diff)
			}
		})
	}
}

func TestEventSeries(t *testing.T) {
	ctx := context.Background()
	w47, _ := warehouse.ParseWeek("2026-W47")
	w49, _ := warehouse.ParseWeek("2026-W49")
	rec := func(n int, at time.Time, event, user, props string) warehouse.Record {
		return warehouse.Record{ID: fmt.Sprintf("0190a000-0000-7000-8000-%012d", n), OccurredAt: at, Event: event,
			Identifiers: warehouse.Identifiers{User: user}, Properties: []byte(props)}
	}
	records := []warehouse.Record{
		rec(1, w47.Monday().Add(time.Hour), "create_issue", "u1", `{"label": "web", "confidential": true}`),
		rec(2, w47.Monday().Add(50*time.Hour), "create_issue", "u1", `{"label": "api"}`),
		// Sunday 23:59 UTC is still W47.
		rec(3, w47.Monday().AddDate(0, 0, 7).Add(-time.Minute), "create_issue", "u2", `{"label": "web", "confidential": false}`),
		rec(4, w49.Monday(), "create_issue", "u3", `{}`),
		rec(5, w47.Monday().Add(time.Hour), "close_issue", "u1", `{"label": "web"}`),
	}
	ew := func(wk string, count, users int) warehouse.EventWeek {
		return warehouse.EventWeek{Week: wk, Count: count, Users: users}
	}
	all := []warehouse.EventWeek{ew("2026-W47", 3, 2), ew("2026-W48", 0, 0), ew("2026-W49", 1, 1)}
	tests := []struct {
		property string
		r        warehouse.Weeks
		want     *warehouse.EventSeries
	}{
		{"", warehouse.Weeks{}, &warehouse.EventSeries{Event: "create_issue", Weeks: all}},
		{"label", warehouse.Weeks{}, &warehouse.EventSeries{Event: "create_issue", Property: "label", Weeks: all, ByValue: []warehouse.EventGroup{
			{Value: "", Weeks: []warehouse.EventWeek{ew("2026-W47", 0, 0), ew("2026-W48", 0, 0), ew("2026-W49", 1, 1)}},
			{Value: "api", Weeks: []warehouse.EventWeek{ew("2026-W47", 1, 1), ew("2026-W48", 0, 0), ew("2026-W49", 0, 0)}},
			{Value: "web", Weeks: []warehouse.EventWeek{ew("2026-W47", 2, 2), ew("2026-W48", 0, 0), ew("2026-W49", 0, 0)}},
		}}},
		{"confidential", warehouse.Weeks{To: "2026-W48"}, &warehouse.EventSeries{Event: "create_issue", Property: "confidential",
			Weeks: []warehouse.EventWeek{ew("2026-W47", 3, 2)}, ByValue: []warehouse.EventGroup{
				{Value: "", Weeks: []warehouse.EventWeek{ew("2026-W47", 1, 1)}},
				{Value: "false", Weeks: []warehouse.EventWeek{ew("2026-W47", 1, 1)}},
				{Value: "true", Weeks: []warehouse.EventWeek{ew("2026-W47", 1, 1)}},
			}}},
		{"", warehouse.Weeks{From: "2026-W48"}, &warehouse.EventSeries{Event: "create_issue", Weeks: all[2:]}},
	}
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := w.StoreRecords(ctx, records); err != nil {
				t.Fatal(err)
			}
			for _, tt := range tests {
				got, err := w.EventSeries(ctx, "create_issue", tt.property, tt.r)
				if err != nil {
					t.Fatalf("EventSeries(%q, %+v): %v", tt.property, tt.r, err)
				}
				if diff := differ(tt.want, got); diff != "" {
					t.Errorf("EventSeries(%q, %+v):\n%s", tt.property, tt.r, diff)
				}
			}
			counts, err := w.EventCounts(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []warehouse.EventCount{{"close_issue", 1, w47.Monday().Add(time.Hour)}, {"create_issue", 4, w49.Monday()}}
			if diff := differ(want, counts); diff != "" {
				t.Errorf("EventCounts:\n%s", diff)
			}
		})
	}
}

func TestParseWeek(t *testing.T) {
	for in, want := range map[string]string{"2026-W07": "2026-W07", "2020-W53": "2020-W53", "2026-W53": "2026-W53"} {
		if w, err := warehouse.ParseWeek(in); err != nil || w.String() != want {
			t.Errorf("ParseWeek(%q) = %v, %v", in, w, err)
		}
	}
	for _, in := range []string{"", "2026-W7", "2026W07", "2026-W00", "2026-W54", "2025-W53", "26-W07", "2026-Wxx"} {
		if _, err := warehouse.ParseWeek(in); err == nil {
			t.Errorf("ParseWeek(%q): no error", in)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"17.2", "17.10", -1}, {"17.10", "17.2", 1}, {"17.2", "17.2", 0}, {"17", "17.0", -1}, {"", "17.0", -1}, {"17.x", "17.2", 1}} {
		if got := warehouse.CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

// differ says how got differs from want, "" when it does not; values are
// compared as %+v prints them, so NaN equals NaN.
func differ(want, got any) string {
	w, g := fmt.Sprintf("%+v", want), fmt.Sprintf("%+v", got)
	if w == g {
		return ""
	}
	return "want " + w + "\ngot  " + g
}
