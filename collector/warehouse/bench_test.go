package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/internal/testservers"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

const (
	// benchSchema keeps the benchmark's ten million records between runs:
	// making them takes about a minute.
	benchSchema  = "usagekit_bench_records"
	benchRecords = 10_000_000
	benchUsers   = 500_000
	benchWeeks   = 10
)

// benchNow is in the week after the benchmark's records.
var benchNow = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

// benchWarehouse opens the PostgreSQL warehouse of ten million records
// over ten ISO weeks (2026-W38 to W47), of five events, by half a million
// pseudonymized users, making it on the first run.
func benchWarehouse(b *testing.B) *warehouse.Warehouse {
	b.Helper()
	ctx := context.Background()
	admin, err := sql.Open("pgx", testservers.Postgres.URL())
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA IF NOT EXISTS "+benchSchema); err != nil {
		b.Fatal(err)
	}
	u, _ := url.Parse(testservers.Postgres.URL())
	q := u.Query()
	q.Set("search_path", benchSchema)
	u.RawQuery = q.Encode()
	w, err := warehouse.Open(ctx, u.String(), warehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { w.Close() })
	var n int
	if err := w.DB().QueryRowContext(ctx, `SELECT count(*) FROM records`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	if n == benchRecords {
		return w
	}
	b.Logf("making %d records in schema %s (once)", benchRecords, benchSchema)
	if _, err := w.DB().ExecContext(ctx, `TRUNCATE records`); err != nil {
		b.Fatal(err)
	}
	first := benchNow.AddDate(0, 0, -7*benchWeeks)
	// One record a week through StoreRecords makes the weekly partitions.
	var seed []warehouse.Record
	for i := range benchWeeks {
		seed = append(seed, warehouse.Record{ID: fmt.Sprintf("00000000-0000-7000-8000-%012d", i), OccurredAt: first.AddDate(0, 0, 7*i),
			Event: "seed", Identifiers: warehouse.Identifiers{User: "seed"}})
	}
	if _, err := w.StoreRecords(ctx, seed); err != nil {
		b.Fatal(err)
	}
	// The rest in SQL, where it is fastest: ids are random UUIDs, users
	// the hex of a SHA-256, as pseudonyms are.
	_, err = w.DB().ExecContext(ctx, `INSERT INTO records (id, occurred_at, event, user_id, project_id, properties, received_at)
		SELECT gen_random_uuid(),
			$1::timestamptz + (random() * interval '`+fmt.Sprint(7*benchWeeks)+` days'),
			(ARRAY['create_issue','close_issue','comment_on_issue','create_merge_request','push_to_repository'])[1 + i % 5],
			encode(sha256(('user:' || (1 + (i::bigint * 7919) % $2))::bytea), 'hex'),
			encode(sha256(('project:' || (1 + i % 20000))::bytea), 'hex'),
			jsonb_build_object('label', (ARRAY['issue','incident','task'])[1 + i % 3]),
			now()
		FROM generate_series(1, $3) AS i`, first, benchUsers, benchRecords-benchWeeks)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.DB().ExecContext(ctx, `ANALYZE records`); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkDistinct28d10M computes a 28-day distinct-user metric of two
// events (two fifths of the records) over ten million records on
// PostgreSQL, as the collector does for the SaaS instance each week.
func BenchmarkDistinct28d10M(b *testing.B) {
	w := benchWarehouse(b)
	ctx := context.Background()
	d := &metric.Descriptor{KeyPath: "redis_hll_counters.issues.users_monthly", TimeFrame: metric.Monthly, DataSource: "internal_events",
		Events: []metric.EventRule{{Event: "create_issue", Unique: event.UniqueUser}, {Event: "close_issue", Unique: event.UniqueUser}}}
	for b.Loop() {
		res := w.EventMetrics(ctx, []*metric.Descriptor{d}, benchNow)
		if res[0].Err != nil {
			b.Fatal(res[0].Err)
		}
		// The two events' records come from two fifths of the users.
		if v := res[0].Value.(int64); v < benchUsers*2/5*9/10 {
			b.Fatalf("%d distinct users, want nearly %d", v, benchUsers*2/5)
		}
	}
}
