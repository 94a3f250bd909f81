// Package metric describes metrics and computes their values: event counts
// from a store, database counts, and values the application supplies.
//
// Descriptor is the one description of a metric. The generator builds it
// from a validated definition, generated code holds it as a literal, and the
// engine here, the YAML-driven usagekit ping and the collector's warehouse
// all evaluate it: a rule, a filter, a unique, a time frame and a database
// query each have one type (EventRule, event.Filter, event.Unique,
// TimeFrame, dbcount.Query).
package metric

import (
	"context"

	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
)

// Status is the lifecycle state of a definition. Events are active or
// removed; metrics may also be broken. Only active and broken metrics are
// computed.
type Status string

// Statuses.
const (
	Active  Status = "active"
	Broken  Status = "broken"
	Removed Status = "removed"
)

// Computed reports whether a metric of this status is part of the usage
// ping and the generated API: active and broken ones are.
func (s Status) Computed() bool { return s == Active || s == Broken }

// Operator is how a rule aggregates the events it matches beyond counting
// them. The zero value counts.
type Operator string

// SumValue adds up the events' value property.
const SumValue Operator = "sum(value)"

// EventRule is one entry of an internal_events metric's events list.
type EventRule struct {
	// Event is the action of the event the rule reads.
	Event string
	// Unique is the attribute counted once per distinct value;
	// event.UniqueNone for totals and sums.
	Unique event.Unique
	// Filter must hold for an occurrence to count.
	Filter event.Filter
	// Operator is "" for counts and SumValue for sums.
	Operator Operator
}

// Kind is the Redis update that feeds the rule.
func (r EventRule) Kind() event.UpdateKind {
	switch {
	case r.Unique != event.UniqueNone:
		return event.UniqueCount
	case r.Operator == SumValue:
		return event.Sum
	}
	return event.Total
}

// ValueFunc computes a metric that the application supplies.
type ValueFunc func(ctx context.Context) (any, error)

// Descriptor describes one metric after time-frame expansion.
type Descriptor struct {
	KeyPath      string
	Description  string
	TimeFrame    TimeFrame
	DataSource   string
	ValueType    string // number, string, boolean, object
	DataCategory string // operational, optional, subscription, standard
	Status       Status
	// InstrumentationClass is carried for reference; the value comes from
	// Value when the class names application code.
	InstrumentationClass string
	// Options is the definition's options block, as JSON-compatible values.
	// The engine reads options.events (redis_hll) and options.event and
	// options.prefix (redis) for GitLab's legacy Redis metrics when the
	// application does not compute them.
	Options map[string]any

	// Events are the rules of an internal_events metric.
	Events []EventRule
	// Database is the query of a database metric.
	Database *dbcount.Query
	// Application is set for metrics that only the application computes:
	// system and license facts and metrics naming an instrumentation class.
	// Generated code sets Value to the application's method; without a
	// Value such a metric fails with ErrNoSource.
	Application bool
	// Value computes an application metric.
	Value ValueFunc
}
