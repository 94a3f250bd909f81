// Package model is the resolved, typed form of a set of definition files: what
// validation produces and what code generation, documentation and the CLI
// read. Nothing here refers to YAML; every element keeps the position of the
// definition it came from so later stages can report problems precisely.
package model

import (
	"slices"

	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// Pos is a position in a definition file. Line and Col are 1-based.
type Pos struct {
	// File is the path as given to the loader, relative to where the tool ran.
	File string
	Line int
	Col  int
}

// Set is every definition of one run, after validation and cross-file
// resolution.
type Set struct {
	// Events are sorted by Action.
	Events []*Event
	// Metrics are sorted by KeyPath, one per time frame after expansion.
	Metrics []*Metric
	// ProductGroups are the groups the project lists in its
	// product_groups.yml, sorted by name; empty when the definitions are
	// checked against GitLab's list.
	ProductGroups []ProductGroup
}

// ProductGroup is a group of the project's own list of product groups.
type ProductGroup struct {
	Pos         Pos // of the name in product_groups.yml
	Name        string
	Description string // empty when the list gives none
}

// Event returns the event named action, or nil.
func (s *Set) Event(action string) *Event {
	for _, e := range s.Events {
		if e.Action == action {
			return e
		}
	}
	return nil
}

// Identifier is an identifier an event can carry.
type Identifier string

// The identifiers, in the order they appear as Track parameters.
const (
	User                         Identifier = "user"
	Project                      Identifier = "project"
	Namespace                    Identifier = "namespace"
	FeatureEnabledByNamespaceIDs Identifier = "feature_enabled_by_namespace_ids"
)

// Identifiers lists every identifier in parameter order.
var Identifiers = []Identifier{User, Project, Namespace, FeatureEnabledByNamespaceIDs}

// Event is one event definition.
type Event struct {
	Pos  Pos // of the action key (or of the file when missing)
	File string

	Action            string
	Description       string
	Category          string // legacy Snowplow category
	InternalEvents    bool
	Identifiers       []Identifier // in the order of Identifiers, no duplicates
	Properties        []*Property  // sorted by Name; built-ins included when declared
	ProductGroup      string
	ProductCategories []string
	Milestone         string
	IntroducedByURL   string
	Tiers             []string
	Distributions     []string
	Status            metric.Status // metric.Active when the file leaves it out
	MilestoneRemoved  string
	RemovedByURL      string

	// Metrics lists, in KeyPath order, the metrics whose rules name this event.
	Metrics []*Metric
}

// HasIdentifier reports whether the event declares id.
func (e *Event) HasIdentifier(id Identifier) bool {
	for _, x := range e.Identifiers {
		if x == id {
			return true
		}
	}
	return false
}

// Property returns the additional property called name, or nil.
func (e *Event) Property(name string) *Property {
	for _, p := range e.Properties {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Type is the type of an additional property or of a filter value.
type Type string

// Property types. Built-ins: label and property are String, value is Number.
const (
	String  Type = "string"
	Integer Type = "integer"
	Number  Type = "number"
	Boolean Type = "boolean"
)

// Property is one additional property of an event.
type Property struct {
	Pos         Pos
	Name        string
	Description string
	Type        Type
	// Builtin is true for label, property and value.
	Builtin bool
	// Untyped is true for a custom property without a type, as GitLab
	// writes them: its Type is String, and a filter may still give it a
	// string or a number, which is compared by its text.
	Untyped bool
	// Enum, when not empty, lists the allowed values in the order written.
	Enum []Value
	// Classification is what the values may reveal, as the definition
	// states it; empty when it says nothing (built-ins never do).
	Classification Classification
	// ClassificationPos and DescriptionPos are where those values are
	// written; zero when they are not.
	ClassificationPos Pos
	DescriptionPos    Pos
}

// Classification says what a property's values may reveal about people,
// the privacy rules' reading of a custom property.
type Classification string

// The classifications, from the least to the most revealing.
const (
	Public       Classification = "public"
	Internal     Classification = "internal"
	Pseudonymous Classification = "pseudonymous"
	Personal     Classification = "personal"
)

// Value is a typed scalar from a definition: an enum member or a filter value.
type Value struct {
	Type Type
	// Text is the canonical text of the value, as it appears in Redis keys:
	// strings as written, integers in decimal, numbers as written in YAML,
	// booleans as true or false.
	Text  string
	Int   int64
	Float float64
	Bool  bool
}

// Metric is one metric definition after time-frame expansion: a file with
// time_frame: [7d, 28d] yields two Metrics sharing File and BaseKeyPath.
// What the metric computes is stated in the runtime's own types (the
// description every consumer evaluates, built by Descriptor); the rest is
// documentation and positions.
type Metric struct {
	Pos  Pos // of the key_path key
	File string

	KeyPath     string // after expansion (suffix _weekly, _monthly or none)
	BaseKeyPath string // as written
	Description string
	ValueType   string // number, string, boolean, object
	// NumberIsFloat is set when a number metric is fractional (an average or
	// a sum), so generated code returns float64 rather than int64.
	NumberIsFloat        bool
	Status               metric.Status
	TimeFrame            metric.TimeFrame
	TimeFramePos         Pos // of the time frame's value (the list item when a list)
	DataSource           string
	DataCategory         string
	InstrumentationClass string
	// Events are the rules of a data_source internal_events metric, in the
	// order written, each filter sorted by property.
	Events []metric.EventRule
	// Sources says where each of Events is written, in the same order.
	Sources []RuleSource
	// Database is the query of a data_source database metric with a
	// database block; DatabasePos is where the block is.
	Database             *dbcount.Query
	DatabasePos          Pos
	PerformanceIndicator []string
	Tiers                []string
	Milestone            string
	MilestoneRemoved     string
	RemovedByURL         string
	IntroducedByURL      string
	RepairIssueURL       string
	ProductGroup         string
	ProductCategories    []string
	// Options is the options block decoded as JSON-compatible values.
	Options map[string]any
}

// NeedsCode reports whether the application computes the metric: system and
// license metrics and any metric naming an instrumentation class that
// usagekit does not compute itself.
func (m *Metric) NeedsCode() bool {
	switch m.DataSource {
	case "system", "license":
		return true
	case "internal_events":
		return false
	case "database":
		return m.Database == nil
	}
	return m.InstrumentationClass != "" || (m.DataSource != "internal_events" && m.Database == nil)
}

// Descriptor is the metric's description for the runtime: the one place a
// definition becomes what the engine, generated code, the YAML-driven ping
// and the warehouse evaluate. Generated code renders exactly this value.
// The result shares nothing with m.
func (m *Metric) Descriptor() *metric.Descriptor {
	d := &metric.Descriptor{
		KeyPath:              m.KeyPath,
		Description:          m.Description,
		TimeFrame:            m.TimeFrame,
		DataSource:           m.DataSource,
		ValueType:            m.ValueType,
		DataCategory:         m.DataCategory,
		Status:               m.Status,
		InstrumentationClass: m.InstrumentationClass,
		Options:              cloneValue(m.Options).(map[string]any),
		Application:          m.NeedsCode(),
	}
	for _, r := range m.Events {
		r.Filter = slices.Clone(r.Filter)
		d.Events = append(d.Events, r)
	}
	if m.Database != nil && !d.Application {
		q := *m.Database
		d.Database = &q
	}
	return d
}

// cloneValue copies a decoded YAML value so the copy shares no map or
// slice with v. A nil map stays a nil map of its type.
func cloneValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if x == nil {
			return x
		}
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = cloneValue(e)
		}
		return c
	case []any:
		if x == nil {
			return x
		}
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = cloneValue(e)
		}
		return c
	}
	return v
}

// Descriptors returns the description of every computed (active or
// broken) metric, in key_path order: what generated Metrics returns, and
// what a usage ping computed from the definitions reads.
func (s *Set) Descriptors() []*metric.Descriptor {
	var out []*metric.Descriptor
	for _, m := range s.Metrics {
		if m.Status.Computed() {
			out = append(out, m.Descriptor())
		}
	}
	return out
}

// Descriptor is the runtime's description of e, which generated code holds
// and the track endpoint checks requests against: its updates, the bits of
// those without a filter, its identifiers and its properties.
func (e *Event) Descriptor() event.Descriptor {
	d := event.Descriptor{Name: e.Action, Updates: e.Updates()}
	for i, u := range d.Updates {
		if len(u.Filter) == 0 {
			d.Always |= 1 << i
		}
	}
	for i, id := range Identifiers {
		if e.HasIdentifier(id) {
			d.Identifiers |= 1 << i
		}
	}
	for _, p := range e.Properties {
		ep := event.Property{Name: p.Name, Type: p.Type.runtime(), Untyped: p.Untyped, Builtin: p.Builtin}
		for _, v := range p.Enum {
			ep.Enum = append(ep.Enum, v.Text)
		}
		d.Properties = append(d.Properties, ep)
	}
	return d
}

// runtime is t as the runtime spells it.
func (t Type) runtime() event.PropertyType {
	switch t {
	case Integer:
		return event.Integer
	case Number:
		return event.Number
	case Boolean:
		return event.Boolean
	}
	return event.String
}

// Updates returns the Redis updates tracking e performs, derived from the
// metrics that name it (metric.Updates).
func (e *Event) Updates() []event.Update {
	ds := make([]*metric.Descriptor, len(e.Metrics))
	for i, m := range e.Metrics {
		ds[i] = m.Descriptor()
	}
	return metric.Updates(e.Action, ds)
}

// RuleSource is where one event rule of a metric is written, and the event
// it names.
type RuleSource struct {
	Pos Pos // of the entry in the events list
	// Event is the definition the rule names; nil when none has its action.
	Event *Event
	// Invalid is set when the entry has a value its schema refuses (a
	// unique or operator not in the list, a bare string): the schema
	// reports it, and the rules that span files leave the entry alone.
	Invalid bool
	// Filter says, for each term of the rule's filter in the filter's
	// order, where the term is and its value as written.
	Filter []TermSource
}

// TermSource is where a filter term is written and its value as written,
// before it takes the type of the property it filters.
type TermSource struct {
	Pos     Pos
	Written Value
}
