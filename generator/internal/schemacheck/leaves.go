package schemacheck

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Most definitions are valid, and most of a definition is flat values: a
// string with a pattern, a list of tier names. The validator allocates for
// every value it visits, so a valid file pays for each one. The core of a
// split schema therefore has a quick path: the simple property schemas
// ("leaves": type, enum, const, pattern, format, items of such) are checked
// in Go, exactly as the validator would, and only the rest of the core (the
// "lite" schema: the core without those properties) is validated. Any
// failure on the quick path, in Go or in the lite schema, validates the
// whole core instead, so every error a user sees still comes from the
// schema as written. A test checks that the quick path never accepts a
// value the core rejects.

// lite is the quick path of a core schema.
type lite struct {
	schema *jsonschema.Schema // the core without its leaves and additionalProperties
	known  map[string]bool    // every property the core names
	leaves map[string]leaf
}

// leaf reports whether a value meets a simple property schema.
type leaf func(v any) bool

// liteSuffix names the lite schema of a core: v1/metric.json.core.json has
// its lite schema at v1/metric.json.core.json.lite.json.
const liteSuffix = ".lite.json"

// coreKeywords are the top-level keywords a core may have for its quick
// path to be exact: properties and additionalProperties are replaced by
// the Go checks, and the rest stay in the lite schema.
var coreKeywords = []string{"$schema", "$defs", "$comment", "title", "description", "type", "properties", "additionalProperties", "required"}

// prepareLite adds the lite schema of the core at coreURL to the compiler
// and returns how to compile it; it returns nil when the core has no exact
// quick path.
func prepareLite(c *jsonschema.Compiler, coreURL string, core map[string]any) (func() (*lite, error), error) {
	for k := range core {
		if !slices.Contains(coreKeywords, k) {
			return nil, nil
		}
	}
	props, _ := core["properties"].(map[string]any)
	if core["type"] != "object" || core["additionalProperties"] != false || props == nil {
		return nil, nil
	}
	l := &lite{known: map[string]bool{}, leaves: map[string]leaf{}}
	rest := map[string]any{}
	for name, p := range props {
		l.known[name] = true
		ps, _ := p.(map[string]any)
		if check, ok := compileLeaf(ps); ok {
			l.leaves[name] = check
		} else {
			rest[name] = p
		}
	}
	doc := make(map[string]any, len(core))
	for k, v := range core {
		if k != "additionalProperties" {
			doc[k] = v
		}
	}
	doc["properties"] = rest
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	url := coreURL + liteSuffix
	if err := c.AddResource(url, strings.NewReader(string(data))); err != nil {
		return nil, err
	}
	return func() (*lite, error) {
		var err error
		if l.schema, err = c.Compile(url); err != nil {
			return nil, fmt.Errorf("compiling %s: %w", url, err)
		}
		return l, nil
	}, nil
}

// passes reports whether v certainly meets the core: every key is one the
// core names, every leaf holds and the lite schema accepts the rest.
// False means only that the core must decide.
func (l *lite) passes(v map[string]any) bool {
	for k, x := range v {
		if !l.known[k] {
			return false
		}
		if check := l.leaves[k]; check != nil && !check(x) {
			return false
		}
	}
	return l.schema.Validate(v) == nil
}

// leafKeywords are the keywords a leaf may use. Annotations (description,
// x-pattern, ...) do not validate; anything else makes a schema no leaf.
var leafKeywords = []string{"description", "$comment", "title", "x-pattern", "type", "enum", "const", "pattern", "format", "items", "uniqueItems", "minItems"}

// compileLeaf returns the Go check of a simple schema, or false when s is
// not one: only string, boolean, object and array types (numbers have the
// validator's own rules for integers), string enums and consts, patterns,
// the uri format, and arrays of such leaves.
func compileLeaf(s map[string]any) (leaf, bool) {
	if s == nil {
		return nil, false
	}
	for k := range s {
		if !slices.Contains(leafKeywords, k) {
			return nil, false
		}
	}
	typ, _ := s["type"].(string)
	var checks []leaf
	switch typ {
	case "string":
		checks = append(checks, func(v any) bool { _, ok := v.(string); return ok })
	case "boolean":
		checks = append(checks, func(v any) bool { _, ok := v.(bool); return ok })
	case "object":
		if len(s) > 2 || (len(s) == 2 && s["description"] == nil) {
			return nil, false // an object leaf is only a type
		}
		checks = append(checks, func(v any) bool { _, ok := v.(map[string]any); return ok })
	case "array":
		item, ok := compileLeaf(asMap(s["items"]))
		if !ok || s["enum"] != nil || s["const"] != nil || s["pattern"] != nil || s["format"] != nil {
			return nil, false
		}
		minItems := 0
		if m, ok := s["minItems"]; ok {
			f, isNum := m.(float64)
			if !isNum || f != float64(int(f)) {
				return nil, false
			}
			minItems = int(f)
		}
		unique, _ := s["uniqueItems"].(bool)
		if itemType, _ := asMap(s["items"])["type"].(string); unique && itemType != "string" && itemType != "boolean" {
			return nil, false // only those compare with == as the validator compares them
		}
		return func(v any) bool {
			list, ok := v.([]any)
			if !ok || len(list) < minItems {
				return false
			}
			for i, x := range list {
				if !item(x) {
					return false
				}
				if unique && slices.Contains(list[:i], x) {
					return false
				}
			}
			return true
		}, true
	default:
		return nil, false
	}
	if s["items"] != nil || s["uniqueItems"] != nil || s["minItems"] != nil {
		return nil, false
	}
	if e, ok := s["enum"]; ok {
		values, _ := e.([]any)
		var allowed []string
		for _, x := range values {
			str, ok := x.(string)
			if !ok || typ != "string" {
				return nil, false
			}
			allowed = append(allowed, str)
		}
		checks = append(checks, func(v any) bool { return slices.Contains(allowed, v.(string)) })
	}
	if c, ok := s["const"]; ok {
		switch c.(type) {
		case string, bool:
		default:
			return nil, false
		}
		if (typ == "string") != isString(c) {
			return nil, false
		}
		checks = append(checks, func(v any) bool { return v == c })
	}
	if p, ok := s["pattern"]; ok {
		str, isStr := p.(string)
		re, err := regexp.Compile(str)
		if !isStr || err != nil || typ != "string" {
			return nil, false
		}
		checks = append(checks, func(v any) bool { return re.MatchString(v.(string)) })
	}
	if f, ok := s["format"]; ok {
		// The compiler asserts formats; uri is the only one a leaf takes.
		format := jsonschema.Formats["uri"]
		if f != "uri" || format == nil || typ != "string" {
			return nil, false
		}
		checks = append(checks, format)
	}
	return func(v any) bool {
		for _, c := range checks {
			if !c(v) {
				return false
			}
		}
		return true
	}, true
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}
