// Package event holds the types that generated Track functions and the
// tracker share: typed identifiers, the attributes a unique count is taken
// over, property filters, the Redis updates an event causes, event
// descriptors and the record of one tracked event.
package event

// UserID identifies a user. The identifier types are distinct so that passing
// a project where a user belongs does not compile. Zero means "no user": unique
// counts over users skip it.
type UserID int64

// ProjectID identifies a project. Zero means "no project".
type ProjectID int64

// NamespaceID identifies a namespace (group or personal namespace). Zero means
// "no namespace".
type NamespaceID int64

// UpdateKind says what an update does to Redis.
type UpdateKind uint8

// Update kinds.
const (
	// Total increments a counter by one per event.
	Total UpdateKind = iota + 1
	// Sum increments a counter by the event's Value.
	Sum
	// UniqueCount adds the update's Unique attribute to a HyperLogLog.
	UniqueCount
)

// Update is one Redis write that tracking an event performs. The updates of
// an event are derived from every metric that names it (metric.Updates);
// update 0 of every event is its unfiltered total.
type Update struct {
	Kind   UpdateKind
	Unique Unique // for UniqueCount
	// Filter is the condition under which the update applies; empty for
	// every occurrence. Generated Track functions evaluate it on typed
	// properties and set the update's bit in Record.Match.
	Filter Filter
	// Key is the full key without the week suffix, for example
	// "{hll_counters}_issue_created-user". Weekly keys append "-2024-07".
	Key string
	// AllTime maintains Key itself, without expiry.
	AllTime bool
	// Weekly maintains Key plus the ISO week suffix, expiring after six weeks.
	Weekly bool
}

// MaxUpdates is the most updates one event may have: Record.Match is a
// 64-bit mask.
const MaxUpdates = 64

// Descriptor is the generated, immutable description of one event.
type Descriptor struct {
	// Name is the event's action.
	Name string
	// Updates are the writes the event can cause; bit i of Record.Match
	// says whether Updates[i] applies to a given record.
	Updates []Update
	// Always has the bits of the updates without a filter.
	Always uint64
	// Identifiers are the identifiers the event declares.
	Identifiers Identifiers
	// Properties are the event's additional properties, sorted by name,
	// built-ins included when declared.
	Properties []Property
}

// Property returns the declaration of the named additional property, and
// false when the event does not declare it.
func (d *Descriptor) Property(name string) (*Property, bool) {
	for i := range d.Properties {
		if d.Properties[i].Name == name {
			return &d.Properties[i], true
		}
	}
	return nil, false
}

// Prop is a custom additional property, carried only for event sinks and
// records.
type Prop struct {
	Name  string
	Value Value
}

// Record is one occurrence of an event, as built by a generated Track
// function. It is passed by pointer and must not be retained by the callee
// after it returns.
type Record struct {
	User      UserID
	Project   ProjectID
	Namespace NamespaceID
	// FeatureEnabledByNamespaceIDs lists the namespaces whose setting enabled
	// the feature the event belongs to.
	FeatureEnabledByNamespaceIDs []NamespaceID

	Label    string
	Property string
	Value    float64
	// HasValue is false when the caller left the value property unset.
	HasValue bool

	// Match has bit i set when Descriptor.Updates[i] applies: the generated
	// Track function evaluates each update's filter against the typed
	// properties.
	Match uint64

	// Custom holds custom properties, filled only when the tracker forwards
	// raw records to a sink.
	Custom []Prop
}
