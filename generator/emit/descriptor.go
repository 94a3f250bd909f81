package emit

import (
	"maps"
	"slices"

	"github.com/dave/jennifer/jen"

	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// The runtime constants that name enum-like values; a value without one
// (which validation does not let through) is written as a conversion.
var (
	timeFrameNames = map[metric.TimeFrame]string{
		metric.Weekly: "Weekly", metric.Monthly: "Monthly", metric.AllTime: "AllTime", metric.None: "None",
	}
	statusNames = map[metric.Status]string{metric.Active: "Active", metric.Broken: "Broken", metric.Removed: "Removed"}
	uniqueNames = map[event.Unique]string{
		event.UniqueUser: "UniqueUser", event.UniqueProject: "UniqueProject", event.UniqueNamespace: "UniqueNamespace",
		event.UniqueLabel: "UniqueLabel", event.UniqueProperty: "UniqueProperty", event.UniqueValue: "UniqueValue",
	}
	operationNames = map[dbcount.Operation]string{
		dbcount.Count: "Count", dbcount.DistinctCount: "DistinctCount", dbcount.Sum: "Sum", dbcount.Average: "Average",
	}
)

// constLit is the runtime constant that names v, or a conversion of v to
// the constant's type when none does.
func constLit[T ~string](path, typ string, names map[T]string, v T) jen.Code {
	if n, ok := names[v]; ok {
		return jen.Qual(path, n)
	}
	return jen.Qual(path, typ).Call(jen.Lit(string(v)))
}

func uniqueLit(u event.Unique) jen.Code {
	if n, ok := uniqueNames[u]; ok {
		return jen.Qual(pathEvent, n)
	}
	return jen.Qual(pathEvent, "Unique").Call(jen.Lit(int(u)))
}

// descriptorLit renders d field by field, leaving zero fields out: the
// generated descriptor is this very value (the deep-equality test of
// generated code and model.Metric.Descriptor holds it to that). Value is
// the application's, set by metric.WithValue in generated code.
func descriptorLit(d *metric.Descriptor) jen.Code {
	items := []jen.Code{
		kv("KeyPath", jen.Lit(d.KeyPath)),
		kv("Description", jen.Lit(d.Description)),
		kv("TimeFrame", constLit(pathMetric, "TimeFrame", timeFrameNames, d.TimeFrame)),
		kv("DataSource", jen.Lit(d.DataSource)),
		kv("ValueType", jen.Lit(d.ValueType)),
	}
	if d.DataCategory != "" {
		items = append(items, kv("DataCategory", jen.Lit(d.DataCategory)))
	}
	items = append(items, kv("Status", constLit(pathMetric, "Status", statusNames, d.Status)))
	if d.InstrumentationClass != "" {
		items = append(items, kv("InstrumentationClass", jen.Lit(d.InstrumentationClass)))
	}
	if d.Options != nil {
		items = append(items, kv("Options", anyLit(d.Options)))
	}
	if len(d.Events) > 0 {
		items = append(items, kv("Events", jen.Index().Qual(pathMetric, "EventRule").CustomFunc(multiLine, func(g *jen.Group) {
			for _, r := range d.Events {
				g.Add(ruleLit(r))
			}
		})))
	}
	if q := d.Database; q != nil {
		items = append(items, kv("Database", jen.Op("&").Qual(pathDBCount, "Query").Add(queryLit(q))))
	}
	if d.Application {
		items = append(items, kv("Application", jen.True()))
	}
	return composite(items...)
}

// ruleLit is one metric.EventRule on one line.
func ruleLit(r metric.EventRule) jen.Code {
	items := []jen.Code{kv("Event", jen.Lit(r.Event))}
	if r.Unique != event.UniqueNone {
		items = append(items, kv("Unique", uniqueLit(r.Unique)))
	}
	if len(r.Filter) > 0 {
		items = append(items, kv("Filter", filterLit(r.Filter)))
	}
	switch r.Operator {
	case "":
	case metric.SumValue:
		items = append(items, kv("Operator", jen.Qual(pathMetric, "SumValue")))
	default:
		items = append(items, kv("Operator", jen.Qual(pathMetric, "Operator").Call(jen.Lit(string(r.Operator)))))
	}
	return jen.Values(items...)
}

// filterLit is an event.Filter, its terms in the filter's (sorted) order.
func filterLit(f event.Filter) jen.Code {
	return jen.Qual(pathEvent, "Filter").ValuesFunc(func(g *jen.Group) {
		for _, t := range f {
			g.Values(kv("Property", jen.Lit(t.Property)), kv("Value", jen.Lit(t.Value)))
		}
	})
}

func queryLit(q *dbcount.Query) jen.Code {
	items := []jen.Code{
		kv("Operation", constLit(pathDBCount, "Operation", operationNames, q.Operation)),
		kv("Table", jen.Lit(q.Table)),
	}
	for _, f := range []struct{ name, v string }{{"Column", q.Column}, {"Where", q.Where}, {"TimestampColumn", q.TimestampColumn}} {
		if f.v != "" {
			items = append(items, kv(f.name, jen.Lit(f.v)))
		}
	}
	return composite(items...)
}

// anyLit renders a decoded YAML value (an options block) as a Go value of
// the same dynamic types: map[string]any with sorted keys, []any, string,
// int64, float64, bool and nil.
func anyLit(v any) jen.Code {
	switch x := v.(type) {
	case map[string]any:
		return jen.Map(jen.String()).Any().CustomFunc(multiLine, func(g *jen.Group) {
			for _, k := range slices.Sorted(maps.Keys(x)) {
				g.Add(jen.Lit(k).Op(":").Add(anyLit(x[k])))
			}
		})
	case []any:
		return jen.Index().Any().ValuesFunc(func(g *jen.Group) {
			for _, e := range x {
				g.Add(anyLit(e))
			}
		})
	case nil:
		return jen.Nil()
	case string, int64, float64, bool:
		return jen.Lit(x)
	}
	// The loader produces nothing else; a new type fails the build of the
	// generated file rather than changing a value silently.
	return jen.Id("unsupportedOptionValue")
}
