// Package event holds the types that generated Track functions and the
// tracker share: typed identifiers, event descriptors and the record of one
// tracked event.
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

// Unique is the attribute a unique-count rule adds to its HyperLogLog.
type Unique uint8

// Unique attributes. Their Redis key parts are user, project, namespace,
// label, property and value.
const (
	UniqueNone Unique = iota
	UniqueUser
	UniqueProject
	UniqueNamespace
	UniqueLabel
	UniqueProperty
	UniqueValue
)

// RuleKind says what a rule does to Redis.
type RuleKind uint8

// Rule kinds.
const (
	// Total increments a counter by one per event.
	Total RuleKind = iota + 1
	// Sum increments a counter by the event's Value.
	Sum
	// UniqueCount adds the rule's Unique attribute to a HyperLogLog.
	UniqueCount
)

// Rule is one Redis update that tracking an event performs. The generator
// derives the rules of an event from every metric that names it, removing
// duplicates; rule 0 of every event is its unfiltered total.
type Rule struct {
	Kind   RuleKind
	Unique Unique // for UniqueCount
	// Key is the full key without the week suffix, for example
	// "{hll_counters}_issue_created-user". Weekly keys append "-2024-07".
	Key string
	// AllTime maintains Key itself, without expiry.
	AllTime bool
	// Weekly maintains Key plus the ISO week suffix, expiring after six weeks.
	Weekly bool
}

// Descriptor is the generated, immutable description of one event.
type Descriptor struct {
	// Name is the event's action.
	Name string
	// Rules are the updates the event can cause; bit i of Record.Match says
	// whether Rules[i] applies to a given record.
	Rules []Rule
	// Always has the bits of the rules without a filter.
	Always uint64
}

// Prop is a custom additional property, carried only for event sinks.
type Prop struct {
	Name  string
	Value any
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

	// Match has bit i set when Descriptor.Rules[i] applies: the generated
	// Track function evaluates each rule's filter against the typed
	// properties.
	Match uint64

	// Custom holds custom properties, filled only when the tracker forwards
	// raw records to a sink.
	Custom []Prop
}
