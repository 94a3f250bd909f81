// Package wireschema writes the JSON Schemas of what travels from an
// instance to a collector, generated from the definitions: the usage ping
// payload (Payload) and event records (Records). A collector validates
// what it receives with them; a consumer of records checks them against
// the events they claim to be.
package wireschema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/metric"
)

// Compile compiles a schema this package wrote, named name, as whoever
// receives what it describes validates with it: draft 2020-12, with
// formats (date-time, uuid) asserted.
func Compile(name string, doc []byte) (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true
	if err := c.AddResource(name, bytes.NewReader(doc)); err != nil {
		return nil, fmt.Errorf("wireschema: %s: %w", name, err)
	}
	s, err := c.Compile(name)
	if err != nil {
		return nil, fmt.Errorf("wireschema: %s: %w", name, err)
	}
	return s, nil
}

// object is a JSON Schema object in the making.
type object = map[string]any

// failed is what a metric that could not be computed reports, whatever
// its type.
var failed = object{"const": -1, "description": "The metric could not be computed; its error is in the metadata."}

// valueSchema is the schema of a metric's value.
func valueSchema(m *model.Metric) object {
	var s object
	switch m.ValueType {
	case "string":
		s = object{"anyOf": []any{object{"type": "string"}, failed}}
	case "boolean":
		s = object{"anyOf": []any{object{"type": "boolean"}, failed}}
	case "object":
		// GitLab's "object" metrics hold lists too
		// (settings.collected_data_categories).
		s = object{"anyOf": []any{object{"type": []any{"object", "array"}}, failed}}
	default:
		s = object{"type": "number"} // -1 is a number too
	}
	s["description"] = strings.TrimSpace(m.Description)
	return s
}

// Payload returns the JSON Schema of the usage ping of set: an object
// nested by key_path segments, each active or broken metric's value of its
// value_type (or -1, a metric that failed), the instance facts (uuid,
// recorded_at, hostname, version) at the top level. Keys no definition has
// are refused, so a collector reports what an instance of another version
// sends (and keeps the ping all the same).
func Payload(set *model.Set) ([]byte, error) {
	root := object{
		"type":                 "object",
		"properties":           object{},
		"additionalProperties": false,
		"required":             []any{"uuid", "recorded_at"},
	}
	facts := map[string]object{
		"uuid":        {"type": "string", "minLength": 1, "description": "The instance's UUID."},
		"recorded_at": {"type": "string", "format": "date-time", "description": "When the ping was computed."},
		"hostname":    {"type": "string", "description": "The instance's host name."},
		"version":     {"type": "string", "description": "The application's version."},
	}
	for _, k := range slices.Sorted(maps.Keys(facts)) {
		root["properties"].(object)[k] = facts[k]
	}
	for _, m := range set.Metrics {
		if !m.Status.Computed() {
			continue
		}
		if _, fact := facts[m.KeyPath]; fact {
			continue // the ping writes these itself
		}
		if err := place(root, strings.Split(m.KeyPath, "."), valueSchema(m)); err != nil {
			return nil, fmt.Errorf("wireschema: %s: %w", m.KeyPath, err)
		}
	}
	doc := object{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"title":       "usage ping payload",
		"description": "The usage ping of the definitions: every active or broken metric nested by key_path.",
	}
	maps.Copy(doc, root)
	return encode(doc)
}

// place puts the schema of a leaf at its key path, creating the objects of
// the segments above it.
func place(root object, path []string, leaf object) error {
	cur := root
	for i, seg := range path {
		props := cur["properties"].(object)
		if i == len(path)-1 {
			if _, ok := props[seg]; ok {
				return fmt.Errorf("key path is a value and a group")
			}
			props[seg] = leaf
			return nil
		}
		next, ok := props[seg].(object)
		if !ok || next["properties"] == nil {
			if ok {
				return fmt.Errorf("key path is a value and a group")
			}
			next = object{"type": "object", "properties": object{}, "additionalProperties": false}
			props[seg] = next
		}
		cur = next
	}
	return nil
}

// Records returns the JSON Schema of the event records of set's active
// internal events: one branch per event, with the identifiers it declares
// (each required but the list of namespaces that enabled a feature) and its
// properties, typed (a custom property without a type is a string;
// an enum lists its values), nothing else.
func Records(set *model.Set) ([]byte, error) {
	var branches []any
	for _, e := range set.Events {
		if e.Status == metric.Removed || !e.InternalEvents {
			continue
		}
		ids, props := object{}, object{}
		var required []any
		for _, id := range e.Identifiers {
			if id == model.FeatureEnabledByNamespaceIDs {
				// A list, and an empty one is left out: nothing enabled it.
				ids[string(id)] = object{"type": "array", "items": object{"type": []any{"string", "integer"}},
					"description": "The namespaces whose setting enabled the feature, as namespaces are given."}
				continue
			}
			ids[string(id)] = object{"type": []any{"string", "integer"}, "description": "A pseudonym (hex HMAC) or, when the application sends raw ids, the id."}
			required = append(required, string(id))
		}
		idSchema := object{"type": "object", "properties": ids, "additionalProperties": false}
		if len(required) > 0 {
			idSchema["required"] = required
		}
		for _, p := range e.Properties {
			props[p.Name] = propertySchema(p)
		}
		branch := object{
			"description": e.Action + ": " + strings.TrimSpace(e.Description),
			"properties": object{
				"event":       object{"const": e.Action},
				"identifiers": idSchema,
				"properties":  object{"type": "object", "properties": props, "additionalProperties": false},
			},
		}
		if len(required) > 0 {
			branch["required"] = []any{"identifiers"}
		}
		branches = append(branches, branch)
	}
	doc := object{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"title":       "event record",
		"description": "One occurrence of an event, as every record sink sends it.",
		"type":        "object",
		"required":    []any{"id", "occurred_at", "event"},
		"properties": object{
			"id":          object{"type": "string", "format": "uuid", "description": "A UUIDv7: time-ordered, unique."},
			"occurred_at": object{"type": "string", "format": "date-time"},
			"event":       object{"type": "string", "description": "The event's action."},
			"identifiers": object{"type": "object"},
			"properties":  object{"type": "object"},
			"context":     object{"type": "object", "description": "The sending application: instance uuid, app name and version, environment, host."},
		},
		"additionalProperties": false,
		"oneOf":                branches,
	}
	if len(branches) == 0 {
		delete(doc, "oneOf")
	}
	return encode(doc)
}

// propertySchema is the schema of one property's value in a record.
func propertySchema(p *model.Property) object {
	types := map[model.Type]string{model.String: "string", model.Integer: "integer", model.Number: "number", model.Boolean: "boolean"}
	s := object{"type": types[p.Type], "description": strings.TrimSpace(p.Description)}
	if p.Untyped {
		s["type"] = "string"
	}
	if len(p.Enum) > 0 {
		var vals []any
		for _, v := range p.Enum {
			switch p.Type {
			case model.Integer:
				vals = append(vals, v.Int)
			case model.Number:
				vals = append(vals, v.Float)
			case model.Boolean:
				vals = append(vals, v.Bool)
			default:
				vals = append(vals, v.Text)
			}
		}
		s["enum"] = vals
	}
	return s
}

// encode writes a schema as indented JSON; maps encode with sorted keys,
// so the output is the same for the same definitions.
func encode(doc object) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("wireschema: %w", err)
	}
	return b.Bytes(), nil
}
