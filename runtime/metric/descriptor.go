// Package metric describes metrics and computes their values: event counts
// from a store, database counts, and values the application supplies.
package metric

import "context"

// TimeFrame is a metric's window: 7d, 28d, all or none.
type TimeFrame string

// Time frames.
const (
	Weekly  TimeFrame = "7d"
	Monthly TimeFrame = "28d"
	AllTime TimeFrame = "all"
	None    TimeFrame = "none"
)

// Status is a metric's lifecycle state. Only active and broken metrics are
// computed.
type Status string

// Statuses.
const (
	Active  Status = "active"
	Broken  Status = "broken"
	Removed Status = "removed"
)

// FilterTerm is one exact-match condition of a rule; Value is the canonical
// text also used in Redis keys.
type FilterTerm struct {
	Key   string
	Value string
}

// EventRule is one entry of an internal_events metric's events list.
type EventRule struct {
	Event string
	// Unique is empty for totals and sums, else user.id, project.id,
	// namespace.id, label, property or value.
	Unique string
	Filter []FilterTerm // sorted by Key
	// Operator is empty or "sum(value)".
	Operator string
}

// Database describes a database metric.
type Database struct {
	// Operation is count, distinct_count, sum or average.
	Operation       string
	Table           string
	Column          string // empty means the primary key, for count
	Where           string // reviewed SQL, ANDed with the time constraint
	TimestampColumn string // default created_at
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
	// Options is the definition's options block. The engine reads
	// options.events (redis_hll) and options.event and options.prefix
	// (redis) for GitLab's legacy Redis metrics.
	Options map[string]any

	// Exactly one of the following says how to compute the metric.
	Events   []EventRule // data_source internal_events
	Database *Database   // data_source database
	Value    ValueFunc   // application-supplied (system, license, classes)
}
