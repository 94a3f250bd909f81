package dbcount_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"

	"github.com/usagekit/usagekit/runtime/dbcount"
)

// now pins the clock of every window in these tests.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func databaseURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// openPostgres connects to the test database and creates a table of its own,
// dropped when the test ends.
func openPostgres(t testing.TB) (*sql.DB, string) {
	t.Helper()
	db, err := sql.Open("pgx", databaseURL())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL at DATABASE_URL: %v", err)
	}
	table := fmt.Sprintf("dbcount_test_%d_%d", os.Getpid(), rand.Uint32())
	t.Cleanup(func() {
		db.Exec("DROP TABLE IF EXISTS " + table)
		db.Close()
	})
	return db, table
}

func openSQLite(t testing.TB) (*sql.DB, string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, "issues"
}

// row is one issue of the shared data set.
type row struct {
	id      int64
	userID  any // int64 or nil
	state   string
	weight  any // float64 or nil
	created time.Time
}

// dataset is the same for both databases: 1,000 issues, one every 1.5 hours
// back from now, a tenth without user, a seventh without weight.
func dataset() []row {
	rows := make([]row, 1000)
	for i := range rows {
		r := row{
			id:      int64(i + 1),
			userID:  int64(i%37 + 1),
			state:   []string{"opened", "closed", "locked"}[i%3],
			weight:  float64(i%11) + 0.5,
			created: now.Add(-time.Duration(i) * 90 * time.Minute),
		}
		if i%10 == 0 {
			r.userID = nil
		}
		if i%7 == 0 {
			r.weight = nil
		}
		rows[i] = r
	}
	return rows
}

func load(t testing.TB, db *sql.DB, table, dialect string) {
	t.Helper()
	ts, ph := "timestamptz", func(n int) string { return fmt.Sprintf("$%d", n) }
	if dialect == dbcount.SQLite {
		ts, ph = "timestamp", func(int) string { return "?" }
	}
	if _, err := db.Exec(fmt.Sprintf(`CREATE TABLE %s (id bigint PRIMARY KEY, user_id bigint, state text NOT NULL,
		weight double precision, created_at %s NOT NULL)`, table, ts)); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	ins := fmt.Sprintf("INSERT INTO %s VALUES (%s, %s, %s, %s, %s)", table, ph(1), ph(2), ph(3), ph(4), ph(5))
	for _, r := range dataset() {
		if _, err := tx.Exec(ins, r.id, r.userID, r.state, r.weight, r.created); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// expect computes the answers in Go from the data set.
func expect(op dbcount.Operation, column, state string, from, to time.Time) any {
	var n, sum float64
	seen := map[any]bool{}
	for _, r := range dataset() {
		if state != "" && r.state != state {
			continue
		}
		if !to.IsZero() && (r.created.Before(from) || !r.created.Before(to)) {
			continue
		}
		var v any
		switch column {
		case "":
			v = r.id
		case "user_id":
			v = r.userID
		case "weight":
			v = r.weight
		case "state":
			v = r.state
		}
		if v == nil {
			continue
		}
		n++
		seen[v] = true
		if f, ok := v.(float64); ok {
			sum += f
		}
	}
	switch op {
	case dbcount.Count:
		return int64(n)
	case dbcount.DistinctCount:
		return int64(len(seen))
	case dbcount.Sum:
		return sum
	}
	if n == 0 {
		return float64(0)
	}
	return sum / n
}

func TestRunPostgresAndSQLiteAgree(t *testing.T) {
	pg, pgTable := openPostgres(t)
	load(t, pg, pgTable, dbcount.Postgres)
	lite, liteTable := openSQLite(t)
	load(t, lite, liteTable, dbcount.SQLite)

	d28 := dbcount.Window{From: now.Add(-30 * 24 * time.Hour), To: now.Add(-2 * 24 * time.Hour)}
	d7 := dbcount.Window{From: now.Add(-9 * 24 * time.Hour), To: now.Add(-2 * 24 * time.Hour)}
	tests := []struct {
		name   string
		q      dbcount.Query
		w      dbcount.Window
		filter string // state the where clause selects
	}{
		{name: "count", q: dbcount.Query{Operation: "count"}},
		{name: "count column skips nulls", q: dbcount.Query{Operation: "count", Column: "user_id"}},
		{name: "count where", q: dbcount.Query{Operation: "count", Where: "state = 'closed'"}, filter: "closed"},
		{name: "count 28d", q: dbcount.Query{Operation: "count"}, w: d28},
		{name: "count 7d where", q: dbcount.Query{Operation: "count", Where: "state = 'opened'"}, w: d7, filter: "opened"},
		{name: "distinct", q: dbcount.Query{Operation: "distinct_count", Column: "user_id"}},
		{name: "distinct 28d", q: dbcount.Query{Operation: "distinct_count", Column: "user_id"}, w: d28},
		{name: "distinct text column", q: dbcount.Query{Operation: "distinct_count", Column: "state"}},
		{name: "sum", q: dbcount.Query{Operation: "sum", Column: "weight"}},
		{name: "sum 7d", q: dbcount.Query{Operation: "sum", Column: "weight"}, w: d7},
		{name: "average", q: dbcount.Query{Operation: "average", Column: "weight"}},
		{name: "average where 28d", q: dbcount.Query{Operation: "average", Column: "weight", Where: "state <> 'locked' AND weight > 2"}, w: d28},
		{name: "average of nothing", q: dbcount.Query{Operation: "average", Column: "weight", Where: "state = 'none'"}, filter: "none"},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := expect(tt.q.Operation, tt.q.Column, tt.filter, tt.w.From, tt.w.To)
			if strings.Contains(tt.q.Where, "weight > 2") {
				want = nil // checked for agreement only
			}
			var got []any
			for _, batch := range []int64{0, 7, 64} {
				for _, c := range []struct {
					db    *sql.DB
					table string
				}{{pg, pgTable}, {lite, liteTable}} {
					// One worker, the default two, and more workers than
					// batches: the same answer whoever counts which range.
					for _, workers := range []int{1, 0, 5} {
						q := tt.q
						q.Table = c.table
						v, st, err := dbcount.New(c.db, dbcount.Options{Workers: workers, BatchSize: batch}).RunStats(ctx, q, tt.w)
						if err != nil {
							t.Fatal(err)
						}
						if batch == 7 && tt.q.Column != "state" && st.Batches < 2 { // a text column is counted in one statement
							t.Errorf("batch 7, %d workers: %d batches", workers, st.Batches)
						}
						got = append(got, v)
					}
				}
			}
			for i, v := range got {
				if !same(v, got[0]) {
					t.Errorf("answer %d = %v (%T), answer 0 = %v (%T)", i, v, v, got[0], got[0])
				}
			}
			if want != nil && !same(got[0], want) {
				t.Errorf("got %v (%T), want %v (%T)", got[0], got[0], want, want)
			}
		})
	}
}

// same compares answers; float sums may differ in the last bits between
// databases because they add in different orders.
func same(a, b any) bool {
	fa, ok1 := a.(float64)
	fb, ok2 := b.(float64)
	if ok1 && ok2 {
		d := fa - fb
		return d < 1e-9*max(1, fa) && -d < 1e-9*max(1, fa)
	}
	return a == b
}

func TestRunRejects(t *testing.T) {
	lite, table := openSQLite(t)
	load(t, lite, table, dbcount.SQLite)
	tests := []struct {
		q    dbcount.Query
		w    dbcount.Window
		opt  dbcount.Options
		want string
		is   error
	}{
		{q: dbcount.Query{Operation: "median", Table: table, Column: "weight"}, is: dbcount.ErrOperation,
			want: `dbcount: unsupported operation "median": want count, distinct_count, sum or average`},
		{q: dbcount.Query{Operation: "count", Table: `issues"; DROP TABLE issues; --`}, is: dbcount.ErrIdentifier,
			want: `dbcount: invalid identifier: table "issues\"; DROP TABLE issues; --": want letters, digits and underscores, not starting with a digit`},
		{q: dbcount.Query{Operation: "count", Table: "a.b.c"}, is: dbcount.ErrIdentifier,
			want: `dbcount: invalid identifier: table "a.b.c" has more than one dot`},
		{q: dbcount.Query{Operation: "sum", Table: table, Column: "1weight"}, is: dbcount.ErrIdentifier,
			want: `dbcount: invalid identifier: column "1weight": want letters, digits and underscores, not starting with a digit`},
		{q: dbcount.Query{Operation: "sum", Table: table}, is: dbcount.ErrIdentifier,
			want: `dbcount: invalid identifier: sum needs a column`},
		{q: dbcount.Query{Operation: "count", Table: table, TimestampColumn: "created at"}, w: dbcount.Window{To: now}, is: dbcount.ErrIdentifier,
			want: `dbcount: invalid identifier: timestamp column "created at": want letters, digits and underscores, not starting with a digit`},
		{q: dbcount.Query{Operation: "count", Table: table, Where: "true; DELETE FROM issues"}, is: dbcount.ErrWhere,
			want: `dbcount: invalid where clause: "true; DELETE FROM issues" contains a semicolon`},
		{q: dbcount.Query{Operation: "count", Table: table, Where: "true -- and more"}, is: dbcount.ErrWhere,
			want: `dbcount: invalid where clause: "true -- and more" contains a comment`},
		{q: dbcount.Query{Operation: "count", Table: table, Where: "true /* x */"}, is: dbcount.ErrWhere,
			want: `dbcount: invalid where clause: "true /* x */" contains a comment`},
		{q: dbcount.Query{Operation: "count", Table: table, Where: "state = 'it''s"}, is: dbcount.ErrWhere,
			want: `dbcount: invalid where clause: "state = 'it''s" has an unterminated string`},
		{q: dbcount.Query{Operation: "count", Table: table}, opt: dbcount.Options{Dialect: "oracle"}, is: dbcount.ErrDialect,
			want: `dbcount: unknown SQL dialect "oracle": set Options.Dialect to "postgres" or "sqlite"`},
		{q: dbcount.Query{Operation: "count", Table: table}, opt: dbcount.Options{PrimaryKey: "id;"}, is: dbcount.ErrIdentifier,
			want: `dbcount: invalid identifier: primary key "id;": want letters, digits and underscores, not starting with a digit`},
	}
	for _, tt := range tests {
		_, err := dbcount.New(lite, tt.opt).Run(context.Background(), tt.q, tt.w)
		if err == nil || err.Error() != tt.want || !errors.Is(err, tt.is) {
			t.Errorf("%+v:\n got %v\nwant %s", tt.q, err, tt.want)
		}
	}
	// A semicolon or dashes inside a string literal are data, not SQL.
	v, err := dbcount.New(lite, dbcount.Options{}).Run(context.Background(),
		dbcount.Query{Operation: "count", Table: table, Where: "state <> 'a;b -- c'"}, dbcount.Window{})
	if err != nil || v != int64(1000) {
		t.Errorf("quoted semicolon: got %v, %v; want 1000", v, err)
	}
	// A missing table is the database's error, wrapped.
	_, err = dbcount.New(lite, dbcount.Options{}).Run(context.Background(), dbcount.Query{Operation: "count", Table: "nothing"}, dbcount.Window{})
	if err == nil || !strings.Contains(err.Error(), `dbcount: bounds of "id" on "nothing": `) {
		t.Errorf("missing table: %v", err)
	}
}

func init() {
	// usagekit_sleep(ms) lets the SQLite tests make statements slow.
	sqlite.MustRegisterScalarFunction("usagekit_sleep", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		time.Sleep(time.Duration(args[0].(int64)) * time.Millisecond)
		return int64(1), nil
	})
}

func TestHalvesCancelledBatches(t *testing.T) {
	pg, pgTable := openPostgres(t)
	load(t, pg, pgTable, dbcount.Postgres)
	lite, liteTable := openSQLite(t)
	load(t, lite, liteTable, dbcount.SQLite)
	// Every row sleeps 2ms: a 400-row batch takes 0.8s, far over the 100ms
	// statement timeout; halving reaches a size that fits.
	for _, c := range []struct {
		name, table, where string
		db                 *sql.DB
	}{
		{"postgres", pgTable, "pg_sleep(0.002) IS NOT NULL", pg},
		{"sqlite", liteTable, "usagekit_sleep(2) = 1", lite},
	} {
		t.Run(c.name, func(t *testing.T) {
			q := dbcount.Query{Operation: "count", Table: c.table, Where: c.where + " AND id <= 400"}
			v, st, err := dbcount.New(c.db, dbcount.Options{StatementTimeout: 100 * time.Millisecond, BatchSize: 400}).RunStats(context.Background(), q, dbcount.Window{})
			if err != nil {
				t.Fatal(err)
			}
			if v != int64(400) {
				t.Errorf("count = %v, want 400", v)
			}
			if st.Cancelled < 2 || st.BatchSize > 100 {
				t.Errorf("stats %+v: want at least two cancellations and a batch of at most 100", st)
			}
			// At a floor of 200 rows a batch the database cancels every
			// attempt: the query fails instead of looping.
			_, _, err = dbcount.New(c.db, dbcount.Options{StatementTimeout: 100 * time.Millisecond, MinBatchSize: 200, BatchSize: 400}).RunStats(context.Background(), q, dbcount.Window{})
			if !errors.Is(err, dbcount.ErrCanceled) {
				t.Errorf("with MinBatchSize 200: err = %v, want ErrCanceled", err)
			}
			// The connection's statement_timeout was reset before it went
			// back to the pool.
			if c.name == "postgres" {
				var timeout string
				if err := c.db.QueryRow("SHOW statement_timeout").Scan(&timeout); err != nil || timeout != "0" {
					t.Errorf("statement_timeout after run = %q, %v; want 0", timeout, err)
				}
			}
		})
	}
}

func TestContextCancelIsNotHalved(t *testing.T) {
	lite, table := openSQLite(t)
	load(t, lite, table, dbcount.SQLite)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, st, err := dbcount.New(lite, dbcount.Options{BatchSize: 1000}).RunStats(ctx,
		dbcount.Query{Operation: "count", Table: table, Where: "usagekit_sleep(5) = 1"}, dbcount.Window{})
	if err == nil || st.Cancelled != 0 {
		t.Errorf("err = %v, stats %+v: want an error and no halving when the caller gives up", err, st)
	}
}

func TestSparseRangeBoundsStatements(t *testing.T) {
	lite, _ := openSQLite(t)
	if _, err := lite.Exec(`CREATE TABLE events (id integer PRIMARY KEY, user_id integer)`); err != nil {
		t.Fatal(err)
	}
	// Three rows spread over ids 1 to 3e12: batches of 100,000 would take
	// thirty million statements.
	for _, id := range []int64{1, 1_500_000_000_000, 3_000_000_000_000} {
		if _, err := lite.Exec(`INSERT INTO events VALUES (?, ?)`, id, id%7); err != nil {
			t.Fatal(err)
		}
	}
	v, st, err := dbcount.New(lite, dbcount.Options{MaxBatches: 50}).RunStats(context.Background(),
		dbcount.Query{Operation: "count", Table: "events"}, dbcount.Window{})
	if err != nil || v != int64(3) || st.Batches > 50 {
		t.Errorf("count %v, %+v, %v; want 3 in at most 50 statements", v, st, err)
	}
}

func TestDefaultBatchSizes(t *testing.T) {
	lite, table := openSQLite(t)
	load(t, lite, table, dbcount.SQLite)
	for _, tt := range []struct {
		op     dbcount.Operation
		column string
		want   int64
	}{
		{dbcount.Count, "", dbcount.CountBatch},
		{dbcount.DistinctCount, "user_id", dbcount.DistinctBatch},
		{dbcount.Sum, "weight", dbcount.SumBatch},
		{dbcount.Average, "weight", dbcount.AverageBatch},
	} {
		_, st, err := dbcount.New(lite, dbcount.Options{}).RunStats(context.Background(),
			dbcount.Query{Operation: tt.op, Table: table, Column: tt.column}, dbcount.Window{})
		if err != nil || st.BatchSize != tt.want {
			t.Errorf("%s: batch size %d, %v; want GitLab's %d", tt.op, st.BatchSize, err, tt.want)
		}
	}
	if dbcount.CountBatch != 100_000 || dbcount.DistinctBatch != 10_000 || dbcount.SumBatch != 1_000 || dbcount.AverageBatch != 1_000 {
		t.Error("batch sizes differ from GitLab's (count 100k, distinct 10k, sum/average 1k)")
	}
}

// Queries running at once on a pool at its MaxOpenConns each get along with
// the connection they hold: none waits for a second one that only another
// waiting query could give back.
func TestWorkersWithinPoolLimit(t *testing.T) {
	pg, table := openPostgres(t)
	load(t, pg, table, dbcount.Postgres)
	pg.SetMaxOpenConns(2)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dbcount.New(pg, dbcount.Options{Workers: 2, BatchSize: 7})
	want := expect("count", "", "", time.Time{}, time.Time{})
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			v, err := c.Run(ctx, dbcount.Query{Operation: "count", Table: table}, dbcount.Window{})
			if err == nil && v != want {
				err = fmt.Errorf("count = %v, want %v", v, want)
			}
			errs <- err
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
