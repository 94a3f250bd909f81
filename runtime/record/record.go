// Package record turns tracked events into records, the SaaS path of
// product analytics: one record per Track call, with a time-ordered id, the
// time it happened, the event's action, its identifiers (pseudonymized by
// default), its typed properties and the sending application's context.
//
// A Pipeline receives events from the tracker (track.Options.Records),
// keeps them in a compact form in per-processor buffers, and delivers them
// in batches to a Sink: NATS JetStream (package natssink), an HTTP
// collector (httpsink), a Snowplow collector (snowplow) or JSON lines on an
// io.Writer (jsonl). Like the tracker's path to Redis, it never blocks the
// caller, bounds the bytes it keeps, retries failed batches, counts what it
// drops and reports errors through a rate-limited handler.
//
// The JSON form of a record, the same in every sink that writes JSON:
//
//	{"id":"01935e1c-8a2b-7c3d-9e4f-0a1b2c3d4e5f",
//	 "occurred_at":"2026-11-25T10:00:00.123456789Z",
//	 "event":"create_issue",
//	 "identifiers":{"user":"<hex>","project":"<hex>","namespace":"<hex>"},
//	 "properties":{"label":"incident","property":"web","value":2,"weight":3},
//	 "context":{"instance_uuid":"...","app_name":"...","app_version":"...","environment":"...","host":"..."}}
package record

import (
	"math"
	"strconv"
	"time"
)

// Record is one occurrence of an event.
type Record struct {
	// ID is a UUIDv7: records sort by it in the order they happened, and
	// it makes storage exactly once when a batch is delivered twice.
	ID ID
	// OccurredAt is when the event was tracked, by the tracker's clock.
	OccurredAt time.Time
	// Event is the event's action, for example "create_issue".
	Event string
	// Identifiers are the event's identifiers, pseudonymized or raw.
	Identifiers Identifiers
	// Properties are the built-in properties that were set (label,
	// property, value, in that order), then the custom properties in the
	// order generated code passes them. Names are unique.
	Properties []Property
	// Context describes the application that sent the record.
	Context Context
}

// Identifiers are a record's identifiers: each the lowercase hex of an
// HMAC-SHA256 (see Pseudonymize) or, with Options.RawIdentifiers, the id
// in decimal; "" when the event has none.
type Identifiers struct {
	User      string
	Project   string
	Namespace string
	// FeatureEnabledByNamespaces are the namespaces whose setting enabled
	// the feature, pseudonymized as namespaces are.
	FeatureEnabledByNamespaces []string
}

// Context describes the application sending records; it is set once, in
// Options.Context, and carried by every record.
type Context struct {
	// InstanceUUID identifies the installation (the usage ping's uuid).
	InstanceUUID string
	// AppName is the application's name, for example "gitlab".
	AppName string
	// AppVersion is the application's version.
	AppVersion string
	// Environment is where it runs, for example "production".
	Environment string
	// Host is the machine's name. Pipeline's default: os.Hostname.
	Host string
}

// Property is one named, typed property of a record.
type Property struct {
	Name  string
	Value Value
}

// Kind is the type of a Value.
type Kind uint8

// Kinds of value, the types a property may declare.
const (
	KindString Kind = iota + 1
	KindInt
	KindFloat
	KindBool
)

// Value is a property's typed value. The zero Value is the empty string.
// Like slog.Value it holds its value without boxing, so records decode
// without allocating.
type Value struct {
	kind Kind
	str  string
	num  uint64
}

// StringValue returns a string Value.
func StringValue(s string) Value { return Value{kind: KindString, str: s} }

// IntValue returns an integer Value.
func IntValue(n int64) Value { return Value{kind: KindInt, num: uint64(n)} }

// FloatValue returns a number Value.
func FloatValue(f float64) Value { return Value{kind: KindFloat, num: math.Float64bits(f)} }

// BoolValue returns a boolean Value.
func BoolValue(b bool) Value {
	v := Value{kind: KindBool}
	if b {
		v.num = 1
	}
	return v
}

// Kind is the value's type.
func (v Value) Kind() Kind {
	if v.kind == 0 {
		return KindString
	}
	return v.kind
}

// Int is the value of an integer Value, else 0.
func (v Value) Int() int64 {
	if v.kind != KindInt {
		return 0
	}
	return int64(v.num)
}

// Float is the value of a number Value, or an integer's value as a
// float64, else 0.
func (v Value) Float() float64 {
	switch v.kind {
	case KindFloat:
		return math.Float64frombits(v.num)
	case KindInt:
		return float64(int64(v.num))
	}
	return 0
}

// Bool is the value of a boolean Value, else false.
func (v Value) Bool() bool { return v.kind == KindBool && v.num == 1 }

// String is the value as text: a string as it is, numbers as JSON writes
// them, booleans as true or false.
func (v Value) String() string {
	switch v.kind {
	case KindInt:
		return strconv.FormatInt(int64(v.num), 10)
	case KindFloat:
		return string(appendFloat(nil, math.Float64frombits(v.num)))
	case KindBool:
		return strconv.FormatBool(v.num == 1)
	}
	return v.str
}

// Any is the value as a string, int64, float64 or bool.
func (v Value) Any() any {
	switch v.kind {
	case KindInt:
		return int64(v.num)
	case KindFloat:
		return math.Float64frombits(v.num)
	case KindBool:
		return v.num == 1
	}
	return v.str
}

// Equal reports whether v and w have the same kind and value.
func (v Value) Equal(w Value) bool { return v.Kind() == w.Kind() && v.str == w.str && v.num == w.num }
