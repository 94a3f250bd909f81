package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/internal/golden"
	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/internal/testservers"
	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
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
// the end), each with the application's tables, and returns each with the
// URL usagekit ping --database takes for it.
func databases(t *testing.T, now time.Time) map[string]appDatabase {
	litePath := filepath.Join(t.TempDir(), "app.db")
	lite, err := sql.Open("sqlite", litePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lite.Close() })
	appDB(t, lite, dbcount.SQLite, now)

	base := testservers.Postgres.URL()
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
	return map[string]appDatabase{
		dbcount.SQLite:   {lite, "sqlite:" + litePath},
		dbcount.Postgres: {pg, u.String()},
	}
}

// appDatabase is an application database and its URL for usagekit ping.
type appDatabase struct {
	db  *sql.DB
	url string
}

// TestEndToEnd tracks events through the generated functions into Redis,
// moves the clock a week on and computes the ping over Redis and each
// database twice: as the application does, with the generated Metrics (the
// payload is testdata/ping/e2e.json), and as usagekit ping does, from the
// YAML. Both payloads must be identical but for the metrics only the
// application computes (and the instance facts the command takes as flags).
func TestEndToEnd(t *testing.T) {
	rdb := redistest.Client(t, e2eRedisDB)
	rs := redisstore.New(rdb, redisstore.Options{})
	var clock atomic.Pointer[time.Time]
	set := func(t time.Time) { clock.Store(&t) }
	now := func() time.Time { return *clock.Load() }
	set(time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)) // Monday of ISO 2026-W47
	ctx := context.Background()
	tr := track.New(track.Options{Store: rs, Sync: true, Now: now})
	defer tr.Close(ctx)
	ctx = track.NewContext(ctx, tr)
	trackWeek47(ctx)

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
				Engine:   metric.NewEngine(metric.EngineOptions{Store: rs, DB: db.db, Now: now, Timeout: time.Second}),
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
			golden.Check(t, "testdata/ping/e2e.json", b)
			if first == nil {
				first = b
			} else if !bytes.Equal(first, b) {
				t.Errorf("PostgreSQL and SQLite payloads differ")
			}
			checkAppErrors(t, pl)
			fromYAML := pingFromYAML(t, redistest.Options(t, e2eRedisDB), db.url)
			compareWithoutApplication(t, b, fromYAML)
		})
	}
}

// trackWeek47 tracks the events of ISO week 2026-47.
func trackWeek47(ctx context.Context) {
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
}

// checkAppErrors checks that the application metrics that fail (an error,
// a panic, a timeout) fail alone, with their errors in the metadata.
func checkAppErrors(t *testing.T, pl *ping.Payload) {
	t.Helper()
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
}

// pingFromYAML runs usagekit ping over definitions/ against the same Redis
// database and application database, and returns its payload.
func pingFromYAML(t *testing.T, ropt *redis.Options, dbURL string) []byte {
	t.Helper()
	redisURL := fmt.Sprintf("redis://%s/%d", ropt.Addr, ropt.DB)
	var stdout, stderr bytes.Buffer
	code := run([]string{"ping", "--definitions", "../../../definitions", "--redis", redisURL, "--database", dbURL,
		"--now", "2026-11-25T12:00:00Z", "--uuid", "1c1e6b5e-0b8e-4f37-9d55-6d1f2c0b4a7e", "--hostname", "forge.example.com",
		"--version", "2.3.0", "--timeout", "1s"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("usagekit ping: exit %d: %s", code, stderr.String())
	}
	return stdout.Bytes()
}

// compareWithoutApplication compares two payloads key path by key path,
// leaving out the metrics only the application computes: their values in
// the application's ping are its own, and usagekit ping reports -1.
func compareWithoutApplication(t *testing.T, app, yaml []byte) {
	t.Helper()
	skip := map[string]bool{}
	for _, d := range generated.Metrics(nil) {
		if d.Application {
			skip[d.KeyPath] = true
		}
	}
	a, y := flatten(t, app), flatten(t, yaml)
	compared := 0
	for _, k := range slices.Sorted(maps.Keys(a)) {
		if skip[k] {
			continue
		}
		compared++
		if yv, ok := y[k]; !ok || yv != a[k] {
			t.Errorf("%s: the application's ping has %s, usagekit ping %s", k, a[k], y[k])
		}
	}
	for k := range y {
		if _, ok := a[k]; !ok {
			t.Errorf("%s: only in usagekit ping's payload", k)
		}
	}
	if compared < 40 {
		t.Errorf("compared %d metrics, want the 40 and more that the definitions compute", compared)
	}
}

// flatten reads a payload into key path -> JSON value.
func flatten(t *testing.T, payload []byte) map[string]string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(payload, &doc); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		if m, ok := v.(map[string]any); ok && prefix != "settings.collected_data_categories" {
			for k, e := range m {
				p := k
				if prefix != "" {
					p = prefix + "." + k
				}
				walk(p, e)
			}
			return
		}
		b, _ := json.Marshal(v)
		out[prefix] = string(b)
	}
	walk("", doc)
	return out
}
