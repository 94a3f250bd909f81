package dbcount_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/usagekit/usagekit/runtime/dbcount"
)

// benchTable is created once with benchRows rows and kept across runs:
// building it takes far longer than the benchmark.
const (
	benchTable = "usagekit_bench_rows"
	benchRows  = 10_000_000
)

func benchDB(b *testing.B) *sql.DB {
	b.Helper()
	db, err := sql.Open("pgx", databaseURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var n int64
	err = db.QueryRow("SELECT count(*) FROM " + benchTable).Scan(&n)
	if err == nil && n == benchRows {
		return db
	}
	b.Logf("creating %s with %d rows (once; kept for later runs)", benchTable, benchRows)
	for _, q := range []string{
		"DROP TABLE IF EXISTS " + benchTable,
		"CREATE TABLE " + benchTable + " (id bigint PRIMARY KEY, user_id bigint NOT NULL, created_at timestamptz NOT NULL)",
		"INSERT INTO " + benchTable + " SELECT g, g % 50000, now() - (g % 1000) * interval '1 hour' FROM generate_series(1, 10000000) g",
		"VACUUM ANALYZE " + benchTable,
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

// BenchmarkCount10M counts ten million PostgreSQL rows with one count(*)
// and with dbcount's batches of 100,000 primary keys, side by side. The
// issue's bound: batched within 3x of the single statement.
func BenchmarkCount10M(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	b.Run("single", func(b *testing.B) {
		for b.Loop() {
			var n int64
			if err := db.QueryRowContext(ctx, "SELECT count(*) FROM "+benchTable).Scan(&n); err != nil || n != benchRows {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("batched", func(b *testing.B) {
		c := dbcount.New(db, dbcount.Options{})
		for b.Loop() {
			v, err := c.Run(ctx, dbcount.Query{Operation: dbcount.Count, Table: benchTable}, dbcount.Window{})
			if err != nil || v != int64(benchRows) {
				b.Fatal(v, err)
			}
		}
	})
}
