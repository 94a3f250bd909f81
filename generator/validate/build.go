package validate

import (
	"cmp"
	"maps"
	"slices"
	"strconv"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/load"
	"github.com/usagekit/usagekit/generator/model"
)

// Built-in additional properties and their types. Every event may carry
// them; an event declares the ones it uses.
var builtinTypes = map[string]model.Type{
	"label":    model.String,
	"property": model.String,
	"value":    model.Number,
}

// timeFrameSuffix is appended to key_path when time_frame is a list.
var timeFrameSuffix = map[model.TimeFrame]string{
	model.Weekly:  "_weekly",
	model.Monthly: "_monthly",
	model.AllTime: "",
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
		Status:            model.Status(str(v["status"])),
		MilestoneRemoved:  str(v["milestone_removed"]),
		RemovedByURL:      str(v["removed_by_url"]),
	}
	if e.Pos.Line == 0 {
		e.Pos = model.Pos{File: d.Path, Line: d.Root.Line, Col: d.Root.Column}
	}
	if e.Status == "" {
		e.Status = model.Active
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
		ptr := "/additional_properties/" + escape(name)
		p := &model.Property{Pos: pos(d, ptr), Name: name, Type: model.String}
		spec, _ := props[name].(map[string]any)
		p.Description = str(spec["description"])
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
		Status:               model.Status(str(v["status"])),
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
		base.Status = model.Active
	}
	base.Options, _ = v["options"].(map[string]any)
	// Only internal_events metrics count usagekit events; an events list on
	// another data source (GitLab's half-migrated redis_hll files) names
	// legacy counters the application reads itself.
	var events []any
	if base.DataSource == "internal_events" {
		events, _ = v["events"].([]any)
	}
	for i, raw := range events {
		ev, _ := raw.(map[string]any)
		ptr := "/events/" + strconv.Itoa(i)
		r := &model.EventRule{
			Pos:      valuePos(d, ptr),
			Event:    str(ev["name"]),
			Unique:   model.Unique(str(ev["unique"])),
			Operator: str(ev["operator"]),
		}
		filter, _ := ev["filter"].(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(filter)) {
			fptr := ptr + "/filter/" + escape(k)
			_, n := d.Lookup(fptr)
			val, _ := typedValue(n, filter[k])
			r.Filter = append(r.Filter, model.Filter{Pos: pos(d, fptr), Property: k, Value: val})
		}
		base.Events = append(base.Events, r)
	}
	if db, ok := v["database"].(map[string]any); ok {
		base.Database = &model.Database{
			Pos:             pos(d, "/database"),
			Operation:       str(db["operation"]),
			Table:           str(db["table"]),
			Column:          str(db["column"]),
			Where:           str(db["where"]),
			TimestampColumn: cmp.Or(str(db["timestamp_column"]), "created_at"),
		}
	}
	if base.ValueType == "number" {
		for _, r := range base.Events {
			if r.Operator == "sum(value)" {
				base.NumberIsFloat = true
			}
		}
		if base.Database != nil {
			switch base.Database.Operation {
			case "sum", "average":
				base.NumberIsFloat = true
			}
		}
	}

	var out []*model.Metric
	switch tf := v["time_frame"].(type) {
	case []any:
		for i, f := range tf {
			s, _ := f.(string)
			m := base
			if i > 0 {
				m.Events = cloneRules(base.Events)
			}
			m.TimeFrame = model.TimeFrame(s)
			m.KeyPath = base.BaseKeyPath + timeFrameSuffix[m.TimeFrame]
			out = append(out, &m)
		}
	default:
		m := base
		m.TimeFrame = model.TimeFrame(str(tf))
		m.KeyPath = base.BaseKeyPath
		out = append(out, &m)
	}
	return out
}

// cloneRules copies rules so each expanded metric owns its own.
func cloneRules(rules []*model.EventRule) []*model.EventRule {
	out := make([]*model.EventRule, len(rules))
	for i, r := range rules {
		c := *r
		c.Filter = slices.Clone(r.Filter)
		out[i] = &c
	}
	return out
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

// escape encodes a mapping key as a JSON pointer token.
func escape(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '~':
			b = append(b, '~', '0')
		case '/':
			b = append(b, '~', '1')
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}
