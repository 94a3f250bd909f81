package describe_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/usagekit/usagekit/generator/describe"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/metric"
)

func TestMetrics(t *testing.T) {
	set := &model.Set{Metrics: []*model.Metric{
		{
			KeyPath: "counts.issues_created_by_mobile_users_monthly", Description: "Users creating issues from mobile",
			TimeFrame: "28d", DataSource: "internal_events", ValueType: "number", DataCategory: "optional", Status: "active",
			Events: []*model.EventRule{{
				Event: "issue_created", Unique: model.UniqueUser,
				Filter: []model.Filter{
					{Property: "property", Value: model.Value{Type: model.String, Text: "web"}},
					{Property: "label", Value: model.Value{Type: model.String, Text: "mobile"}},
				},
			}},
		},
		{
			KeyPath: "counts.pipeline_minutes", TimeFrame: "all", DataSource: "internal_events", Status: "broken",
			Events: []*model.EventRule{{Event: "pipeline_finished", Operator: "sum(value)"}},
		},
		{
			KeyPath: "counts.projects_monthly", TimeFrame: "28d", DataSource: "database", Status: "active",
			Database: &model.Database{Operation: "count", Table: "projects", Where: "archived = false", TimestampColumn: "created_at"},
		},
		{
			KeyPath: "search.users_monthly", TimeFrame: "28d", DataSource: "redis_hll", Status: "active",
			Options: map[string]any{"events": []any{"i_search_total"}},
		},
		{KeyPath: "uuid", TimeFrame: "none", DataSource: "system", Status: "active", InstrumentationClass: "UuidMetric"},
	}}
	got := describe.Metrics(set)
	// The legacy Redis metric is the application's, as in generated code:
	// its Value says so (functions do not compare, so it is checked apart).
	legacy := got[3]
	if legacy.Value == nil {
		t.Fatal("legacy redis_hll metric has no Value; want one reporting metric.ErrNoSource")
	}
	_, err := legacy.Value(context.Background())
	if want := "metric: no way to compute the metric outside the application (data_source redis_hll: a method of the generated Instrumentation interface)"; !errors.Is(err, metric.ErrNoSource) || err.Error() != want {
		t.Errorf("legacy metric's value: %v, want %s", err, want)
	}
	c := *legacy
	c.Value = nil
	got[3] = &c
	want := []*metric.Descriptor{
		{
			KeyPath: "counts.issues_created_by_mobile_users_monthly", Description: "Users creating issues from mobile",
			TimeFrame: metric.Monthly, DataSource: "internal_events", ValueType: "number", DataCategory: "optional", Status: metric.Active,
			Events: []metric.EventRule{{Event: "issue_created", Unique: "user.id",
				Filter: []metric.FilterTerm{{Key: "label", Value: "mobile"}, {Key: "property", Value: "web"}}}},
		},
		{
			KeyPath: "counts.pipeline_minutes", TimeFrame: metric.AllTime, DataSource: "internal_events", Status: metric.Broken,
			Events: []metric.EventRule{{Event: "pipeline_finished", Operator: "sum(value)"}},
		},
		{
			KeyPath: "counts.projects_monthly", TimeFrame: metric.Monthly, DataSource: "database", Status: metric.Active,
			Database: &metric.Database{Operation: "count", Table: "projects", Where: "archived = false", TimestampColumn: "created_at"},
		},
		{
			KeyPath: "search.users_monthly", TimeFrame: metric.Monthly, DataSource: "redis_hll", Status: metric.Active,
			Options: map[string]any{"events": []any{"i_search_total"}},
		},
		{KeyPath: "uuid", TimeFrame: metric.None, DataSource: "system", Status: metric.Active, InstrumentationClass: "UuidMetric"},
	}
	if !reflect.DeepEqual(got, want) {
		for i := range max(len(got), len(want)) {
			if i >= len(got) || i >= len(want) || !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("metric %d:\n got %+v\nwant %+v", i, at(got, i), at(want, i))
			}
		}
	}
}

func at(ds []*metric.Descriptor, i int) any {
	if i < len(ds) {
		return *ds[i]
	}
	return nil
}
