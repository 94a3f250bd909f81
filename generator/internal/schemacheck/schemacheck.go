// Package schemacheck compiles the JSON Schemas of package schema and
// checks decoded definitions against them. Valid files take a quick path:
// the schema is split into its unconditional core and its conditions, and
// simple property schemas are checked in Go as the validator would; any
// failure validates the whole core, so every error reported comes from the
// schema as written.
package schemacheck

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/schema"
)

// Set is the compiled schemas of one format version.
type Set struct {
	// Event and Metric are the schemas as written. CheckEvent and
	// CheckMetric report the same problems faster.
	Event, Metric *jsonschema.Schema
	event, metric *split
	// raw holds each schema document decoded, by URL, to look up the
	// keyword behind a validation error.
	raw map[string]any
}

// CheckEvent validates a decoded event definition and returns the schema's
// errors: none when it is valid.
func (s *Set) CheckEvent(v map[string]any) []*jsonschema.ValidationError { return s.event.validate(v) }

// CheckMetric validates a decoded metric definition and returns the
// schema's errors: none when it is valid.
func (s *Set) CheckMetric(v map[string]any) []*jsonschema.ValidationError {
	return s.metric.validate(v)
}

var compiled = sync.OnceValues(func() (*Set, error) { return compile(schema.Current) })

// Compiled returns the current version's schemas, compiled on first use.
// The error can only come from a defect in the embedded files, which the
// package's tests rule out.
func Compiled() (*Set, error) { return compiled() }

func compile(version string) (*Set, error) {
	files := schema.FS()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true // uri must be a URI, as GitLab's validator asserts
	s := &Set{raw: map[string]any{}}
	splits := map[string]func() (*split, error){}
	entries, err := fs.ReadDir(files, version)
	if err != nil {
		return nil, fmt.Errorf("schemacheck: reading %s: %w", version, err)
	}
	for _, e := range entries {
		name := version + "/" + e.Name()
		data, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, fmt.Errorf("schemacheck: reading %s: %w", name, err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("schemacheck: decoding %s: %w", name, err)
		}
		s.raw[schema.Base+name] = doc
		if err := c.AddResource(schema.Base+name, strings.NewReader(string(data))); err != nil {
			return nil, fmt.Errorf("schemacheck: adding %s: %w", name, err)
		}
		if e.Name() == "event.json" || e.Name() == "metric.json" {
			m, _ := doc.(map[string]any)
			if splits[e.Name()], err = prepareSplit(c, schema.Base+name, m, s.raw); err != nil {
				return nil, fmt.Errorf("schemacheck: splitting %s: %w", name, err)
			}
		}
	}
	if splits["event.json"] == nil || splits["metric.json"] == nil {
		return nil, fmt.Errorf("schemacheck: %s lacks event.json or metric.json", version)
	}
	if s.Event, err = c.Compile(schema.Base + version + "/event.json"); err != nil {
		return nil, fmt.Errorf("schemacheck: compiling %s/event.json: %w", version, err)
	}
	if s.Metric, err = c.Compile(schema.Base + version + "/metric.json"); err != nil {
		return nil, fmt.Errorf("schemacheck: compiling %s/metric.json: %w", version, err)
	}
	if s.event, err = splits["event.json"](); err != nil {
		return nil, fmt.Errorf("schemacheck: compiling the split %s/event.json: %w", version, err)
	}
	if s.metric, err = splits["metric.json"](); err != nil {
		return nil, fmt.Errorf("schemacheck: compiling the split %s/metric.json: %w", version, err)
	}
	return s, nil
}

// At returns the schema value at an absolute keyword location as reported
// by a validation error ("<url>#/properties/status/enum"), or nil.
func (s *Set) At(location string) any {
	url, ptr, _ := strings.Cut(location, "#")
	return Resolve(s.raw[url], ptr)
}

// Resolve returns the value at a JSON pointer ("/events/0/name", "" for v
// itself) in a decoded JSON or YAML value (maps, slices and scalars), or
// nil when there is none. Validation errors locate keywords in a schema and
// values in a definition this way.
func Resolve(v any, pointer string) any {
	if pointer == "" {
		return v
	}
	for tok := range load.SplitPointer(pointer) {
		switch x := v.(type) {
		case map[string]any:
			v = x[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}
