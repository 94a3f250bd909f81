package emit

import (
	"cmp"
	"slices"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
)

// MaxRules is the most Redis update rules one event may have: a record's
// Match is a 64-bit mask.
const MaxRules = 64

// rule is one event.Rule plus the filter that decides whether it applies.
type rule struct {
	event.Rule
	filter []model.Filter // sorted by property; empty when unconditional
}

// uniques maps a definition's unique attribute to the runtime's.
var uniques = map[model.Unique]event.Unique{
	model.UniqueUser:      event.UniqueUser,
	model.UniqueProject:   event.UniqueProject,
	model.UniqueNamespace: event.UniqueNamespace,
	model.UniqueLabel:     event.UniqueLabel,
	model.UniqueProperty:  event.UniqueProperty,
	model.UniqueValue:     event.UniqueValue,
}

// computed reports whether a metric is part of the generated API: removed
// metrics are not.
func computed(m *model.Metric) bool {
	return m.Status == model.Active || m.Status == model.Broken
}

// sortedFilter returns f sorted by property name, the order Redis keys use.
func sortedFilter(f []model.Filter) []model.Filter {
	out := slices.Clone(f)
	slices.SortFunc(out, func(a, b model.Filter) int { return cmp.Compare(a.Property, b.Property) })
	return out
}

func filterTerms(f []model.Filter) []keys.FilterTerm {
	out := make([]keys.FilterTerm, len(f))
	for i, t := range f {
		out[i] = keys.FilterTerm{Key: t.Property, Value: t.Value.Text}
	}
	return out
}

// eventRules derives the Redis updates of ev from every active or broken
// metric naming it: rule 0 is the unfiltered total (all time and weekly);
// then, in metric key_path order and rule order, each distinct filtered
// total, sum and unique key, with the windows its metrics read. Rules with the
// same kind and key are merged.
func eventRules(ev *model.Event, diags *diag.List) []rule {
	rules := []rule{{Rule: event.Rule{
		Kind: event.Total, Key: keys.Counter(ev.Action, nil), AllTime: true, Weekly: true,
	}}}
	for _, m := range ev.Metrics {
		if !computed(m) {
			continue
		}
		allTime := m.TimeFrame == model.AllTime || m.TimeFrame == model.None
		weekly := m.TimeFrame == model.Weekly || m.TimeFrame == model.Monthly
		for _, er := range m.Events {
			if er.Event != ev.Action {
				continue
			}
			f := sortedFilter(er.Filter)
			terms := filterTerms(f)
			r := rule{filter: f, Rule: event.Rule{AllTime: allTime, Weekly: weekly}}
			switch {
			case er.Operator != "":
				r.Kind, r.Key = event.Sum, keys.Sum(ev.Action, terms)
			case er.Unique != "":
				u, ok := uniques[er.Unique]
				if !ok {
					diags.Add(er.Pos.File, er.Pos.Line, er.Pos.Col, "unique",
						"metric %s: unique %q is not one of user.id, project.id, namespace.id, label, property, value",
						m.KeyPath, er.Unique)
					continue
				}
				r.Kind, r.Unique, r.Key = event.UniqueCount, u, keys.Unique(ev.Action, terms, string(er.Unique))
			default:
				r.Kind, r.Key = event.Total, keys.Counter(ev.Action, terms)
			}
			i := slices.IndexFunc(rules, func(x rule) bool { return x.Kind == r.Kind && x.Key == r.Key })
			if i >= 0 {
				rules[i].AllTime = rules[i].AllTime || r.AllTime
				rules[i].Weekly = rules[i].Weekly || r.Weekly
				continue
			}
			rules = append(rules, r)
		}
	}
	if len(rules) > MaxRules {
		diags.Add(ev.Pos.File, ev.Pos.Line, ev.Pos.Col, "too-many-rules",
			"event %s needs %d Redis update rules from the metrics that name it; at most %d are supported: merge metrics that share filters or split the event",
			ev.Action, len(rules), MaxRules)
	}
	return rules
}

// always is the mask of the rules that apply to every record.
func always(rules []rule) uint64 {
	var m uint64
	for i, r := range rules {
		if len(r.filter) == 0 && i < MaxRules {
			m |= 1 << i
		}
	}
	return m
}

// filterGroup is the rules sharing one filter, so generated code tests each
// distinct filter once.
type filterGroup struct {
	filter []model.Filter
	mask   uint64
}

// filterGroups groups the filtered rules by filter, in order of first rule.
func filterGroups(rules []rule) []filterGroup {
	var out []filterGroup
	var paths []string
	for i, r := range rules {
		if len(r.filter) == 0 || i >= MaxRules {
			continue
		}
		p := keys.Path("", filterTerms(r.filter))
		j := slices.Index(paths, p)
		if j < 0 {
			paths = append(paths, p)
			out = append(out, filterGroup{filter: r.filter})
			j = len(out) - 1
		}
		out[j].mask |= 1 << i
	}
	return out
}
