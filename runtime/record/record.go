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
	"time"

	"github.com/usagekit/usagekit/runtime/event"
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

// Value is a property's typed value, the type custom properties are
// tracked with.
type Value = event.Value
