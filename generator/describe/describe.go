// Package describe turns validated metric definitions into the metric
// engine's descriptors, so that a tool can compute a usage ping straight from
// YAML without generating and compiling code. Generated code builds the same
// descriptors as literals.
package describe

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/metric"
)

// Metrics returns one descriptor per metric of set, in the set's key_path
// order. Metrics that need application code (system, license or an
// instrumentation class) are computed by the generated Instrumentation
// interface, so here they have no source: the engine reports
// metric.ErrNoSource for them unless the caller sets a Value. That holds for
// GitLab's legacy Redis classes too (RedisMetric, RedisHLLMetric), which
// the engine could otherwise read from the store: a payload computed from
// YAML has the values the application's would.
func Metrics(set *model.Set) []*metric.Descriptor {
	out := make([]*metric.Descriptor, 0, len(set.Metrics))
	for _, m := range set.Metrics {
		out = append(out, Metric(m))
	}
	return out
}

// Metric returns the descriptor of one metric.
func Metric(m *model.Metric) *metric.Descriptor {
	d := &metric.Descriptor{
		KeyPath:              m.KeyPath,
		Description:          m.Description,
		TimeFrame:            metric.TimeFrame(m.TimeFrame),
		DataSource:           m.DataSource,
		ValueType:            m.ValueType,
		DataCategory:         m.DataCategory,
		Status:               metric.Status(m.Status),
		InstrumentationClass: m.InstrumentationClass,
	}
	if len(m.Options) > 0 {
		d.Options = maps.Clone(m.Options)
	}
	for _, r := range m.Events {
		er := metric.EventRule{Event: r.Event, Unique: string(r.Unique), Operator: r.Operator}
		for _, f := range r.Filter {
			er.Filter = append(er.Filter, metric.FilterTerm{Key: f.Property, Value: f.Value.Text})
		}
		slices.SortFunc(er.Filter, func(a, b metric.FilterTerm) int { return strings.Compare(a.Key, b.Key) })
		d.Events = append(d.Events, er)
	}
	if m.NeedsCode() && (m.DataSource == "redis" || m.DataSource == "redis_hll") {
		what := "instrumentation_class " + m.InstrumentationClass
		if m.InstrumentationClass == "" {
			what = "data_source " + m.DataSource
		}
		d.Value = func(context.Context) (any, error) {
			return nil, fmt.Errorf("%w outside the application (%s: a method of the generated Instrumentation interface)", metric.ErrNoSource, what)
		}
	}
	if db := m.Database; db != nil {
		d.Database = &metric.Database{
			Operation:       db.Operation,
			Table:           db.Table,
			Column:          db.Column,
			Where:           db.Where,
			TimestampColumn: db.TimestampColumn,
		}
	}
	return d
}
