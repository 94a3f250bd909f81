// Package diff finds breaking changes between two versions of a definition
// set: the definitions at a base revision and those in the working tree. A
// change is breaking when it would make an existing metric series silently
// change meaning or vanish, or break code that tracks an existing event.
// Additions are never breaking.
package diff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/metric"
)

// Rule names, carried in diag.Diagnostic.Rule so reports can group findings.
const (
	RuleKeyPathDeleted    = "key-path-deleted"
	RuleKeyPathChanged    = "key-path-changed"
	RuleEventDeleted      = "event-deleted"
	RuleIdentifierRemoved = "identifier-removed"
	RulePropertyRemoved   = "property-removed"
	RulePropertyType      = "property-type-changed"
	RuleEnumNarrowed      = "enum-narrowed"
	RuleTimeFrameChanged  = "time-frame-changed"
	RuleUniqueChanged     = "unique-changed"
	RuleRemovedIncomplete = "removed-without-details"
)

// Compare returns every breaking change from base to head, sorted. Problems
// in head are positioned in head's files; deletions are positioned where the
// definition was in base. Both sets must name files the same way (for
// example relative to the same directory), since a metric whose file kept
// its name but whose key_path changed is reported as a change of key_path.
func Compare(base, head *model.Set) diag.List {
	var l diag.List
	compareMetrics(&l, base, head)
	compareEvents(&l, base, head)
	checkRemoved(&l, head)
	return l.Sort()
}

func add(l *diag.List, p model.Pos, file, rule, format string, args ...any) {
	if p.File == "" {
		p.File = file
	}
	l.Add(p.File, p.Line, p.Col, rule, format, args...)
}

func compareMetrics(l *diag.List, base, head *model.Set) {
	headByKey := map[string]*model.Metric{}
	headByFile := map[string][]*model.Metric{}
	for _, m := range head.Metrics {
		headByKey[m.KeyPath] = m
		headByFile[m.File] = append(headByFile[m.File], m)
	}
	for _, b := range base.Metrics {
		h, ok := headByKey[b.KeyPath]
		if !ok {
			if b.Status == metric.Removed {
				continue // deleting a removed metric is the end of its lifecycle
			}
			if others := headByFile[b.File]; len(others) > 0 && !hasKeyPath(base, others[0].KeyPath) {
				o := others[0]
				add(l, o.Pos, o.File, RuleKeyPathChanged,
					"key_path changed from %s to %s: the series %s stops and a new one starts; keep %s, mark it status: removed (with milestone_removed and removed_by_url) and add the new key_path in a new file",
					b.KeyPath, o.KeyPath, b.KeyPath, b.KeyPath)
				continue
			}
			add(l, b.Pos, b.File, RuleKeyPathDeleted,
				"metric %s deleted while %s: set status: removed with milestone_removed and removed_by_url first, so collectors know the series ended on purpose",
				b.KeyPath, statusOf(b.Status))
			continue
		}
		if b.Status == metric.Removed {
			continue
		}
		if b.TimeFrame != h.TimeFrame {
			add(l, h.Pos, h.File, RuleTimeFrameChanged,
				"time_frame of %s changed from %s to %s: the series would silently change meaning; add a new key_path and remove this one",
				h.KeyPath, b.TimeFrame, h.TimeFrame)
		}
		if bu, hu := uniques(b), uniques(h); bu != hu {
			add(l, h.Pos, h.File, RuleUniqueChanged,
				"unique of %s changed from %s to %s: the series would silently change meaning; add a new key_path and remove this one",
				h.KeyPath, bu, hu)
		}
	}
}

func hasKeyPath(s *model.Set, key string) bool {
	return slices.ContainsFunc(s.Metrics, func(m *model.Metric) bool { return m.KeyPath == key })
}

// uniques describes what a metric counts: its distinct unique attributes,
// or "none" for totals and sums.
func uniques(m *model.Metric) string {
	var u []string
	for _, r := range m.Events {
		s := r.Unique.String()
		if s == "" {
			s = "none"
		}
		if !slices.Contains(u, s) {
			u = append(u, s)
		}
	}
	slices.Sort(u)
	if len(u) == 0 {
		return "none"
	}
	return strings.Join(u, ",")
}

func statusOf(s metric.Status) string {
	if s == "" {
		s = metric.Active
	}
	return string(s)
}

func compareEvents(l *diag.List, base, head *model.Set) {
	for _, b := range base.Events {
		if head.Event(b.Action) == nil {
			var users []string
			for _, m := range head.Metrics {
				if m.Status == metric.Removed {
					continue
				}
				if slices.ContainsFunc(m.Events, func(r metric.EventRule) bool { return r.Event == b.Action }) {
					users = append(users, m.KeyPath)
				}
			}
			switch len(users) {
			case 0:
			case 1:
				add(l, b.Pos, b.File, RuleEventDeleted,
					"event %s deleted while metric %s still names it: its counts would stop; remove or change the metric first",
					b.Action, users[0])
			default:
				add(l, b.Pos, b.File, RuleEventDeleted,
					"event %s deleted while metrics %s still name it: their counts would stop; remove or change the metrics first",
					b.Action, strings.Join(users, ", "))
			}
			continue
		}
		h := counterpart(head, b)
		if h == nil || b.Status == metric.Removed {
			continue
		}
		for _, id := range b.Identifiers {
			if !h.HasIdentifier(id) {
				add(l, h.Pos, h.File, RuleIdentifierRemoved,
					"identifier %s removed from event %s: callers pass it and unique counts over it would stop; add a new event instead",
					id, h.Action)
			}
		}
		for _, bp := range b.Properties {
			hp := h.Property(bp.Name)
			if hp == nil {
				add(l, h.Pos, h.File, RulePropertyRemoved,
					"property %s removed from event %s: callers set it and metrics may filter on it; add a new event instead",
					bp.Name, h.Action)
				continue
			}
			if typeOf(bp) != typeOf(hp) {
				add(l, hp.Pos, h.File, RulePropertyType,
					"type of property %s of event %s changed from %s to %s: callers and filters written for %s would break",
					bp.Name, h.Action, typeOf(bp), typeOf(hp), typeOf(bp))
				continue
			}
			if lost := narrowed(bp.Enum, hp.Enum); len(lost) > 0 {
				add(l, hp.Pos, h.File, RuleEnumNarrowed,
					"enum of property %s of event %s narrowed: %s no longer allowed; callers sending them would stop compiling and filters on them would count nothing",
					bp.Name, h.Action, strings.Join(lost, ", "))
			}
		}
	}
}

// counterpart returns the event of head that b is, as GitLab identifies
// events: an internal event by its action, a legacy event by its category
// and action (legacy events of different categories share actions). It
// returns nil when b changed kind or category: that is another event.
func counterpart(head *model.Set, b *model.Event) *model.Event {
	for _, e := range head.Events {
		if e.Action == b.Action && e.InternalEvents == b.InternalEvents && (b.InternalEvents || e.Category == b.Category) {
			return e
		}
	}
	return nil
}

func typeOf(p *model.Property) model.Type {
	if p.Type == "" {
		return model.String
	}
	return p.Type
}

// narrowed lists the values base allowed that head does not. An enum added
// where there was none narrows "anything" to its members.
func narrowed(base, head []model.Value) []string {
	if len(head) == 0 {
		return nil
	}
	if len(base) == 0 {
		return []string{"values outside " + quoteValues(head)}
	}
	var lost []string
	for _, v := range base {
		if !slices.ContainsFunc(head, func(w model.Value) bool { return w.Text == v.Text }) {
			lost = append(lost, fmt.Sprintf("%q", v.Text))
		}
	}
	return lost
}

func quoteValues(vs []model.Value) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = fmt.Sprintf("%q", v.Text)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// checkRemoved reports definitions removed in head without saying when and
// where, which collectors and reviewers rely on.
func checkRemoved(l *diag.List, head *model.Set) {
	for _, m := range head.Metrics {
		if m.Status != metric.Removed {
			continue
		}
		if missing := missingRemoval(m.MilestoneRemoved, m.RemovedByURL); missing != "" {
			add(l, m.Pos, m.File, RuleRemovedIncomplete, "metric %s is status: removed without %s", m.KeyPath, missing)
		}
	}
	for _, e := range head.Events {
		if e.Status != metric.Removed {
			continue
		}
		if missing := missingRemoval(e.MilestoneRemoved, e.RemovedByURL); missing != "" {
			add(l, e.Pos, e.File, RuleRemovedIncomplete, "event %s is status: removed without %s", e.Action, missing)
		}
	}
}

func missingRemoval(milestone, url string) string {
	var m []string
	if milestone == "" {
		m = append(m, "milestone_removed")
	}
	if url == "" {
		m = append(m, "removed_by_url")
	}
	return strings.Join(m, " and ")
}
