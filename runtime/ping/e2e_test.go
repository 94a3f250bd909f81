package ping_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/internal/redistest"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/ping"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
	"github.com/usagekit/usagekit/runtime/track"
)

// e2eRedisDB is the Redis database of the end-to-end test.
const e2eRedisDB = 10

// app is the application's side of the generated Instrumentation interface.
type app struct{}

var _ generated.Instrumentation = app{}

func (app) ActiveUserCount(context.Context) (int64, error)     { return 42, nil }
func (app) CountsWebIDECommits(context.Context) (int64, error) { return 7, nil }
func (app) Hostname(context.Context) (string, error)           { return "forge.example.com", nil }
func (app) InstallationType(context.Context) (string, error)   { return "docker", nil }
func (app) LicenseExpiresAt(context.Context) (string, error)   { return "2027-06-30", nil }
func (app) LicensePlan(context.Context) (string, error)        { return "premium", nil }
func (app) LicenseUserCount(context.Context) (int64, error)    { return 100, nil }
func (app) RecordedAt(context.Context) (string, error) {
	return "ignored: the ping records its own time", nil
}
func (app) RedisHLLCountersIssuesEditIssuesEditTotalUniqueCountsMonthly(context.Context) (int64, error) {
	return 0, fmt.Errorf("legacy tracker retired")
}
func (app) SettingsCollectedDataCategories(context.Context) (map[string]any, error) {
	return map[string]any{"categories": []string{"operational", "standard"}}, nil
}
func (app) SettingsContainerRegistryEnabled(context.Context) (bool, error) { return true, nil }
func (app) SettingsDatabaseAdapter(ctx context.Context) (string, error)    { return "postgresql", nil }
func (app) SettingsGitalyClusters(context.Context) (int64, error)          { panic("gitaly config not loaded") }
func (app) SettingsGitalyApdex(ctx context.Context) (int64, error) {
	<-ctx.Done() // Prometheus does not answer
	return 0, ctx.Err()
}
func (app) UUID(context.Context) (string, error)    { return "ignored", nil }
func (app) Version(context.Context) (string, error) { return "2.3.0", nil }

// appDB creates the application's tables in db and fills them.
func appDB(t *testing.T, db *sql.DB, dialect string, now time.Time) {
	t.Helper()
	ts, ph := "timestamptz", func(n int) string { return fmt.Sprintf("$%d", n) }
	if dialect == dbcount.SQLite {
		ts, ph = "timestamp", func(int) string { return "?" }
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`CREATE TABLE issues (id bigint PRIMARY KEY, project_id bigint, weight bigint, state_id int, created_at ` + ts + `)`)
	exec(`CREATE TABLE merge_requests (id bigint PRIMARY KEY, author_id bigint, created_at ` + ts + `)`)
	exec(`CREATE TABLE projects (id bigint PRIMARY KEY, visibility_level int, created_at ` + ts + `)`)
	exec(`CREATE TABLE ci_pipelines (id bigint PRIMARY KEY, duration double precision, status text, finished_at ` + ts + `, created_at ` + ts + `)`)
	p := func(n int) string {
		s := ph(1)
		for i := 2; i <= n; i++ {
			s += ", " + ph(i)
		}
		return s
	}
	for i := range 60 {
		at := now.Add(-time.Duration(i) * 17 * time.Hour)
		exec(`INSERT INTO issues VALUES (`+p(5)+`)`, i+1, i%6+1, i%4, i%2+1, at)
		exec(`INSERT INTO merge_requests VALUES (`+p(3)+`)`, i+1, i%9+1, at)
		exec(`INSERT INTO projects VALUES (`+p(3)+`)`, i+1, []int{0, 10, 20}[i%3], at)
		var finished any = at
		if i%5 == 0 {
			finished = nil
		}
		exec(`INSERT INTO ci_pipelines VALUES (`+p(5)+`)`, i+1, float64(30+i%13), []string{"success", "failed", "success"}[i%3], finished, at)
	}
}

// databases opens SQLite and PostgreSQL (in a schema of its own, dropped at
// the end), each with the application's tables.
func databases(t *testing.T, now time.Time) map[string]*sql.DB {
	lite, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "app.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	appDB(t, lite, dbcount.SQLite, now)

	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("usagekit_e2e_%d_%d", os.Getpid(), rand.Uint32())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at DATABASE_URL: %v", err)
	}
	t.Cleanup(func() { admin.Exec("DROP SCHEMA " + schema + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	pg, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Close() })
	appDB(t, pg, dbcount.Postgres, now)
	return map[string]*sql.DB{dbcount.SQLite: lite, dbcount.Postgres: pg}
}

// TestEndToEnd tracks events through the generated functions into Redis,
// moves the clock a week on, computes the ping over Redis and each database,
// and compares it with testdata/e2e.json; then sends it to a collector.
func TestEndToEnd(t *testing.T) {
	rs := redisstore.New(redistest.Client(t, e2eRedisDB), redisstore.Options{})
	var clock atomic.Pointer[time.Time]
	set := func(t time.Time) { clock.Store(&t) }
	now := func() time.Time { return *clock.Load() }
	set(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)) // Monday of ISO 2026-W47
	ctx := context.Background()
	tr := track.New(track.Options{Store: rs, Sync: true, Now: now})
	defer tr.Close(ctx)
	ctx = track.NewContext(ctx, tr)

	// Week 47.
	for u := range event.UserID(3) {
		generated.TrackCreateIssue(ctx, u+1, 10, 100, generated.CreateIssueProperties{Label: "bug", Property: "web", Confidential: u == 1, Weight: 2})
	}
	generated.TrackCloseIssue(ctx, 4, 10, 100, generated.CloseIssueProperties{})
	generated.TrackMergeMergeRequest(ctx, 1, 10, 100, generated.MergeMergeRequestProperties{Value: 3, Squash: true})
	generated.TrackMergeMergeRequest(ctx, 2, 11, 100, generated.MergeMergeRequestProperties{Value: 5})
	generated.TrackSearchCode(ctx, 5, 10, 100, generated.SearchCodeProperties{Label: "blobs", Property: "project"})
	generated.TrackSearchCode(ctx, 5, 10, 100, generated.SearchCodeProperties{Label: "blobs", Property: "global"})
	generated.TrackSearchCode(ctx, 6, 12, 101, generated.SearchCodeProperties{Label: "commits", Property: "group"})
	generated.TrackPushToRepository(ctx, 7, 10, 100, generated.PushToRepositoryProperties{BranchProtected: true, Value: 2})
	generated.TrackPushToRepository(ctx, 8, 13, 100, generated.PushToRepositoryProperties{Value: 1})
	generated.TrackCompletePipeline(ctx, 10, 100, generated.CompletePipelineProperties{Label: "success", Value: 120})
	generated.TrackCompletePipeline(ctx, 10, 100, generated.CompletePipelineProperties{Label: "failed", Value: 30.5})
	generated.TrackGenerateMergeRequestSummary(ctx, 1, 10, 100, []event.NamespaceID{100})
	generated.TrackCreateProject(ctx, 1, 100, generated.CreateProjectProperties{})

	// A week later, in week 48: this week's events never count in 7d or
	// 28d, only in all-time totals.
	set(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC))
	generated.TrackCreateIssue(ctx, 9, 10, 100, generated.CreateIssueProperties{})
	generated.TrackCreateIssue(ctx, 1, 10, 100, generated.CreateIssueProperties{})
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	var first []byte
	for _, name := range []string{dbcount.Postgres, dbcount.SQLite} {
		db := databases(t, now())[name]
		t.Run(name, func(t *testing.T) {
			p := ping.New(ping.Options{
				Engine:   metric.NewEngine(metric.EngineOptions{Store: rs, DB: db, Now: now, Timeout: time.Second}),
				Metrics:  generated.Metrics(app{}),
				Instance: ping.Instance{UUID: "1c1e6b5e-0b8e-4f37-9d55-6d1f2c0b4a7e", Version: "2.3.0", Hostname: "forge.example.com"},
			})
			pl, err := p.Build(ctx)
			if err != nil {
				t.Fatal(err)
			}
			b, err := json.MarshalIndent(pl, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			golden(t, "e2e.json", b)
			if first == nil {
				first = b
			} else if !bytes.Equal(first, b) {
				t.Errorf("PostgreSQL and SQLite payloads differ")
			}
			errs := map[string]string{}
			for _, m := range pl.Metrics {
				if m.Error != "" {
					errs[m.Name] = m.Error
				}
			}
			want := map[string]string{
				"redis_hll_counters.issues_edit.issues_edit_total_unique_counts_monthly": "legacy tracker retired",
				"settings.gitaly.clusters": "metric: panicked: gitaly config not loaded",
				"settings.gitaly_apdex":    "metric: timed out after 1s",
			}
			if fmt.Sprint(errs) != fmt.Sprint(want) {
				t.Errorf("metric errors:\n got %v\nwant %v", errs, want)
			}

			// Sent through a collector that fails once, the same document
			// arrives once.
			c := newCollector(t, map[string][]step{"/": {{status: 503}}})
			if err := ping.NewClient(c.URL, fast(ping.ClientOptions{Gzip: true})).Send(ctx, pl); err != nil {
				t.Fatal(err)
			}
			stored := c.stored("/")
			var sent bytes.Buffer
			if len(stored) == 1 {
				json.Indent(&sent, []byte(stored[0]), "", "  ")
				sent.WriteByte('\n')
			}
			if !bytes.Equal(sent.Bytes(), b) {
				t.Errorf("collector stored %d payloads; the one sent differs from the preview:\n%s", len(stored), sent.String())
			}
		})
	}
}
