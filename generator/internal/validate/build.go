package validate

import (
	"cmp"
	"maps"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// Built-in additional properties and their types. Every event may carry
// them; an event declares the ones it uses.
var builtinTypes = map[string]model.Type{
	"label":    model.String,
	"property": model.String,
	"value":    model.Number,
}

// pos returns the position of the node at ptr in d: the key for a mapping
// entry, the value for a list element, the file start when missing.
func pos(d *load.Document, ptr string) model.Pos {
	k, v := d.Lookup(ptr)
	n := k
	if n == nil {
		n = v
	}
	if n == nil {
		return model.Pos{File: d.Path}
	}
	return model.Pos{File: d.Path, Line: n.Line, Col: n.Column}
}

// valuePos is like pos but points at the value rather than its key.
func valuePos(d *load.Document, ptr string) model.Pos {
	_, v := d.Lookup(ptr)
	if v == nil {
		return model.Pos{File: d.Path}
	}
	return model.Pos{File: d.Path, Line: v.Line, Col: v.Column}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// buildEvent turns an event document into the model. It tolerates values of
// the wrong type (the schema reports those) so cross-file checks still see
// the event.
func buildEvent(d *load.Document) *model.Event {
	v := d.Value
	e := &model.Event{
		Pos:               pos(d, "/action"),
		File:              d.Path,
		Action:            str(v["action"]),
		Description:       str(v["description"]),
		Category:          str(v["category"]),
		ProductGroup:      str(v["product_group"]),
		ProductCategories: strs(v["product_categories"]),
		Milestone:         str(v["milestone"]),
		IntroducedByURL:   str(v["introduced_by_url"]),
		Tiers:             strs(v["tiers"]),
		Distributions:     strs(v["distributions"]),
		Status:            metric.Status(str(v["status"])),
		MilestoneRemoved:  str(v["milestone_removed"]),
		RemovedByURL:      str(v["removed_by_url"]),
	}
	if e.Pos.Line == 0 {
		e.Pos = model.Pos{File: d.Path, Line: d.Root.Line, Col: d.Root.Column}
	}
	if e.Status == "" {
		e.Status = metric.Active
	}
	e.InternalEvents, _ = v["internal_events"].(bool)
	declared := strs(v["identifiers"])
	for _, id := range model.Identifiers {
		if slices.Contains(declared, string(id)) {
			e.Identifiers = append(e.Identifiers, id)
		}
	}
	props, _ := v["additional_properties"].(map[string]any)
	for _, name := range slices.Sorted(maps.Keys(props)) {
		ptr := "/additional_properties/" + load.PointerToken(name)
		p := &model.Property{Pos: pos(d, ptr), Name: name, Type: model.String}
		spec, _ := props[name].(map[string]any)
		p.Description = str(spec["description"])
		p.Classification = model.Classification(str(spec["classification"]))
		if p.Classification != "" {
			p.ClassificationPos = valuePos(d, ptr+"/classification")
		}
		if p.Description != "" {
			p.DescriptionPos = valuePos(d, ptr+"/description")
		}
		if t, ok := builtinTypes[name]; ok {
			p.Type, p.Builtin = t, true
		} else if t := str(spec["type"]); t != "" {
			p.Type = model.Type(t)
		} else {
			p.Untyped = true
		}
		enum, _ := spec["enum"].([]any)
		for i := range enum {
			_, n := d.Lookup(ptr + "/enum/" + strconv.Itoa(i))
			if val, ok := typedValue(n, enum[i]); ok {
				p.Enum = append(p.Enum, val)
			}
		}
		e.Properties = append(e.Properties, p)
	}
	return e
}

// buildMetrics turns a metric document into one metric per time frame.
func buildMetrics(d *load.Document) []*model.Metric {
	v := d.Value
	base := model.Metric{
		Pos:                  pos(d, "/key_path"),
		File:                 d.Path,
		BaseKeyPath:          str(v["key_path"]),
		Description:          str(v["description"]),
		ValueType:            str(v["value_type"]),
		Status:               metric.Status(str(v["status"])),
		DataSource:           str(v["data_source"]),
		DataCategory:         str(v["data_category"]),
		InstrumentationClass: str(v["instrumentation_class"]),
		PerformanceIndicator: strs(v["performance_indicator_type"]),
		Tiers:                strs(v["tiers"]),
		Milestone:            str(v["milestone"]),
		MilestoneRemoved:     str(v["milestone_removed"]),
		RemovedByURL:         str(v["removed_by_url"]),
		IntroducedByURL:      str(v["introduced_by_url"]),
		RepairIssueURL:       str(v["repair_issue_url"]),
		ProductGroup:         str(v["product_group"]),
		ProductCategories:    strs(v["product_categories"]),
	}
	if base.Pos.Line == 0 {
		base.Pos = model.Pos{File: d.Path, Line: d.Root.Line, Col: d.Root.Column}
	}
	if base.Status == "" {
		base.Status = metric.Active
	}
	base.Options, _ = v["options"].(map[string]any)
	// Only internal_events metrics count usagekit events; an events list on
	// another data source (GitLab's half-migrated redis_hll files) names
	// legacy counters the application reads itself.
	if base.DataSource == "internal_events" {
		events, _ := v["events"].([]any)
		for i, raw := range events {
			r, src := buildRule(d, "/events/"+strconv.Itoa(i), raw)
			base.Events = append(base.Events, r)
			base.Sources = append(base.Sources, src)
		}
	}
	if db, ok := v["database"].(map[string]any); ok {
		base.DatabasePos = pos(d, "/database")
		base.Database = &dbcount.Query{
			Operation:       dbcount.Operation(str(db["operation"])),
			Table:           str(db["table"]),
			Column:          str(db["column"]),
			Where:           str(db["where"]),
			TimestampColumn: cmp.Or(str(db["timestamp_column"]), "created_at"),
		}
	}
	base.NumberIsFloat = base.ValueType == "number" && fractional(&base)
	return expand(d, &base, v["time_frame"])
}

// buildRule turns one entry of a metric's events list into its rule and
// where it is written.
func buildRule(d *load.Document, ptr string, raw any) (metric.EventRule, model.RuleSource) {
	ev, ok := raw.(map[string]any)
	src := model.RuleSource{Pos: valuePos(d, ptr), Invalid: !ok}
	r := metric.EventRule{Event: str(ev["name"]), Operator: metric.Operator(str(ev["operator"]))}
	if u, ok := ev["unique"]; ok {
		r.Unique, ok = event.ParseUnique(str(u))
		src.Invalid = src.Invalid || !ok
	}
	if r.Operator != "" && r.Operator != metric.SumValue {
		src.Invalid = true
	}
	filter, _ := ev["filter"].(map[string]any)
	for _, k := range slices.Sorted(maps.Keys(filter)) {
		fptr := ptr + "/filter/" + load.PointerToken(k)
		_, n := d.Lookup(fptr)
		val, _ := typedValue(n, filter[k])
		r.Filter = append(r.Filter, event.FilterTerm{Property: k, Value: val.Text})
		src.Filter = append(src.Filter, model.TermSource{Pos: pos(d, fptr), Written: val})
	}
	return r, src
}

// fractional reports whether a number metric's value has a fraction: sums
// and averages do.
func fractional(m *model.Metric) bool {
	for _, r := range m.Events {
		if r.Operator == metric.SumValue {
			return true
		}
	}
	return m.Database != nil && m.Database.Operation.Float()
}

// expand makes one metric per time frame of a definition: a list expands
// into one metric each, its key_path suffixed (_weekly, _monthly).
func expand(d *load.Document, base *model.Metric, tf any) []*model.Metric {
	list, ok := tf.([]any)
	if !ok {
		m := *base
		m.TimeFrame = metric.TimeFrame(str(tf))
		m.TimeFramePos = valuePos(d, "/time_frame")
		m.KeyPath = base.BaseKeyPath
		return []*model.Metric{&m}
	}
	out := make([]*model.Metric, 0, len(list))
	for i, f := range list {
		tf := metric.TimeFrame(str(f))
		if !tf.Counts() {
			continue // a list holds 7d, 28d and all; the schema reports the rest
		}
		m := *base
		if len(out) > 0 {
			m.Events, m.Sources = cloneRules(base.Events, base.Sources)
		}
		m.TimeFrame = tf
		m.TimeFramePos = valuePos(d, "/time_frame/"+strconv.Itoa(i))
		m.KeyPath = base.BaseKeyPath + m.TimeFrame.KeyPathSuffix()
		out = append(out, &m)
	}
	return out
}

// cloneRules copies rules and their sources so each expanded metric owns
// its own: checks settle filter values on each.
func cloneRules(rules []metric.EventRule, srcs []model.RuleSource) ([]metric.EventRule, []model.RuleSource) {
	rs := make([]metric.EventRule, len(rules))
	ss := make([]model.RuleSource, len(srcs))
	for i, r := range rules {
		r.Filter = slices.Clone(r.Filter)
		rs[i] = r
	}
	for i, s := range srcs {
		s.Filter = slices.Clone(s.Filter)
		ss[i] = s
	}
	return rs, ss
}

// typedValue converts a decoded scalar into a model.Value, taking the text
// of numbers from the YAML node so 1.50 stays 1.50 in Redis keys.
func typedValue(n *yaml.Node, v any) (model.Value, bool) {
	switch x := v.(type) {
	case string:
		return model.Value{Type: model.String, Text: x}, true
	case bool:
		return model.Value{Type: model.Boolean, Text: strconv.FormatBool(x), Bool: x}, true
	case int64:
		return model.Value{Type: model.Integer, Text: strconv.FormatInt(x, 10), Int: x, Float: float64(x)}, true
	case float64:
		text := strconv.FormatFloat(x, 'g', -1, 64)
		if n != nil && n.Kind == yaml.ScalarNode {
			text = n.Value
		}
		return model.Value{Type: model.Number, Text: text, Float: x}, true
	}
	return model.Value{}, false
}
