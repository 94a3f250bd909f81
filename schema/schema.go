// Package schema holds the JSON Schemas of usagekit's definition files,
// embedded in the binary, and compiles them once.
//
// The schemas are versioned by directory: v1/event.json and v1/metric.json
// describe version 1 of the format. A breaking change to the format is a new
// directory; files written for an old version keep validating against it.
// Every property carries a description, so editors that read JSON Schemas
// (yaml-language-server, via a "# yaml-language-server: $schema=..." comment
// at the top of a definition) show help and complete keys.
//
// A definition's product_group is any well-formed group name as far as
// the schemas go; usagekit checks it against the project's own
// product_groups.yml, whose shape v1/product_group_list.json describes, or
// against GitLab's list, v1/product_groups.json, when the project has none.
// (An enum of GitLab's groups in the definition schemas would make editors
// reject a project's own groups.)
//
// Besides the standard keywords the schemas use two annotations of their
// own, which validators ignore and usagekit reads to word its messages:
// "x-pattern" says in words what a pattern accepts, and "x-error" replaces
// the message of any failure of the schema that holds it.
package schema

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

//go:embed v1/*.json
var files embed.FS

// Base is the URL the schemas are compiled under: a schema's URL is Base
// followed by its path in this directory, such as v1/event.json, and
// validation errors locate keywords by it. The files carry no $id, so an
// editor resolves their references next to the file it read.
const Base = "https://raw.githubusercontent.com/usagekit/usagekit/main/schema/"

// Current is the format version new definitions are checked against.
const Current = "v1"

// FS returns the schema files, by path (v1/event.json, v1/metric.json).
func FS() fs.FS { return files }

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

var compiled = sync.OnceValues(func() (*Set, error) { return compile(Current) })

// Compiled returns the current version's schemas, compiled on first use.
// The error can only come from a defect in the embedded files, which the
// package's tests rule out.
func Compiled() (*Set, error) { return compiled() }

func compile(version string) (*Set, error) {
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	c.AssertFormat = true // uri must be a URI, as GitLab's validator asserts
	s := &Set{raw: map[string]any{}}
	splits := map[string]func() (*split, error){}
	entries, err := fs.ReadDir(files, version)
	if err != nil {
		return nil, fmt.Errorf("schema: reading %s: %w", version, err)
	}
	for _, e := range entries {
		name := version + "/" + e.Name()
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("schema: reading %s: %w", name, err)
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			return nil, fmt.Errorf("schema: decoding %s: %w", name, err)
		}
		s.raw[Base+name] = doc
		if err := c.AddResource(Base+name, strings.NewReader(string(data))); err != nil {
			return nil, fmt.Errorf("schema: adding %s: %w", name, err)
		}
		if e.Name() == "event.json" || e.Name() == "metric.json" {
			m, _ := doc.(map[string]any)
			if splits[e.Name()], err = prepareSplit(c, Base+name, m, s.raw); err != nil {
				return nil, fmt.Errorf("schema: splitting %s: %w", name, err)
			}
		}
	}
	if splits["event.json"] == nil || splits["metric.json"] == nil {
		return nil, fmt.Errorf("schema: %s lacks event.json or metric.json", version)
	}
	if s.Event, err = c.Compile(Base + version + "/event.json"); err != nil {
		return nil, fmt.Errorf("schema: compiling %s/event.json: %w", version, err)
	}
	if s.Metric, err = c.Compile(Base + version + "/metric.json"); err != nil {
		return nil, fmt.Errorf("schema: compiling %s/metric.json: %w", version, err)
	}
	if s.event, err = splits["event.json"](); err != nil {
		return nil, fmt.Errorf("schema: compiling the split %s/event.json: %w", version, err)
	}
	if s.metric, err = splits["metric.json"](); err != nil {
		return nil, fmt.Errorf("schema: compiling the split %s/metric.json: %w", version, err)
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
	for tok := range strings.SplitSeq(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
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
