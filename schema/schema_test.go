package schema_test

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/schema"
)

func TestCompiles(t *testing.T) {
	s, err := schema.Compiled()
	if err != nil {
		t.Fatal(err)
	}
	if s.Event == nil || s.Metric == nil {
		t.Fatal("missing schema")
	}
	if got, _ := s.At(schema.Base + "v1/metric.json#/properties/value_type/enum").([]any); len(got) != 4 {
		t.Errorf("At(value_type/enum) = %v", got)
	}
	if s.At(schema.Base+"v1/metric.json#/properties/nope") != nil {
		t.Error("At of a missing location is not nil")
	}
}

// TestEveryPropertyDescribed keeps editor help complete: every property of
// every schema, at any depth, has a description.
func TestEveryPropertyDescribed(t *testing.T) {
	n := 0
	err := fs.WalkDir(schema.FS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := fs.ReadFile(schema.FS(), path)
		if err != nil {
			return err
		}
		var doc any
		if err := json.Unmarshal(data, &doc); err != nil {
			t.Errorf("%s: %v", path, err)
			return nil
		}
		root, _ := doc.(map[string]any)
		if _, ok := root["description"].(string); !ok {
			t.Errorf("%s: the schema has no description", path)
		}
		var walk func(v any, at string)
		walk = func(v any, at string) {
			switch x := v.(type) {
			case map[string]any:
				if props, ok := x["properties"].(map[string]any); ok {
					for name, p := range props {
						pm, _ := p.(map[string]any)
						_, described := pm["description"].(string)
						_, ref := pm["$ref"]
						conditional := strings.Contains(at, "/if") || strings.Contains(at, "/then")
						if !described && !ref && !conditional {
							t.Errorf("%s: %s/properties/%s has no description", path, at, name)
						}
						n++
					}
				}
				for k, c := range x {
					walk(c, at+"/"+k)
				}
			case []any:
				for _, c := range x {
					walk(c, at+"/[]")
				}
			}
		}
		walk(doc, "")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 40 {
		t.Errorf("only %d properties seen; the walk is broken", n)
	}
}

func TestResolve(t *testing.T) {
	var doc any
	if err := json.Unmarshal([]byte(`{"events": [{"name": "a", "filter": {"x/y": 1, "a~b": 2}}], "tiers": ["free"], "n": 3}`), &doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pointer string
		want    any
	}{
		{"/events/0/name", "a"},
		{"/events/0/filter/x~1y", 1.0},
		{"/events/0/filter/a~0b", 2.0},
		{"/tiers/0", "free"},
		{"/tiers/1", nil},  // past the end
		{"/tiers/-1", nil}, // negative
		{"/tiers/x", nil},  // not an index
		{"/n/0", nil},      // into a scalar
		{"/missing", nil},
	}
	for _, tt := range tests {
		if got := schema.Resolve(doc, tt.pointer); got != tt.want {
			t.Errorf("Resolve(%q) = %v, want %v", tt.pointer, got, tt.want)
		}
	}
	if got, _ := schema.Resolve(doc, "").(map[string]any); len(got) != 3 {
		t.Errorf(`Resolve("") = %v, want the whole document`, got)
	}
}
