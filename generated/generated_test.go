package generated_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/track"
)

var monday = time.Date(2026, time.November, 16, 9, 0, 0, 0, time.UTC) // ISO week 2026-47

// recorder is an event sink keeping copies of the records it sees.
type recorder struct {
	names   []string
	records []event.Record
}

func (r *recorder) Event(_ context.Context, name string, rec *event.Record) {
	r.names = append(r.names, name)
	c := *rec
	c.Custom = slices.Clone(rec.Custom)
	r.records = append(r.records, c)
}

func newTracker(t *testing.T, sink track.Sink) (context.Context, *memstore.Store) {
	t.Helper()
	clock := func() time.Time { return monday }
	store := memstore.New(memstore.Options{Now: clock})
	opts := track.Options{Store: store, Sync: true, Now: clock}
	if sink != nil {
		opts.Sink = sink
	}
	tr := track.New(opts)
	t.Cleanup(func() { tr.Close(context.Background()) })
	return track.NewContext(context.Background(), tr), store
}

// TestTrackFilters checks that each generated Track function updates a
// filtered key exactly when every term of the filter matches.
func TestTrackFilters(t *testing.T) {
	for _, tc := range []struct {
		name  string
		track func(ctx context.Context)
		want  []string // keys other than the event's own totals
	}{
		{
			name: "enum and label both match",
			track: func(ctx context.Context) {
				generated.TrackCreatePipeline(ctx, 1, 2, 3, generated.CreatePipelineProperties{
					ConfigSource: generated.CreatePipelineConfigSourceRepository, Label: "push", StagesCount: 4})
			},
			want: []string{"{event_counters}_create_pipeline-filter:[config_source:repository,label:push]", "{hll_counters}_create_pipeline-namespace-2026-47"},
		},
		{
			name: "enum matches, label does not",
			track: func(ctx context.Context) {
				generated.TrackCreatePipeline(ctx, 1, 2, 3, generated.CreatePipelineProperties{
					ConfigSource: generated.CreatePipelineConfigSourceRepository, Label: "web", StagesCount: 4})
			},
			want: []string{"{hll_counters}_create_pipeline-namespace-2026-47"},
		},
		{
			name: "integer filter and a plain string constant for an enum",
			track: func(ctx context.Context) {
				generated.TrackCreatePipeline(ctx, 1, 2, 3, generated.CreatePipelineProperties{
					ConfigSource: "auto_devops", Label: "schedule", StagesCount: 1})
			},
			want: []string{
				"{event_counters}_create_pipeline-filter:[stages_count:1]-2026-47",
				"{hll_counters}_create_pipeline-filter:[label:schedule]-user-2026-47",
				"{hll_counters}_create_pipeline-namespace-2026-47",
			},
		},
		{
			name: "boolean filter false",
			track: func(ctx context.Context) {
				generated.TrackCreateIssue(ctx, 1, 2, 3, generated.CreateIssueProperties{Confidential: false})
			},
			want: []string{"{hll_counters}_create_issue-user-2026-47"},
		},
		{
			name: "boolean filter true",
			track: func(ctx context.Context) {
				generated.TrackCreateIssue(ctx, 1, 2, 3, generated.CreateIssueProperties{Confidential: true})
			},
			want: []string{"{event_counters}_create_issue-filter:[confidential:true]", "{hll_counters}_create_issue-user-2026-47"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, store := newTracker(t, nil)
			tc.track(ctx)
			var got []string
			for _, k := range store.Keys() {
				if strings.Contains(k, "-filter:") || strings.HasPrefix(k, "{hll_counters}") || strings.HasPrefix(k, "{event_sums}") {
					got = append(got, k)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("keys:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestTrackRecord(t *testing.T) {
	var rec recorder
	ctx, _ := newTracker(t, &rec)
	generated.TrackCreatePipeline(ctx, 1, 2, 3, generated.CreatePipelineProperties{
		ConfigSource: generated.CreatePipelineConfigSourceParentPipeline, Label: "push", Property: "branch", StagesCount: 5})
	generated.TrackGenerateMergeRequestSummary(ctx, 4, 5, 6, []event.NamespaceID{7, 8})
	if !slices.Equal(rec.names, []string{"create_pipeline", "generate_merge_request_summary"}) {
		t.Fatalf("sink saw %v", rec.names)
	}
	got := fmt.Sprintf("%+v", rec.records[0])
	want := "{User:1 Project:2 Namespace:3 FeatureEnabledByNamespaceIDs:[] Label:push Property:branch Value:0 HasValue:false Match:0 " +
		"Custom:[{Name:config_source Value:parent_pipeline} {Name:stages_count Value:5}]}"
	if got != want {
		t.Errorf("record:\n got %s\nwant %s", got, want)
	}
	if c := rec.records[0].Custom; c[0].Value.Type() != event.String || c[1].Value.Type() != event.Integer {
		t.Errorf("the properties reach the sink as %v and %v, want a string (the enum's text) and an integer", c[0].Value.Type(), c[1].Value.Type())
	}
	if r := rec.records[1]; r.User != 4 || r.Project != 5 || r.Namespace != 6 || !slices.Equal(r.FeatureEnabledByNamespaceIDs, []event.NamespaceID{7, 8}) {
		t.Errorf("identifiers: %+v", r)
	}
}

// TestTrackAllocations: a Track call builds no custom properties without an
// event sink, keeps its record on the stack (the tracker copies it for a
// sink), and aggregates without allocating.
func TestTrackAllocations(t *testing.T) {
	clock := func() time.Time { return monday }
	tr := track.New(track.Options{Store: memstore.New(memstore.Options{Now: clock}), FlushInterval: time.Hour, Now: clock})
	defer tr.Close(context.Background())
	ctx := track.NewContext(context.Background(), tr)
	props := generated.CreatePipelineProperties{ConfigSource: generated.CreatePipelineConfigSourceRepository, Label: "push", StagesCount: 1}
	generated.TrackCreatePipeline(ctx, 1, 2, 3, props)
	n := testing.AllocsPerRun(200, func() { generated.TrackCreatePipeline(ctx, 1, 2, 3, props) })
	t.Logf("TrackCreatePipeline: %v allocations per call", n)
	if n != 0 {
		t.Errorf("TrackCreatePipeline allocates %v times per call, want 0", n)
	}
}

// app implements every metric that needs application code; it would not
// compile if a definition added one.
type app struct{}

var _ generated.Instrumentation = app{}

func (app) ActiveUserCount(context.Context) (int64, error)     { return 12, nil }
func (app) CountsWebIDECommits(context.Context) (int64, error) { return 0, nil }
func (app) Hostname(context.Context) (string, error)           { return "forge.example.com", nil }
func (app) InstallationType(context.Context) (string, error)   { return "docker", nil }
func (app) LicenseExpiresAt(context.Context) (string, error)   { return "2027-01-01", nil }
func (app) LicensePlan(context.Context) (string, error)        { return "premium", nil }
func (app) LicenseUserCount(context.Context) (int64, error)    { return 100, nil }
func (app) RecordedAt(context.Context) (string, error)         { return "2026-11-25T12:00:00Z", nil }
func (app) RedisHLLCountersIssuesEditIssuesEditTotalUniqueCountsMonthly(context.Context) (int64, error) {
	return 0, nil
}
func (app) SettingsCollectedDataCategories(context.Context) (map[string]any, error) {
	return map[string]any{"standard": true}, nil
}
func (app) SettingsContainerRegistryEnabled(context.Context) (bool, error) { return true, nil }
func (app) SettingsDatabaseAdapter(context.Context) (string, error)        { return "postgresql", nil }
func (app) SettingsGitalyClusters(context.Context) (int64, error) {
	return 0, fmt.Errorf("gitaly unreachable")
}
func (app) SettingsGitalyApdex(context.Context) (int64, error) { return 1, nil }
func (app) UUID(context.Context) (string, error)               { return "0b5e", nil }
func (app) Version(context.Context) (string, error)            { return "17.5.0", nil }

func TestMetricsInstrumentation(t *testing.T) {
	ctx := context.Background()
	e := metric.NewEngine(metric.EngineOptions{Now: func() time.Time { return monday }})
	ds := generated.Metrics(app{})
	if !slices.IsSortedFunc(ds, func(a, b *metric.Descriptor) int { return strings.Compare(a.KeyPath, b.KeyPath) }) {
		t.Error("Metrics is not in key_path order")
	}
	got := map[string]string{}
	for _, r := range e.Compute(ctx, ds) {
		got[r.KeyPath] = fmt.Sprintf("%v %v", r.Value, r.Err)
	}
	for key, want := range map[string]string{
		"uuid":                                "0b5e <nil>",
		"license_user_count":                  "100 <nil>",
		"settings.container_registry_enabled": "true <nil>",
		"settings.collected_data_categories":  "map[standard:true] <nil>",
		"settings.gitaly.clusters":            "<nil> settings.gitaly.clusters: gitaly unreachable",
	} {
		if got[key] != want {
			t.Errorf("%s = %q, want %q", key, got[key], want)
		}
	}

	plan, err := generated.LicensePlan(ctx, e, app{})
	if plan != "premium" || err != nil {
		t.Errorf("LicensePlan = %q, %v", plan, err)
	}
	if _, err := generated.LicensePlan(ctx, e, nil); !errors.Is(err, metric.ErrNoApplication) || err.Error() != "license_plan: metric: no application given to compute the metric" {
		t.Errorf("LicensePlan without Instrumentation: %v", err)
	}
	for _, r := range e.Compute(ctx, generated.Metrics(nil)) {
		if r.KeyPath == "uuid" && !errors.Is(r.Err, metric.ErrNoApplication) {
			t.Errorf("uuid without Instrumentation: %v, %v", r.Value, r.Err)
		}
	}
}

func TestEvents(t *testing.T) {
	var names []string
	for _, d := range generated.Events() {
		names = append(names, d.Name)
		if len(d.Updates) == 0 || d.Updates[0].Kind != event.Total || d.Always&1 == 0 || !d.Updates[0].AllTime || !d.Updates[0].Weekly {
			t.Errorf("%s: update 0 is not the unfiltered total: %+v", d.Name, d.Updates)
		}
	}
	if !slices.IsSorted(names) || slices.Contains(names, "view_legacy_issue_board") || !slices.Contains(names, "create_issue") {
		t.Errorf("Events() = %v: want sorted active events without the removed one", names)
	}
}

func BenchmarkTrackCreatePipeline(b *testing.B) {
	clock := func() time.Time { return monday }
	tr := track.New(track.Options{Store: memstore.New(memstore.Options{Now: clock}), FlushInterval: 100 * time.Millisecond, Now: clock})
	defer tr.Close(context.Background())
	ctx := track.NewContext(context.Background(), tr)
	props := generated.CreatePipelineProperties{ConfigSource: generated.CreatePipelineConfigSourceRepository, Label: "push", StagesCount: 1}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		generated.TrackCreatePipeline(ctx, event.UserID(i%1000), 2, 3, props)
	}
}
