package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/internal/golden"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
)

// pingRedisDB is the Redis database of the ping command's tests.
const pingRedisDB = 9

// pingRedis empties database pingRedisDB and returns its URL and a client.
func pingRedis(t *testing.T) (string, *redis.Client) {
	t.Helper()
	base := os.Getenv("REDIS_URL")
	if base == "" {
		base = "redis://127.0.0.1:6379"
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/9"
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opt)
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", base, err)
	}
	t.Cleanup(func() {
		c.FlushDB(context.Background())
		c.Close()
	})
	return u.String(), c
}

var pingNow = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // ISO 2026-W48

// seedPing writes counters as the tracker would have over the last weeks and
// a SQLite database with the tables the database metrics read.
func seedPing(t *testing.T, c *redis.Client) string {
	t.Helper()
	cur := keys.WeekOf(pingNow)
	var b store.Batch
	incr := func(key string, by float64, w keys.Week) {
		b.Incrs = append(b.Incrs, store.Incr{Key: key + w.Suffix(), By: by}, store.Incr{Key: key, By: by})
	}
	add := func(key string, w keys.Week, members ...string) {
		b.Adds = append(b.Adds, store.Add{Key: key + w.Suffix(), Members: members})
	}
	for i, w := range []keys.Week{cur.Add(-4), cur.Add(-2), cur.Add(-1), cur} {
		incr(keys.Counter("create_issue", nil), float64(10+i), w)
		incr(keys.Counter("merge_merge_request", nil), float64(2*i+1), w)
		add(keys.Unique("create_issue", nil, event.UniqueUser), w, "1", "2", strings.Repeat("3", i+1))
		add(keys.Unique("search_code", nil, event.UniqueUser), w, "5", "6")
	}
	incr(keys.Counter("create_issue", event.Filter{{Property: "confidential", Value: "true"}}), 4, cur.Add(-1))
	b.Incrs = append(b.Incrs, store.Incr{Key: "USAGE_WEB_IDE_COMMITS", By: 17})
	b.Adds = append(b.Adds, store.Add{Key: "{hll_counters}_g_project_management_issue_title_changed" + cur.Add(-1).Suffix(), Members: []string{"1", "2", "3"}})
	if err := redisstore.New(c, redisstore.Options{}).Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "app.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`CREATE TABLE issues (id integer PRIMARY KEY, project_id integer, weight integer, state_id integer, created_at timestamp)`,
		`CREATE TABLE merge_requests (id integer PRIMARY KEY, author_id integer, created_at timestamp)`,
		`CREATE TABLE projects (id integer PRIMARY KEY, visibility_level integer, created_at timestamp)`,
		`CREATE TABLE ci_pipelines (id integer PRIMARY KEY, duration real, status text, finished_at timestamp, created_at timestamp)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		at := pingNow.Add(-time.Duration(i) * 20 * time.Hour)
		exec := func(q string, args ...any) {
			if _, err := db.Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
		exec(`INSERT INTO issues VALUES (?, ?, ?, ?, ?)`, i+1, i%4+1, i%5, i%2+1, at)
		exec(`INSERT INTO merge_requests VALUES (?, ?, ?)`, i+1, i%7+1, at)
		exec(`INSERT INTO projects VALUES (?, ?, ?)`, i+1, []int{0, 10, 20}[i%3], at)
		exec(`INSERT INTO ci_pipelines VALUES (?, ?, ?, ?, ?)`, i+1, float64(60+i), []string{"success", "failed"}[i%2], at, at)
	}
	return path
}

func TestPingPreview(t *testing.T) {
	redisURL, c := pingRedis(t)
	dbPath := seedPing(t, c)
	var stdout, stderr bytes.Buffer
	code := run([]string{"ping", "--definitions", "../../../definitions", "--redis", redisURL, "--database", "sqlite:" + dbPath,
		"--now", "2026-11-25T12:00:00Z", "--uuid", "1c1e6b5e-0b8e-4f37-9d55-6d1f2c0b4a7e", "--hostname", "forge.example.com",
		"--version", "2.3.0", "--metadata"}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	wantErr := "usagekit ping: 11 metrics of the generated Instrumentation interface report -1: only the application computes them\n"
	if stderr.String() != wantErr {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr.String(), wantErr)
	}
	var noDB bytes.Buffer
	if code := run([]string{"ping", "--definitions", "../../../definitions", "--redis", redisURL}, io.Discard, &noDB); code != exitOK ||
		noDB.String() != wantErr+"usagekit ping: 13 database metrics report -1: give --database postgres://... or sqlite:PATH\n" {
		t.Errorf("without --database: exit %d, stderr:\n%s", code, noDB.String())
	}
	// time_elapsed varies from run to run; the golden keeps names and errors.
	var got struct {
		Payload  json.RawMessage `json:"payload"`
		Metadata struct {
			UUID       string `json:"uuid"`
			RecordedAt string `json:"recorded_at"`
			Metrics    []struct {
				Name  string `json:"name"`
				Error string `json:"error"`
			} `json:"metrics"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	var payload bytes.Buffer
	json.Indent(&payload, got.Payload, "", "  ")
	payload.WriteByte('\n')
	golden.Check(t, "testdata/ping/payload.json", payload.Bytes())
	var meta strings.Builder
	for _, m := range got.Metadata.Metrics {
		meta.WriteString(m.Name)
		if m.Error != "" {
			meta.WriteString(": " + m.Error)
		}
		meta.WriteByte('\n')
	}
	golden.Check(t, "testdata/ping/metadata.txt", []byte(meta.String()))
}

func TestPingSend(t *testing.T) {
	redisURL, c := pingRedis(t)
	seedPing(t, c)
	var mu sync.Mutex
	got := map[string][]byte{}
	status := http.StatusOK
	failures := 0 // requests to answer 503 before status
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got[r.URL.Path] = b
		if failures > 0 {
			failures--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	args := []string{"ping", "--definitions", "../../../definitions", "--redis", redisURL, "--now", "2026-11-25T12:00:00Z",
		"--uuid", "u-9", "--send", srv.URL + "/usage_data"}
	var stdout, stderr bytes.Buffer
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if want := "sent 57 metrics to " + srv.URL + "/usage_data (uuid u-9, recorded_at 2026-11-25T12:00:00Z)\n"; stdout.String() != want {
		t.Errorf("stdout %q, want %q", stdout.String(), want)
	}
	var payload map[string]any
	if err := json.Unmarshal(got["/usage_data"], &payload); err != nil || payload["uuid"] != "u-9" {
		t.Errorf("payload %s: %v", got["/usage_data"], err)
	}
	if !bytes.Contains(got["/usage_data/metadata"], []byte(`"metadata":{"uuid":"u-9"`)) {
		t.Errorf("metadata %s", got["/usage_data/metadata"])
	}
	mu.Lock()
	status = http.StatusForbidden
	mu.Unlock()
	stdout.Reset()
	stderr.Reset()
	if code := run(args, &stdout, &stderr); code != exitProblems || !strings.Contains(stderr.String(), "403 Forbidden") ||
		!strings.HasPrefix(stderr.String(), "usagekit ping: sending payload to "+srv.URL+"/usage_data: ping: collector rejected") {
		t.Errorf("rejected: exit %d, stderr %s", code, stderr.String())
	}

	// A collector that fails once: the command says why it waits.
	mu.Lock()
	status, failures = http.StatusOK, 1
	mu.Unlock()
	stderr.Reset()
	if code := run(args, io.Discard, &stderr); code != exitOK ||
		!strings.Contains(stderr.String(), "usagekit ping: posting to "+srv.URL+"/usage_data failed (503 Service Unavailable") ||
		!strings.Contains(stderr.String(), "; attempt 2 in ") {
		t.Errorf("retried: exit %d, stderr %s", code, stderr.String())
	}
}

func TestPingUsage(t *testing.T) {
	redisURL, _ := pingRedis(t)
	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, "metrics"), 0o755)
	os.WriteFile(filepath.Join(bad, "metrics", "x.yml"), []byte("key_path: x\n"), 0o644)
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"--redis", ""}, exitUsage, "usagekit ping: --redis URL (or $REDIS_URL) is required: event metrics are read from Redis\n"},
		{[]string{"--redis", redisURL, "--send", "http://127.0.0.1:1"}, exitUsage, "usagekit ping: --send needs --uuid: the collector tells instances apart by it\n"},
		{[]string{"--redis", redisURL, "--now", "yesterday"}, exitUsage,
			"usagekit ping: --now \"yesterday\": want RFC 3339 (2026-11-25T12:00:00Z) or a date (2026-11-25)\n"},
		{[]string{"--redis", redisURL, "--database", "mysql://x"}, exitUsage, "usagekit ping: --database: \"mysql://x\": want postgres://... or sqlite:PATH\n"},
		{[]string{"--redis", redisURL, "definitions"}, exitUsage, "usagekit ping: unexpected argument \"definitions\"; definitions are given with --definitions\n"},
		{[]string{"--redis", "redis://127.0.0.1:1"}, exitUsage, "usagekit ping: connecting to Redis at 127.0.0.1:1: "},
		{[]string{"--redis", redisURL, "--definitions", bad}, exitProblems, "usagekit ping: 10 problems in the definitions; nothing was computed\n"},
		{[]string{"--redis", redisURL, "--definitions", t.TempDir()}, exitUsage, "usagekit ping: no definitions found in "},
		{[]string{"--redis", redisURL, "--database", "sqlite:typo.db"}, exitUsage,
			"usagekit ping: --database: \"sqlite:typo.db\": stat typo.db: no such file or directory\n"},
		{[]string{"--redis", redisURL, "--database", "sqlite:."}, exitUsage, "usagekit ping: --database: \"sqlite:.\": . is not a file\n"},
		{[]string{"--redis", "notaurl"}, exitUsage, "usagekit ping: --redis \"notaurl\": want redis://[user:password@]host[:port][/db] or rediss://... ("},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(append([]string{"ping", "--definitions", "../../../definitions"}, tt.args...), &stdout, &stderr)
		if code != tt.code || !strings.Contains(stderr.String(), tt.stderr) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d, stderr containing %q", tt.args, code, stderr.String(), tt.code, tt.stderr)
		}
	}
}
