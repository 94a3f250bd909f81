package dashboard_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/internal/testservers"
)

// benchScale is the size of the benchmarks' warehouse: instances × weeks
// of pings, each with metrics values. A metric's page reads one metric's
// values, instances × weeks rows whatever the number of metrics, so the
// default has few metrics; USAGEKIT_BENCH_SCALE=1000,104,2000 is the
// catalogue's full size (208 M values: long to build).
func benchScale(b *testing.B) (instances, weeks, metrics int) {
	instances, weeks, metrics = 1000, 104, 20
	if v := os.Getenv("USAGEKIT_BENCH_SCALE"); v != "" {
		if _, err := fmt.Sscanf(v, "%d,%d,%d", &instances, &weeks, &metrics); err != nil {
			b.Fatalf("USAGEKIT_BENCH_SCALE=%q: want INSTANCES,WEEKS,METRICS", v)
		}
	}
	return instances, weeks, metrics
}

// benchWarehouse fills a PostgreSQL warehouse in SQL: instances that ping
// every week, a release every four weeks, three tiers, and values that
// fail now and then. It is a schema of its own, kept once filled, as
// filling it takes longer than the benchmark.
func benchWarehouse(b *testing.B) *warehouse.Warehouse {
	b.Helper()
	instances, weeks, metrics := benchScale(b)
	ctx := context.Background()
	schema := fmt.Sprintf("usagekit_bench_dashboard_%d_%d_%d", instances, weeks, metrics)
	admin, err := sql.Open("pgx", testservers.Postgres.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	var filled bool
	admin.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)`, schema).Scan(&filled)
	if !filled {
		// Filled under another name, renamed when complete: an
		// interrupted fill is not taken for a complete one.
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+"_filling CASCADE; CREATE SCHEMA "+schema+"_filling"); err != nil {
			b.Fatal(err)
		}
	}
	name := schema
	if !filled {
		name += "_filling"
	}
	u, err := url.Parse(testservers.Postgres.URL())
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	// A series that cannot be kept would be timed computed, not kept.
	w, err := warehouse.Open(ctx, u.String(), warehouse.Options{ErrorHandler: func(err error) { b.Error(err) }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	if filled {
		return w
	}
	db := w.DB()
	start := time.Now()
	first := time.Date(2024, 12, 2, 0, 0, 0, 0, time.UTC) // a Monday, 2024-W49
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO instances (uuid, hostname, version, edition, first_seen, last_seen)
			SELECT 'i' || i, 'host-' || i || '.example.com', '17.0', (ARRAY['free', 'premium', 'ultimate'])[1 + i % 3], $2, $2
			FROM generate_series(1, $1::int) i`, []any{instances, first}},
		{`INSERT INTO pings (uuid, recorded_at, week, received_at, version, edition, payload)
			SELECT 'i' || i, t, to_char(t AT TIME ZONE 'UTC', 'IYYY-"W"IW'), t, '17.' || greatest(0, wk - i % 6) / 4, (ARRAY['free', 'premium', 'ultimate'])[1 + i % 3], '{}'
			FROM generate_series(1, $1::int) i, generate_series(0, $3::int - 1) wk,
				LATERAL (SELECT $2::timestamptz + wk * interval '7 days' + i * interval '1 second') AS at(t)`, []any{instances, first, weeks}},
		{`INSERT INTO metric_keys (key_path) SELECT 'bench.metric_' || m FROM generate_series(1, $1::int) m`, []any{metrics}},
		// A ping's values together, pings in order, as the intake
		// stores them: the pings are the loop's outer side (sorting
		// 208 M rows instead would take longer than the fill).
		{`SELECT metric_key_values_week(wk) FROM (SELECT DISTINCT (substr(week, 1, 4) || substr(week, 7, 2))::integer AS wk FROM pings) weeks`, nil},
		{`INSERT INTO metric_key_values (key_id, week, ping_id, value)
			SELECT k.id, (substr(p.week, 1, 4) || substr(p.week, 7, 2))::integer, p.id, CASE WHEN (p.id + m) % 97 = 0 THEN -1 ELSE (p.id * 31 + m * 7) % 1000 END
			FROM pings p, generate_series(1, $1::int) m JOIN metric_keys k ON k.key_path = 'bench.metric_' || m`, []any{metrics}},
		{`VACUUM ANALYZE`, nil}, // and the block ranges summarized, as autovacuum leaves them
	} {
		if _, err := db.ExecContext(ctx, q.sql, q.args...); err != nil {
			b.Fatalf("filling the benchmark warehouse: %v", err)
		}
	}
	b.Logf("%d instances × %d weeks × %d metrics filled in %v", instances, weeks, metrics, time.Since(start).Round(time.Millisecond))
	w.Close()
	if _, err := admin.ExecContext(ctx, "ALTER SCHEMA "+name+" RENAME TO "+schema); err != nil {
		b.Fatal(err)
	}
	return benchWarehouse(b)
}

// BenchmarkPostgres times what a metric's page and the catalogue ask of a
// PostgreSQL warehouse of benchScale's size, through the handler. A
// metric's weeks are kept once read, so the series is timed three ways:
// kept (the weeks read before, as a page read twice), one week stale (a
// ping arrived in the latest week since), and cold (a metric nobody read).
func BenchmarkPostgres(b *testing.B) {
	w := benchWarehouse(b)
	h := newDashboard(b, w, nil)
	db := w.DB()
	forget := func(where string) func() {
		return func() {
			if _, err := db.Exec(`DELETE FROM metric_weeks WHERE key_path = 'bench.metric_7'` + where); err != nil {
				b.Fatal(err)
			}
		}
	}
	var last string
	if err := db.QueryRow(`SELECT MAX(week) FROM pings`).Scan(&last); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, target string
		before       func()
	}{
		{"series-api", "/api/metrics/bench.metric_7/series", nil},
		{"series-api-week-stale", "/api/metrics/bench.metric_7/series", forget(" AND week = '" + last + "'")},
		{"series-api-cold", "/api/metrics/bench.metric_7/series", forget("")},
		{"split-api", "/api/metrics/bench.metric_7/split?by=version", nil},
		{"metric-page", "/metrics/bench.metric_7", nil},
		{"catalogue-page", "/", nil},
		{"instances-api", "/api/instances", nil},
		// A collector just started: the weekly totals are not cached.
		{"catalogue-page-cold", "/", func() { h = newDashboard(b, w, nil) }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			get := func() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bc.target, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s: %d %s", bc.target, rec.Code, rec.Body)
				}
			}
			get() // what a first read keeps is kept before timing
			for b.Loop() {
				if bc.before != nil {
					b.StopTimer()
					bc.before()
					b.StartTimer()
				}
				get()
			}
		})
	}
}
