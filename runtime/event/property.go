package event

// Identifiers is the set of identifiers an event declares, for the track
// endpoint: it takes from a request only the identifiers the event has.
type Identifiers uint8

// The identifiers an event may declare.
const (
	HasUser Identifiers = 1 << iota
	HasProject
	HasNamespace
	HasFeatureEnabledByNamespaceIDs
)

// Has reports whether every identifier of x is in s.
func (s Identifiers) Has(x Identifiers) bool { return s&x == x }

// PropertyType is the type of an additional property's values.
type PropertyType uint8

// Property types, as definitions spell them in type:. The built-ins label
// and property are String, value is Number.
const (
	String PropertyType = iota + 1
	Integer
	Number
	Boolean
)

var propertyTypeNames = [...]string{"", "string", "integer", "number", "boolean"}

// String is the definitions' spelling of t: string, integer, number or
// boolean.
func (t PropertyType) String() string {
	if int(t) < len(propertyTypeNames) && t > 0 {
		return propertyTypeNames[t]
	}
	return "unknown"
}

// Property declares one additional property of an event: what a generated
// Track function takes as a typed field, and what the track endpoint
// accepts from a request in its place.
type Property struct {
	// Name is the property's name in the definition (label, property,
	// value, or a custom name).
	Name string
	// Type is the type of the property's values.
	Type PropertyType
	// Untyped is set on a custom property declared without a type, as
	// GitLab writes them: a string in Go, and the endpoint also accepts a
	// number for it, kept as its text, as filters compare such a property.
	Untyped bool
	// Builtin is set on label, property and value, which records and Redis
	// keys carry in their own fields.
	Builtin bool
	// Enum, when not empty, lists the allowed values as canonical text (the
	// text of Redis keys: integers in decimal, numbers as written in the
	// definition, booleans as true or false).
	Enum []string
}
