package ping_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usagekit/internal/golden"
	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/ping"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
)

// Redis databases of this package.
const (
	redisDB     = 7
	redisLockDB = 8
)

// now is Wednesday of ISO 2026-W48.
var now = time.Date(2026, 11, 25, 12, 30, 0, 0, time.UTC)

func rule(name string, unique event.Unique) []metric.EventRule {
	return []metric.EventRule{{Event: name, Unique: unique}}
}

// fixture writes a few weeks of counts to Redis and returns a Pinger over
// metrics of every kind, including ones that fail and panic, and with hang
// one that hangs (costing its timeout, a second, on every Build).
func fixture(t *testing.T, opt ping.Options, hang bool) (*ping.Pinger, func()) {
	t.Helper()
	st := redisstore.New(redistest.Client(t, redisDB), redisstore.Options{})
	var b store.Batch
	cur := keys.WeekOf(now)
	for i, w := range []keys.Week{cur.Add(-5), cur.Add(-4), cur.Add(-1), cur} {
		for u := range 3 + i {
			b.Incrs = append(b.Incrs, store.Incr{Key: keys.Counter("issue_created", nil) + w.Suffix(), By: 1},
				store.Incr{Key: keys.Counter("issue_created", nil), By: 1})
			b.Adds = append(b.Adds, store.Add{Key: keys.Unique("issue_created", nil, event.UniqueUser) + w.Suffix(), Members: []string{string(rune('a' + u))}})
		}
	}
	b.Incrs = append(b.Incrs, store.Incr{Key: keys.Sum("pipeline_finished", nil), By: 12.5})
	if err := st.Apply(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	opt.Engine = metric.NewEngine(metric.EngineOptions{Store: st, Now: func() time.Time { return now }, Timeout: time.Second})
	opt.Instance = ping.Instance{UUID: "7b0e4a64-7d1c-4a1e-9a59-3d3c1f0a9b11", Hostname: "gitlab.example.com", Version: "1.4.0",
		Facts: map[string]any{"edition": "CE"}}
	app := func(v any, err error) metric.ValueFunc {
		return func(context.Context) (any, error) { return v, err }
	}
	opt.Metrics = []*metric.Descriptor{
		{KeyPath: "counts.issues_created_weekly", TimeFrame: "7d", DataSource: "internal_events", DataCategory: "optional", Status: "active", Events: rule("issue_created", event.UniqueNone)},
		{KeyPath: "counts.issues_created_monthly", TimeFrame: "28d", DataSource: "internal_events", DataCategory: "optional", Status: "active", Events: rule("issue_created", event.UniqueNone)},
		{KeyPath: "counts.issues_created", TimeFrame: "all", DataSource: "internal_events", DataCategory: "operational", Status: "active", Events: rule("issue_created", event.UniqueNone)},
		{KeyPath: "counts_monthly.users_creating_issues", TimeFrame: "28d", DataSource: "internal_events", DataCategory: "operational", Status: "broken", Events: rule("issue_created", event.UniqueUser)},
		{KeyPath: "counts.pipeline_minutes", TimeFrame: "all", DataSource: "internal_events", DataCategory: "standard", Status: "active",
			Events: []metric.EventRule{{Event: "pipeline_finished", Operator: "sum(value)"}}},
		{KeyPath: "counts.old_metric", TimeFrame: "all", DataSource: "internal_events", DataCategory: "operational", Status: "removed", Events: rule("issue_created", event.UniqueNone)},
		{KeyPath: "settings.plan", TimeFrame: "none", DataSource: "license", DataCategory: "subscription", Status: "active", Value: app(nil, errors.New("license server unreachable"))},
		{KeyPath: "settings.ldap_enabled", TimeFrame: "none", DataSource: "system", DataCategory: "operational", Status: "active", Value: app(true, nil)},
		{KeyPath: "settings.features", TimeFrame: "none", DataSource: "system", DataCategory: "operational", Status: "active",
			Value: app(map[string]any{"sso": false, "runners": 3}, nil)},
		{KeyPath: "settings.hanging", TimeFrame: "none", DataSource: "system", DataCategory: "operational", Status: "active",
			Value: func(context.Context) (any, error) { <-release; return 1, nil }},
		{KeyPath: "settings.panicking", TimeFrame: "none", DataSource: "system", DataCategory: "operational", Status: "active",
			Value: func(context.Context) (any, error) { var m map[string]int; m["x"]++; return nil, nil }},
		{KeyPath: "settings.ratio", TimeFrame: "none", DataSource: "system", DataCategory: "operational", Status: "active", Value: app(math.NaN(), nil)},
		{KeyPath: "settings.ldap_enabled.servers", TimeFrame: "none", DataSource: "system", DataCategory: "operational", Status: "active", Value: app(2, nil)},
		{KeyPath: "version", TimeFrame: "none", DataSource: "system", DataCategory: "standard", Status: "active"},
		{KeyPath: "counts.no_category", TimeFrame: "all", DataSource: "internal_events", Status: "active", Events: rule("issue_created", event.UniqueNone)},
	}
	if !hang {
		opt.Metrics = slices.DeleteFunc(opt.Metrics, func(d *metric.Descriptor) bool { return d.KeyPath == "settings.hanging" })
	}
	return ping.New(opt), func() { close(release) }
}

func TestBuild(t *testing.T) {
	p, done := fixture(t, ping.Options{}, true)
	defer done()
	pl, err := p.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(pl, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "payload.json"), append(b, '\n'))

	// Metadata: every computed metric, in key_path order, with its error.
	var meta strings.Builder
	for _, m := range pl.Metadata().Metrics {
		meta.WriteString(m.Name)
		if m.Error != "" {
			meta.WriteString(": " + m.Error)
		}
		meta.WriteString("\n")
		if m.TimeElapsed < 0 || (m.Name == "settings.hanging" && m.TimeElapsed < 1) {
			t.Errorf("%s: time_elapsed %v", m.Name, m.TimeElapsed)
		}
	}
	golden.Check(t, filepath.Join("testdata", "metadata.txt"), []byte(meta.String()))
	if pl.IdempotencyKey() != "7b0e4a64-7d1c-4a1e-9a59-3d3c1f0a9b11/2026-11-25T12:30:00Z" {
		t.Errorf("idempotency key %q", pl.IdempotencyKey())
	}
}

func TestBuildWithoutOptional(t *testing.T) {
	p, done := fixture(t, ping.Options{NoOptional: true}, false)
	defer done()
	pl, err := p.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	counts := pl.Data["counts"].(map[string]any)
	for _, k := range []string{"issues_created_weekly", "issues_created_monthly", "no_category"} {
		if _, ok := counts[k]; ok {
			t.Errorf("optional metric counts.%s is in the payload", k)
		}
	}
	if counts["issues_created"] != int64(18) {
		t.Errorf("operational metric counts.issues_created = %v, want 18", counts["issues_created"])
	}
	p2, done2 := fixture(t, ping.Options{Categories: []string{ping.Standard}}, false)
	defer done2()
	pl, err = p2.Build(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(pl)
	const want = `{"counts":{"pipeline_minutes":12.5},"edition":"CE","hostname":"gitlab.example.com","recorded_at":"2026-11-25T12:30:00Z","uuid":"7b0e4a64-7d1c-4a1e-9a59-3d3c1f0a9b11","version":"1.4.0"}`
	if string(b) != want {
		t.Errorf("standard only:\n got %s\nwant %s", b, want)
	}
}

func TestBuildNeedsUUID(t *testing.T) {
	p := ping.New(ping.Options{Engine: metric.NewEngine(metric.EngineOptions{})})
	if _, err := p.Build(context.Background()); !errors.Is(err, ping.ErrNoUUID) {
		t.Errorf("err = %v, want ErrNoUUID", err)
	}
}

func TestPreview(t *testing.T) {
	p, done := fixture(t, ping.Options{}, false)
	defer done()
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" || got["uuid"] != "7b0e4a64-7d1c-4a1e-9a59-3d3c1f0a9b11" {
		t.Errorf("preview: %s %s %v", resp.Status, resp.Header.Get("Content-Type"), got)
	}
	resp, err = http.Get(srv.URL + "/?metadata=1")
	if err != nil {
		t.Fatal(err)
	}
	var both struct {
		Payload  map[string]any
		Metadata ping.Metadata
	}
	err = json.NewDecoder(resp.Body).Decode(&both)
	resp.Body.Close()
	if err != nil || both.Payload["version"] != "1.4.0" || len(both.Metadata.Metrics) != 17 {
		t.Errorf("preview with metadata: %v %v, %d metrics", err, both.Payload, len(both.Metadata.Metrics))
	}
	resp, err = http.Post(srv.URL+"/", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %s", resp.Status)
	}
}
