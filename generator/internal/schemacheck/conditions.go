package schemacheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// Validating a definition against the full schema evaluates every
// conditional of the top-level allOf ("a removed metric needs
// removed_by_url", ...) on every file, and the validator allocates for each
// evaluation, whether the condition holds or not. Most conditions do not
// hold for most files. So each top-level schema is split in two at compile
// time: its core (everything but the allOf), validated as usual, and its
// conditionals, whose "if" parts are simple tests of a value or of a key's
// presence that Go evaluates directly; only the "then" parts of the
// conditions that hold are validated. The schema files stay the single
// source of the rules, and a test checks that the split schema reports
// exactly what the whole one does.

// split is a top-level schema prepared for fast validation.
type split struct {
	core  *jsonschema.Schema
	lite  *lite // the core's quick path for valid files, or nil
	conds []condition
}

type condition struct {
	when map[string]any // the "if" schema
	then *jsonschema.Schema
}

// coreSuffix names the core of a schema: v1/metric.json has its core at
// v1/metric.json.core.json, a resource of its own.
const coreSuffix = ".core.json"

// prepareSplit adds the core of the schema at url (decoded as doc) to the
// compiler and returns the description of the split, to compile once every
// resource is added.
func prepareSplit(c *jsonschema.Compiler, url string, doc map[string]any, raw map[string]any) (func() (*split, error), error) {
	core := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "allOf" && k != "$id" {
			core[k] = v
		}
	}
	data, err := json.Marshal(core)
	if err != nil {
		return nil, err
	}
	coreURL := url + coreSuffix
	raw[coreURL] = core
	if err := c.AddResource(coreURL, strings.NewReader(string(data))); err != nil {
		return nil, err
	}
	prepLite, err := prepareLite(c, coreURL, core)
	if err != nil {
		return nil, err
	}
	allOf, _ := doc["allOf"].([]any)
	return func() (*split, error) {
		s := &split{}
		var err error
		if s.core, err = c.Compile(coreURL); err != nil {
			return nil, err
		}
		if prepLite != nil {
			if s.lite, err = prepLite(); err != nil {
				return nil, err
			}
		}
		for i, entry := range allOf {
			m, _ := entry.(map[string]any)
			when, _ := m["if"].(map[string]any)
			if when == nil || m["then"] == nil || m["else"] != nil || len(m) > 4 {
				return nil, fmt.Errorf("%s#/allOf/%d: only if/then conditionals can be split", url, i)
			}
			if err := supported(when); err != nil {
				return nil, fmt.Errorf("%s#/allOf/%d/if: %w", url, i, err)
			}
			then, err := c.Compile(url + "#/allOf/" + strconv.Itoa(i) + "/then")
			if err != nil {
				return nil, err
			}
			s.conds = append(s.conds, condition{when: when, then: then})
		}
		return s, nil
	}, nil
}

// validate returns the errors of v against the whole schema.
func (s *split) validate(v map[string]any) []*jsonschema.ValidationError {
	var out []*jsonschema.ValidationError
	add := func(err error) {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			out = append(out, ve)
		} else if err != nil {
			out = append(out, &jsonschema.ValidationError{Message: err.Error()})
		}
	}
	if s.lite == nil || !fewValues(v, liteLimit) || !s.lite.passes(v) {
		add(s.core.Validate(v))
	}
	for _, c := range s.conds {
		if matches(c.when, v) {
			add(c.then.Validate(v))
		}
	}
	return out
}

// liteLimit is the most values a document may hold for the quick path to
// be tried. The quick path pays off on the small, flat files definitions
// are; in a file with thousands of properties nearly all the time goes to
// the part of the schema the quick path validates too, and when that part
// fails, it is validated twice.
const liteLimit = 1000

// fewValues reports whether v holds at most n values (mappings, lists and
// scalars), counting no further than that.
func fewValues(v any, n int) bool {
	var count func(v any) bool
	count = func(v any) bool {
		if n--; n < 0 {
			return false
		}
		switch x := v.(type) {
		case map[string]any:
			for _, e := range x {
				if !count(e) {
					return false
				}
			}
		case []any:
			for _, e := range x {
				if !count(e) {
					return false
				}
			}
		}
		return true
	}
	return count(v)
}

// supported checks that an "if" schema uses only what matches evaluates.
func supported(s map[string]any) error {
	for k, v := range s {
		switch k {
		case "description", "$comment", "const", "enum", "required":
		case "not":
			sub, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("not: want a schema object")
			}
			if err := supported(sub); err != nil {
				return err
			}
		case "properties":
			props, _ := v.(map[string]any)
			for name, p := range props {
				sub, ok := p.(map[string]any)
				if !ok {
					return fmt.Errorf("properties/%s: want a schema object", name)
				}
				if err := supported(sub); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("keyword %q is not supported in a split conditional", k)
		}
	}
	return nil
}

// matches evaluates an "if" schema of the supported subset against v, with
// JSON Schema's meaning: properties constrain only keys that are present.
func matches(s map[string]any, v any) bool {
	for k, sv := range s {
		switch k {
		case "const":
			if !equal(sv, v) {
				return false
			}
		case "enum":
			list, _ := sv.([]any)
			found := false
			for _, e := range list {
				if equal(e, v) {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		case "not":
			if matches(sv.(map[string]any), v) {
				return false
			}
		case "required":
			obj, ok := v.(map[string]any)
			if !ok {
				continue // applies to objects only
			}
			names, _ := sv.([]any)
			for _, n := range names {
				if _, ok := obj[n.(string)]; !ok {
					return false
				}
			}
		case "properties":
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			for name, p := range sv.(map[string]any) {
				if pv, ok := obj[name]; ok && !matches(p.(map[string]any), pv) {
					return false
				}
			}
		}
	}
	return true
}

// equal compares a schema value (from encoding/json) with a document value
// (string, bool, nil, int64, float64, []any, map[string]any).
func equal(a, b any) bool {
	switch x := a.(type) {
	case float64:
		switch y := b.(type) {
		case float64:
			return x == y
		case int64:
			return x == float64(y)
		}
		return false
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equal(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, xv := range x {
			yv, ok := y[k]
			if !ok || !equal(xv, yv) {
				return false
			}
		}
		return true
	}
	return a == b
}
