package warehouse_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/warehouse"
)

// rawDB opens an empty database of the dialect, without migrating it.
func rawDB(t *testing.T, dialect string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", ""
	if dialect == warehouse.SQLite {
		driver, dsn = "sqlite", "file:"+filepath.Join(t.TempDir(), "w.db")+"?_pragma=foreign_keys(1)"
	} else {
		dsn = warehousetest.PostgresDSN(t)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// values lists the rows of the metric_values view as key=value@ping.
func values(t *testing.T, db *sql.DB) string {
	t.Helper()
	rows, err := db.Query(`SELECT key_path, value, ping_id FROM metric_values ORDER BY ping_id, key_path`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var k string
		var v float64
		var id int64
		if err := rows.Scan(&k, &v, &id); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%g@%d", k, v, id))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

// TestMetricKeysMigration: values stored before key paths had ids read
// the same after migration 00004 through the metric_values view, new
// pings and rows inserted into the view join them, and migrating down
// gives the table back with every row.
func TestMetricKeysMigration(t *testing.T) {
	ctx := context.Background()
	for _, dialect := range []string{warehouse.SQLite, warehouse.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			db := rawDB(t, dialect)
			gd := goose.DialectPostgres
			if dialect == warehouse.SQLite {
				gd = goose.DialectSQLite3
			}
			p, err := goose.NewProvider(gd, db, os.DirFS(filepath.Join("migrations", dialect)))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, 3); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{
				`INSERT INTO instances (uuid, first_seen, last_seen) VALUES ('a1', '2026-11-25T12:00:00Z', '2026-11-25T12:00:00Z')`,
				// ids 1 and 2, the first of a new table
				`INSERT INTO pings (uuid, recorded_at, week, received_at, payload) VALUES
					('a1', '2026-11-18T12:00:00Z', '2026-W47', '2026-11-18T12:00:00Z', '{}'),
					('a1', '2026-11-25T12:00:00Z', '2026-W48', '2026-11-25T12:00:00Z', '{}')`,
				`INSERT INTO metric_values (ping_id, key_path, value) VALUES (1, 'counts.issues', 3), (1, 'counts.failed', -1), (2, 'counts.issues', 5)`,
			} {
				if _, err := db.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
			}
			before := values(t, db)
			w, err := warehouse.New(ctx, db, dialect, warehouse.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := values(t, db); got != before {
				t.Errorf("after the migration\n got %s\nwant %s", got, before)
			}
			st, err := w.StorePing(ctx, warehouse.Ping{Payload: []byte(`{"uuid": "a1", "recorded_at": "2026-12-02T12:00:00Z", "counts": {"issues": 8, "merge_requests": 2}}`)})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO metric_values (ping_id, key_path, value) VALUES (2, 'counts.merge_requests', 1), (2, 'counts.new', 4)`); err != nil {
				t.Fatalf("inserting into the view: %v", err)
			}
			want := fmt.Sprintf("counts.failed=-1@1 counts.issues=3@1 counts.issues=5@2 counts.merge_requests=1@2 counts.new=4@2 counts.issues=8@%d counts.merge_requests=2@%[1]d", st.ID)
			if got := values(t, db); got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
			var keys int
			db.QueryRowContext(ctx, `SELECT count(*) FROM metric_keys`).Scan(&keys)
			if keys != 4 {
				t.Errorf("%d key paths, want 4", keys)
			}
			if _, err := p.DownTo(ctx, 3); err != nil {
				t.Fatal(err)
			}
			if got := values(t, db); got != want {
				t.Errorf("migrated down\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestKeyIDsAcrossCollectors: collectors sharing a warehouse add the same
// new key paths, and on PostgreSQL the same week's partition, at once; each
// key path gets one id, which all of them use.
func TestKeyIDsAcrossCollectors(t *testing.T) {
	ctx := context.Background()
	dsns := map[string]string{
		warehouse.SQLite:   "sqlite:" + filepath.Join(t.TempDir(), "w.db"),
		warehouse.Postgres: warehousetest.PostgresDSN(t),
	}
	for dialect, dsn := range dsns {
		t.Run(dialect, func(t *testing.T) {
			var ws []*warehouse.Warehouse
			for range 2 {
				w, err := warehouse.Open(ctx, dsn, warehouse.Options{})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { w.Close() })
				ws = append(ws, w)
			}
			const senders, groups = 8, 5
			var wg sync.WaitGroup
			for i := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Every sender's ping has the groups' metrics, and one
					// of its own.
					var b strings.Builder
					fmt.Fprintf(&b, `{"uuid": "i%d", "recorded_at": "2026-11-25T12:00:00Z", "own_%d": %d`, i, i, i)
					for g := range groups {
						fmt.Fprintf(&b, `, "g%d": {"a": %d, "b": %d}`, g, i, -i)
					}
					b.WriteString("}")
					if _, err := ws[i%2].StorePing(ctx, warehouse.Ping{Payload: []byte(b.String())}); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			var keys, distinct, vals int
			db := ws[0].DB()
			db.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT key_path) FROM metric_keys`).Scan(&keys, &distinct)
			db.QueryRowContext(ctx, `SELECT count(*) FROM metric_values`).Scan(&vals)
			if keys != senders+2*groups || distinct != keys || vals != senders*(1+2*groups) {
				t.Errorf("%d key paths (%d distinct), %d values; want %d, %d", keys, distinct, vals, senders+2*groups, senders*(1+2*groups))
			}
			// A key path that one collector added, the other finds.
			if _, err := ws[1].StorePing(ctx, warehouse.Ping{Payload: []byte(`{"uuid": "i0", "recorded_at": "2026-12-02T12:00:00Z", "own_0": 9}`)}); err != nil {
				t.Fatal(err)
			}
			rows, err := db.QueryContext(ctx, `SELECT i.uuid FROM metric_values v JOIN pings p ON p.id = v.ping_id JOIN instances i ON i.uuid = p.uuid
				WHERE v.key_path = 'own_0' ORDER BY p.recorded_at`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []string
			for rows.Next() {
				var u string
				rows.Scan(&u)
				got = append(got, u)
			}
			if !slices.Equal(got, []string{"i0", "i0"}) {
				t.Errorf("own_0 in the pings of %v, want i0 twice", got)
			}
		})
	}
}
