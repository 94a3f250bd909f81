// Package model is the resolved, typed form of a set of definition files: what
// validation produces and what code generation, documentation and the CLI
// read. Nothing here refers to YAML; every element keeps the position of the
// definition it came from so later stages can report problems precisely.
package model

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

// Status is the lifecycle state of a definition.
type Status string

// Statuses. Events are active or removed; metrics may also be broken.
const (
	Active  Status = "active"
	Removed Status = "removed"
	Broken  Status = "broken"
)

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
	Status            Status // Active when the file leaves it out
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
}

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

// TimeFrame is a metric's window.
type TimeFrame string

// Time frames.
const (
	Weekly  TimeFrame = "7d"
	Monthly TimeFrame = "28d"
	AllTime TimeFrame = "all"
	None    TimeFrame = "none"
)

// Metric is one metric definition after time-frame expansion: a file with
// time_frame: [7d, 28d] yields two Metrics sharing File and BaseKeyPath.
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
	Status               Status
	TimeFrame            TimeFrame
	DataSource           string
	DataCategory         string
	InstrumentationClass string
	Events               []*EventRule // data_source internal_events
	Database             *Database    // data_source database with a database block
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

// Unique is the attribute a unique count is taken over.
type Unique string

// Unique attributes, as written in definitions.
const (
	UniqueUser      Unique = "user.id"
	UniqueProject   Unique = "project.id"
	UniqueNamespace Unique = "namespace.id"
	UniqueLabel     Unique = "label"
	UniqueProperty  Unique = "property"
	UniqueValue     Unique = "value"
)

// EventRule is one entry of a metric's events list.
type EventRule struct {
	Pos      Pos
	Event    string
	Ref      *Event // resolved event
	Unique   Unique // empty for totals and sums
	Filter   []Filter
	Operator string // empty or "sum(value)"
}

// Filter is one exact-match condition on an event property.
type Filter struct {
	Pos      Pos
	Property string
	Value    Value
}

// Database describes a database metric (our extension of the format).
type Database struct {
	Pos             Pos
	Operation       string // count, distinct_count, sum, average
	Table           string
	Column          string
	Where           string
	TimestampColumn string // default created_at
}
