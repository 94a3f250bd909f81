// Package livecheck checks event records, as the record sinks send them,
// against the definitions they claim to follow, and counts which events
// were seen: the check `usagekit live-check` runs over a JSON-lines file
// or a JetStream stream, so that an application's integration tests show
// which events it really sends, and send right.
package livecheck

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/record"
)

// Problem is what is wrong with one record. Rule names the check:
// bad-record, unknown-event, removed-event, legacy-event,
// missing-identifier, undeclared-identifier, undeclared-property,
// property-type, property-enum.
type Problem struct {
	Rule    string
	Message string
}

// Checker checks records and keeps the counts of a run. It is not safe
// for concurrent use.
type Checker struct {
	events  map[string]*model.Event
	names   []string // of the internal events, for suggestions
	seen    map[string]int
	records int
	bad     int
}

// New returns a checker for the events of set.
func New(set *model.Set) *Checker {
	c := &Checker{events: map[string]*model.Event{}, seen: map[string]int{}}
	for _, e := range set.Events {
		c.events[e.Action] = e
		if e.InternalEvents && e.Status != metric.Removed {
			c.names = append(c.names, e.Action)
		}
	}
	return c
}

// Check reads one record in its JSON form and returns its problems, none
// for a good record.
func (c *Checker) Check(line []byte) []Problem {
	c.records++
	var r record.Record
	if err := json.Unmarshal(line, &r); err != nil {
		c.bad++
		return []Problem{{"bad-record", "not a record: " + strings.TrimPrefix(err.Error(), "json: ")}}
	}
	ps := c.check(&r)
	if len(ps) > 0 {
		c.bad++
	}
	return ps
}

func (c *Checker) check(r *record.Record) []Problem {
	switch {
	case r.Event == "":
		c.seen[""]++
		return []Problem{{"bad-record", "the record names no event"}}
	case r.OccurredAt.IsZero():
		c.seen[r.Event]++
		return []Problem{{"bad-record", fmt.Sprintf("%s: the record has no occurred_at", r.Event)}}
	}
	c.seen[r.Event]++
	e := c.events[r.Event]
	switch {
	case e == nil:
		return []Problem{{"unknown-event", fmt.Sprintf("event %q is not defined%s", r.Event, diag.Suggest(r.Event, c.names))}}
	case e.Status == metric.Removed:
		return []Problem{{"removed-event", fmt.Sprintf("event %q is removed (milestone_removed %s): nothing should track it any more", r.Event, orNone(e.MilestoneRemoved))}}
	case !e.InternalEvents:
		return []Problem{{"legacy-event", fmt.Sprintf("event %q is a legacy event (no internal_events: true): it has no Track function to send records", r.Event)}}
	}
	var ps []Problem
	have := map[model.Identifier]bool{
		model.User: r.Identifiers.User != "", model.Project: r.Identifiers.Project != "",
		model.Namespace: r.Identifiers.Namespace != "", model.FeatureEnabledByNamespaceIDs: len(r.Identifiers.FeatureEnabledByNamespaces) > 0,
	}
	for _, id := range model.Identifiers {
		switch {
		case e.HasIdentifier(id) && !have[id] && id != model.FeatureEnabledByNamespaceIDs:
			// An empty list of namespaces is a value: nothing enabled it.
			ps = append(ps, Problem{"missing-identifier", fmt.Sprintf("%s: identifier %s is missing; the event declares %s", r.Event, id, identifiers(e))})
		case !e.HasIdentifier(id) && have[id]:
			ps = append(ps, Problem{"undeclared-identifier", fmt.Sprintf("%s: identifier %s is not declared; the event declares %s", r.Event, id, identifiers(e))})
		}
	}
	for _, p := range r.Properties {
		if rule, msg := checkProperty(e, p); msg != "" {
			ps = append(ps, Problem{rule, r.Event + ": " + msg})
		}
	}
	return ps
}

// checkProperty says what is wrong with one property of a record of e,
// and which rule it breaks; "" for nothing.
func checkProperty(e *model.Event, p record.Property) (rule, msg string) {
	decl := e.Property(p.Name)
	if decl == nil {
		var names []string
		for _, d := range e.Properties {
			names = append(names, d.Name)
		}
		if len(names) == 0 {
			return "undeclared-property", fmt.Sprintf("property %q is not declared; the event declares none", p.Name)
		}
		return "undeclared-property", fmt.Sprintf("property %q is not declared; the event declares %s%s", p.Name, strings.Join(names, ", "), diag.Suggest(p.Name, names))
	}
	v := p.Value
	ok := false
	switch decl.Type {
	case model.String:
		// An untyped custom property is a string; GitLab's clients may
		// send it a number, which its filters compare by text.
		ok = v.Type() == event.String || decl.Untyped && (v.Type() == event.Integer || v.Type() == event.Number)
	case model.Integer:
		ok = v.Type() == event.Integer || v.Type() == event.Number && v.Float() == math.Trunc(v.Float())
	case model.Number:
		ok = v.Type() == event.Integer || v.Type() == event.Number
	case model.Boolean:
		ok = v.Type() == event.Boolean
	}
	if !ok {
		return "property-type", fmt.Sprintf("property %s is %s; want %s", p.Name, describe(v), article(decl.Type))
	}
	if len(decl.Enum) > 0 && !slices.ContainsFunc(decl.Enum, func(m model.Value) bool { return m.Text == v.String() }) {
		var allowed []string
		for _, m := range decl.Enum {
			allowed = append(allowed, m.Text)
		}
		return "property-enum", fmt.Sprintf("property %s: %q is not one of %s", p.Name, v.String(), strings.Join(allowed, ", "))
	}
	return "", ""
}

func describe(v record.Value) string {
	switch v.Type() {
	case event.String:
		return fmt.Sprintf("a string (%q)", v.String())
	case event.Integer:
		return fmt.Sprintf("an integer (%d)", v.Int())
	case event.Number:
		return fmt.Sprintf("a number (%s)", v.String())
	case event.Boolean:
		return fmt.Sprintf("a boolean (%t)", v.Bool())
	}
	return "of no type"
}

func article(t model.Type) string {
	if t == model.Integer {
		return "an integer"
	}
	return "a " + string(t)
}

func identifiers(e *model.Event) string {
	if len(e.Identifiers) == 0 {
		return "none"
	}
	var s []string
	for _, id := range e.Identifiers {
		s = append(s, string(id))
	}
	return strings.Join(s, ", ")
}

func orNone(s string) string {
	if s == "" {
		return "not given"
	}
	return s
}

// Coverage is one row of the coverage table.
type Coverage struct {
	Event string `json:"event"`
	// Status is "seen", "never seen", or, for records of an event the
	// definitions do not have as an active internal event, "unknown",
	// "removed" or "legacy".
	Status string `json:"status"`
	Count  int    `json:"count"`
}

// Coverage lists every active internal event with how many records of it
// were seen, then every other event records named, by name.
func (c *Checker) Coverage() []Coverage {
	var out []Coverage
	for _, name := range c.names {
		status := "never seen"
		if c.seen[name] > 0 {
			status = "seen"
		}
		out = append(out, Coverage{name, status, c.seen[name]})
	}
	var others []Coverage
	for name, n := range c.seen {
		e := c.events[name]
		switch {
		case name == "":
		case e == nil:
			others = append(others, Coverage{name, "unknown", n})
		case e.Status == metric.Removed:
			others = append(others, Coverage{name, "removed", n})
		case !e.InternalEvents:
			others = append(others, Coverage{name, "legacy", n})
		}
	}
	slices.SortFunc(others, func(a, b Coverage) int { return strings.Compare(a.Event, b.Event) })
	return append(out, others...)
}

// Records and Bad count the records checked and those with problems.
func (c *Checker) Records() int { return c.records }

// Bad counts the records with problems.
func (c *Checker) Bad() int { return c.bad }

// Covered is the share of the active internal events seen at least once,
// in percent; 100 when there are none.
func (c *Checker) Covered() float64 {
	if len(c.names) == 0 {
		return 100
	}
	n := 0
	for _, name := range c.names {
		if c.seen[name] > 0 {
			n++
		}
	}
	return 100 * float64(n) / float64(len(c.names))
}
