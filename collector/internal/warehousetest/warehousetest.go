// Package warehousetest opens throwaway warehouses for tests: an SQLite
// file and a PostgreSQL schema of their own, so that every warehouse test
// runs on both databases.
package warehousetest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/internal/testservers"
)

// Open returns a fresh warehouse of each dialect, by dialect name: an
// SQLite file in the test's directory, and a PostgreSQL schema dropped when
// the test ends.
func Open(t testing.TB, opt warehouse.Options) map[string]*warehouse.Warehouse {
	t.Helper()
	return map[string]*warehouse.Warehouse{
		warehouse.SQLite:   OpenSQLite(t, opt),
		warehouse.Postgres: OpenPostgres(t, opt),
	}
}

// OpenSQLite returns a fresh SQLite warehouse.
func OpenSQLite(t testing.TB, opt warehouse.Options) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "warehouse.db"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// PostgresDSN creates a schema of its own in the test database and returns
// the address of the database with that schema first on the search path.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	admin, err := sql.Open("pgx", testservers.Postgres.URL())
	if err != nil {
		t.Fatal(err)
	}
	schema := fmt.Sprintf("usagekit_test_%d_%d", os.Getpid(), rand.Uint32())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		admin.Close()
		t.Fatalf("PostgreSQL at %s: %v", testservers.Postgres.URL(), err)
	}
	t.Cleanup(func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	})
	u, err := url.Parse(testservers.Postgres.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres returns a fresh PostgreSQL warehouse.
func OpenPostgres(t testing.TB, opt warehouse.Options) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), PostgresDSN(t), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// Ping is a ping of instance uuid in ISO week wk ("2026-W47"), recorded on
// its Tuesday at hour h, with one value, issues, at counts.issues: the
// weekly datasets of the series and dashboard tests are made of them.
func Ping(t testing.TB, uuid, wk string, h int, version, edition string, issues float64) warehouse.Ping {
	t.Helper()
	week, err := warehouse.ParseWeek(wk)
	if err != nil {
		t.Fatal(err)
	}
	at := week.Monday().AddDate(0, 0, 1).Add(time.Duration(h) * time.Hour)
	return warehouse.Ping{Payload: fmt.Appendf(nil, `{"uuid": %q, "recorded_at": %q, "hostname": "%s.example.com", "version": %q, "edition": %q, "counts": {"issues": %v}}`,
		uuid, at.Format(time.RFC3339), uuid, version, edition, issues)}
}

// SmallPings is the small dataset of the series and dashboard tests:
// instances a, b and c over 2026-W45 to W47, with a second, earlier ping
// of a in W46 (999) that its later one (20) replaces, failures (-1), a's
// upgrade to 17.2 in W47, and last a SaaS ping (source warehouse, 1000 in
// W47) that the instances' series leave out.
func SmallPings(t testing.TB) []warehouse.Ping {
	t.Helper()
	saas := Ping(t, "saas", "2026-W47", 1, "17.2", "ultimate", 1000)
	saas.Source = warehouse.SourceWarehouse
	return []warehouse.Ping{
		Ping(t, "a", "2026-W45", 1, "17.1", "free", 10),
		Ping(t, "a", "2026-W46", 1, "17.1", "free", 999),
		Ping(t, "a", "2026-W46", 5, "17.1", "free", 20),
		Ping(t, "a", "2026-W47", 1, "17.2", "free", -1),
		Ping(t, "b", "2026-W45", 1, "17.2", "premium", 5),
		Ping(t, "b", "2026-W46", 1, "17.2", "premium", -1),
		Ping(t, "b", "2026-W47", 1, "17.2", "premium", 7),
		Ping(t, "c", "2026-W46", 1, "17.1", "premium", 3),
		Ping(t, "c", "2026-W47", 1, "17.1", "premium", 4),
		saas,
	}
}
