package generator_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/internal/golden"
	rtevent "github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/track"
)

// combination is one data source and rule kind of the time-frame table.
type combination struct {
	source, kind string
	// body is the metric's definition after its common fields.
	body string
}

var combinations = []combination{
	{"internal_events", "total", "data_source: internal_events\nevents:\n  - name: create_issue\n"},
	{"internal_events", "filtered total", "data_source: internal_events\nevents:\n  - name: create_issue\n    filter:\n      label: bug\n"},
	{"internal_events", "sum", "data_source: internal_events\nevents:\n  - name: create_issue\n    operator: sum(value)\n"},
	{"internal_events", "unique", "data_source: internal_events\nevents:\n  - name: create_issue\n    unique: user.id\n"},
	{"database", "count", "data_source: database\ndatabase:\n  operation: count\n  table: issues\n"},
	{"database", "average", "data_source: database\ndatabase:\n  operation: average\n  table: issues\n  column: weight\n"},
	{"system", "application", "data_source: system\n"},
	{"license", "application", "data_source: license\n"},
	{"redis", "instrumentation class", "data_source: redis\ninstrumentation_class: RedisMetric\noptions:\n  event: commits\n  prefix: web_ide\n"},
	{"redis_hll", "instrumentation class", "data_source: redis_hll\ninstrumentation_class: RedisHLLMetric\noptions:\n  events: [i_search_total]\n"},
	{"prometheus", "instrumentation class", "data_source: prometheus\ninstrumentation_class: GitalyApdexMetric\n"},
}

const tableEvent = `action: create_issue
description: An issue is created.
internal_events: true
product_group: project_management
product_categories: [team_planning]
introduced_by_url: https://example.com/mr/1
milestone: "17.0"
tiers: [free]
identifiers: [user, project]
additional_properties:
  label:
    description: The issue type.
  value:
    description: The weight.
`

const tableMetric = `key_path: counts.m
description: A metric.
product_group: project_management
product_categories: [team_planning]
value_type: number
status: active
milestone: "17.0"
introduced_by_url: https://example.com/mr/1
tiers: [free]
data_category: optional
`

// TestTimeFramesAgree walks every data source and rule kind over every
// time frame through validation, code generation and the engine, and
// checks that they agree: a metric validates exactly when code is
// generated for it and the engine computes it (application metrics through
// the value the application gives). The verdicts are in
// testdata/timeframes.txt.
func TestTimeFramesAgree(t *testing.T) {
	db := tableDB(t)
	var out strings.Builder
	for _, c := range combinations {
		for _, tf := range metric.TimeFrames {
			line, err := walk(t, c, tf, db)
			if err != nil {
				t.Errorf("%s %s, time frame %s: %v", c.source, c.kind, tf, err)
			}
			fmt.Fprintln(&out, line)
		}
	}
	golden.Check(t, filepath.Join("testdata", "timeframes.txt"), []byte(out.String()))
}

// walk takes one combination through the three stages and describes what
// each did; the error says how they disagree.
func walk(t *testing.T, c combination, tf metric.TimeFrame, db *sql.DB) (string, error) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "events", "create_issue.yml"), tableEvent)
	write(t, filepath.Join(dir, "metrics", "m.yml"), tableMetric+"time_frame: "+string(tf)+"\n"+c.body)
	res := generator.LoadResult(dir)
	head := fmt.Sprintf("%-15s %-21s %-4s ", c.source, c.kind, tf)
	if len(res.Set.Metrics) != 1 {
		return head + "not built", fmt.Errorf("%d metrics built: %v", len(res.Set.Metrics), res.Diagnostics)
	}
	d := res.Set.Metrics[0].Descriptor()
	if d.Application {
		d.Value = func(context.Context) (any, error) { return int64(7), nil }
	}
	st := trackTable(t, res.Set.Event("create_issue").Updates())
	e := metric.NewEngine(metric.EngineOptions{Store: st, DB: db, Now: func() time.Time { return tableNow }})
	v, engineErr := e.Value(context.Background(), d)
	_, emitErr := emit.Emit(res.Set, emit.Options{Package: "p"})
	if len(res.Diagnostics) > 0 {
		msg := res.Diagnostics[0].Message
		if engineErr == nil && !d.Application && c.source != "database" {
			return head + "refused: " + msg, fmt.Errorf("validation refuses it, but the engine computes %v", v)
		}
		return head + "refused: " + msg, nil
	}
	switch {
	case emitErr != nil:
		return head + "valid", fmt.Errorf("valid, but emit fails: %v", emitErr)
	case engineErr != nil:
		return head + "valid", fmt.Errorf("valid, but the engine fails: %v", engineErr)
	}
	return head + fmt.Sprintf("valid, generated, computed %v", v), nil
}

// tableNow is when the table's metrics are computed: ISO week 2026-48.
var tableNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// trackTable tracks create_issue with the updates the model derives from
// the metric: in the last complete week users 1, 2 and 2 with label bug and
// value 2, and in the current week user 3 with label feature and value 5,
// which only all-time counts see. A total is then 3 (all time 4), the
// filtered total 3, the sum 6 (all time 11), the unique count 2.
func trackTable(t *testing.T, ups []rtevent.Update) store.Store {
	t.Helper()
	st := memstore.New(memstore.Options{})
	var now time.Time
	tr := track.New(track.Options{Store: st, Sync: true, Now: func() time.Time { return now }})
	desc := &rtevent.Descriptor{Name: "create_issue", Updates: ups}
	ctx := context.Background()
	for _, r := range []struct {
		at    time.Time
		user  rtevent.UserID
		label string
		value float64
	}{
		{tableNow.AddDate(0, 0, -7), 1, "bug", 2},
		{tableNow.AddDate(0, 0, -7), 2, "bug", 2},
		{tableNow.AddDate(0, 0, -7), 2, "bug", 2},
		{tableNow, 3, "feature", 5},
	} {
		now = r.at
		rec := rtevent.Record{User: r.user, Label: r.label, Value: r.value, HasValue: true}
		for i, u := range ups {
			if v, ok := u.Filter.Value("label"); !ok || v == r.label {
				rec.Match |= 1 << i
			}
		}
		tr.Track(ctx, desc, &rec)
	}
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// tableDB is an SQLite database with the issues the database metrics read:
// one a day for 40 days, weights 1 to 4.
func tableDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE issues (id integer PRIMARY KEY, weight integer, created_at timestamp)`); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		if _, err := db.Exec(`INSERT INTO issues VALUES (?, ?, ?)`, i+1, i%4+1, tableNow.Add(-time.Duration(i)*24*time.Hour-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	return db
}
