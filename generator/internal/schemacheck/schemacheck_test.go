package schemacheck_test

import (
	"encoding/json"
	"testing"

	"github.com/usagekit/usagekit/generator/internal/schemacheck"
	"github.com/usagekit/usagekit/schema"
)

func TestCompiles(t *testing.T) {
	s, err := schemacheck.Compiled()
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
		if got := schemacheck.Resolve(doc, tt.pointer); got != tt.want {
			t.Errorf("Resolve(%q) = %v, want %v", tt.pointer, got, tt.want)
		}
	}
	if got, _ := schemacheck.Resolve(doc, "").(map[string]any); len(got) != 3 {
		t.Errorf(`Resolve("") = %v, want the whole document`, got)
	}
}
