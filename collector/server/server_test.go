package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/server"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/internal/natstest"
	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/internal/testservers"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/natssink"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
	"github.com/usagekit/usagekit/runtime/track"
)

func TestMain(m *testing.M) {
	testservers.Main(m, testservers.Redis, testservers.Postgres, testservers.NATS)
}

// redisDB is the Redis database of this package's tests.
const redisDB = 14

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// start serves a collector on a free port until the test ends.
func start(t *testing.T, cfg server.Config) (*server.Collector, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	ln.Close()
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	ctx, cancel := context.WithCancel(context.Background())
	c, err := server.New(ctx, cfg)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		c.Close()
	})
	url := "http://" + cfg.Listen
	for deadline := time.Now().Add(10 * time.Second); ; {
		if resp, err := http.Get(url + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the collector does not answer at %s", url)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return c, url
}

// TestRedisAndWarehouseAgree tracks the same events, through the generated
// Track functions, into Redis and as records through JetStream into a
// collector's warehouse (PostgreSQL and SQLite, one collector each), then
// computes every event metric of definitions/ both ways: the ping's engine
// over Redis and the warehouse's SQL over the records. Totals and sums are
// equal; unique counts differ only by HyperLogLog's error.
func TestRedisAndWarehouseAgree(t *testing.T) {
	if testing.Short() {
		t.Skip("tracks 60,000 events")
	}
	const n = 60_000
	ctx := context.Background()
	rdb := redistest.Client(t, redisDB)
	rs := redisstore.New(rdb, redisstore.Options{})
	nc := natstest.Connect(t, "")
	stream, subject := natstest.Names(t, nc)
	sink, err := natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: subject})
	if err != nil {
		t.Fatal(err)
	}
	pipe, err := record.New(sink, record.Options{Secret: []byte("server-test-secret-0123456789abc"), FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
	tr := track.New(track.Options{Store: rs, FlushInterval: -1, Now: now, Records: pipe})
	tctx := track.NewContext(ctx, tr)

	// Five weeks and a half, up to the metrics' time in ISO week 2026-W48,
	// whose events count only in all-time totals.
	start0 := time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC) // Monday of 2026-W43
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)    // Thursday of 2026-W48
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range n {
		clock.Store(start0.Add(time.Duration(rng.Int64N(int64(at.Sub(start0))))).UnixNano())
		trackOne(tctx, rng)
		if i%5000 == 4999 {
			if err := tr.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s := pipe.Stats(); s.Sent != n || s.Dropped != 0 {
		t.Fatalf("record pipeline: %+v, want %d sent", s, n)
	}

	set, err := generator.Load("../../definitions")
	if err != nil {
		t.Fatal(err)
	}
	var ds []*metric.Descriptor
	for _, d := range set.Descriptors() {
		if d.DataSource == "internal_events" && !d.Application {
			ds = append(ds, d)
		}
	}
	engine := metric.NewEngine(metric.EngineOptions{Store: rs, Now: func() time.Time { return at }})
	fromRedis := engine.Compute(ctx, ds)

	warehouses := map[string]string{
		warehouse.Postgres: warehousetest.PostgresDSN(t),
		warehouse.SQLite:   "sqlite:" + t.TempDir() + "/warehouse.db",
	}
	for name, dsn := range warehouses {
		t.Run(name, func(t *testing.T) {
			c, _ := start(t, server.Config{Database: dsn, NATS: natstest.URL(), Stream: stream, Consumer: "agree-" + name})
			waitRecords(t, c.Warehouse, n)
			fromSQL := c.Warehouse.EventMetrics(ctx, ds, at)
			uniques, worst := 0, 0.0
			for i, d := range ds {
				r, w := fromRedis[i], fromSQL[i]
				if r.Err != nil || w.Err != nil {
					t.Errorf("%s: Redis %v, warehouse %v", d.KeyPath, r.Err, w.Err)
					continue
				}
				rv, wv := number(r.Value), number(w.Value)
				if d.Events[0].Unique == 0 {
					if rv != wv {
						t.Errorf("%s: Redis %v, warehouse %v", d.KeyPath, r.Value, w.Value)
					}
					continue
				}
				uniques++
				worst = max(worst, math.Abs(rv-wv)/wv)
				if wv == 0 || math.Abs(rv-wv)/wv > 0.02 {
					t.Errorf("%s: Redis estimates %v, the warehouse counts %v: more than 2%% apart", d.KeyPath, rv, wv)
				}
			}
			t.Logf("%d metrics: totals and sums equal; %d unique counts within %.2f%%", len(ds), uniques, 100*worst)
			if uniques < 5 || len(ds)-uniques < 10 {
				t.Errorf("compared %d unique and %d total metrics: the definitions have more", uniques, len(ds)-uniques)
			}
		})
	}
}

func number(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	panic(fmt.Sprintf("not a number: %T", v))
}

// trackOne tracks one random event with random identifiers and
// properties, from sets small enough that every filter matches often.
func trackOne(ctx context.Context, rng *rand.Rand) {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	user := event.UserID(rng.IntN(20_000) + 1)
	project := event.ProjectID(rng.IntN(3_000) + 1)
	ns := event.NamespaceID(rng.IntN(400) + 1)
	switch rng.IntN(15) {
	case 0:
		generated.TrackApproveMergeRequest(ctx, user, project, ns)
	case 1:
		generated.TrackCloseIssue(ctx, user, project, ns, generated.CloseIssueProperties{Label: pick("issue", "incident", "task"), Property: pick("manual", "commit")})
	case 2:
		generated.TrackCloseMergeRequest(ctx, user, project, ns)
	case 3:
		generated.TrackCommentOnIssue(ctx, user, project, ns, generated.CommentOnIssueProperties{Label: pick("comment", "reply"), Length: rng.Int64N(500), Property: pick("web", "api")})
	case 4:
		generated.TrackCompletePipeline(ctx, project, ns, generated.CompletePipelineProperties{Label: pick("success", "failed", "canceled"), Value: float64(rng.IntN(4000)) / 4})
	case 5:
		generated.TrackCreateIssue(ctx, user, project, ns, generated.CreateIssueProperties{Confidential: rng.IntN(4) == 0, Label: pick("issue", "incident", "task"), Property: pick("web", "api", "email"), Weight: rng.Int64N(5)})
	case 6:
		generated.TrackCreateMergeRequest(ctx, user, project, ns, generated.CreateMergeRequestProperties{Draft: rng.IntN(2) == 0, Label: pick("default", "protected", "other"), Property: pick("web", "api")})
	case 7:
		generated.TrackCreatePipeline(ctx, user, project, ns, generated.CreatePipelineProperties{
			ConfigSource: pick2(rng, generated.CreatePipelineConfigSourceRepository, generated.CreatePipelineConfigSource("auto_devops")),
			Label:        pick("push", "web", "schedule", "merge_request_event"), Property: pick("branch", "tag"), StagesCount: rng.Int64N(6) + 1})
	case 8:
		generated.TrackCreateProject(ctx, user, ns, generated.CreateProjectProperties{FromTemplate: rng.IntN(3) == 0,
			ImportSource: pick2(rng, generated.CreateProjectImportSourceGithub, generated.CreateProjectImportSource("")), Label: pick("private", "public"), Property: pick("blank", "import")})
	case 9:
		generated.TrackGenerateMergeRequestSummary(ctx, user, project, ns, []event.NamespaceID{ns})
	case 10:
		generated.TrackMergeMergeRequest(ctx, user, project, ns, generated.MergeMergeRequestProperties{ReviewHours: float64(rng.IntN(100)) / 2, Squash: rng.IntN(2) == 0, Value: float64(rng.IntN(20) + 1)})
	case 11:
		generated.TrackPushToRepository(ctx, user, project, ns, generated.PushToRepositoryProperties{BranchProtected: rng.IntN(3) == 0, Value: float64(rng.IntN(10) + 1)})
	case 12:
		generated.TrackReopenIssue(ctx, user, project, ns)
	case 13:
		generated.TrackRetryPipelineJob(ctx, user, project, ns, generated.RetryPipelineJobProperties{Label: pick("failed", "canceled"), Property: pick("web", "api")})
	case 14:
		generated.TrackSearchCode(ctx, user, project, ns, generated.SearchCodeProperties{Label: pick("blobs", "commits"), Property: pick("project", "group", "global"),
			ResultsCount: rng.Int64N(100), Scope: pick2(rng, generated.SearchCodeScopeBlobs, generated.SearchCodeScope("commits"))})
	}
}

func pick2[T any](rng *rand.Rand, a, b T) T {
	if rng.IntN(2) == 0 {
		return a
	}
	return b
}

// waitRecords waits until the warehouse holds n records.
func waitRecords(t *testing.T, w *warehouse.Warehouse, n int) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); ; {
		var got int
		if err := w.DB().QueryRow(`SELECT count(*) FROM records`).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got == n {
			return
		}
		if got > n || time.Now().After(deadline) {
			t.Fatalf("the warehouse holds %d records, want %d", got, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The collector's configuration mistakes are errors at start that name
// what is wrong.
func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"demo without definitions", server.Config{Database: "sqlite:" + dir + "/a.db", Demo: true},
			"collector: --demo needs --definitions: the demo data are values of their metrics"},
		{"no NATS there", server.Config{Database: "sqlite:" + dir + "/b.db", NATS: "nats://127.0.0.1:1"},
			"collector: NATS at nats://127.0.0.1:1: nats: no servers available for connection"},
		{"no stream", server.Config{Database: "sqlite:" + dir + "/c.db", NATS: natstest.URL(), Stream: "NO_SUCH_STREAM"},
			"collector: loader: consumer usagekit-collector of stream NO_SUCH_STREAM: nats: API error: code=404 err_code=10059 description=stream not found"},
		{"definitions missing", server.Config{Database: "sqlite:" + dir + "/d.db", Definitions: dir + "/nowhere"},
			"collector: definitions: "},
		{"tokens missing", server.Config{Database: "sqlite:" + dir + "/e.db", TokensFile: dir + "/nowhere"},
			"collector: tokens: open " + dir + "/nowhere: no such file or directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Logger = quiet
			c, err := server.New(context.Background(), tt.cfg)
			if err == nil {
				c.Close()
				t.Fatalf("New succeeded, want %q", tt.want)
			}
			if !strings.HasPrefix(err.Error(), tt.want) || (!strings.HasSuffix(tt.want, ": ") && err.Error() != tt.want) {
				t.Errorf("New:\n got %s\nwant %s", err, tt.want)
			}
		})
	}
}

// With NATS the collector's /metrics include the loader's.
func TestMetricsIncludeLoader(t *testing.T) {
	nc := natstest.Connect(t, "")
	stream, subject := natstest.Names(t, nc)
	if _, err := natssink.New(context.Background(), nc, natssink.Options{Stream: stream, Subject: subject}); err != nil {
		t.Fatal(err)
	}
	_, url := start(t, server.Config{Database: "sqlite:" + t.TempDir() + "/w.db", NATS: natstest.URL(), Stream: stream})
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"usagekit_collector_received_total{kind=\"ping\"} 0\n", "usagekit_collector_loader_stored_total 0\n", "usagekit_collector_loader_pending_messages 0\n"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, body)
		}
	}
}
