package schemacheck

import (
	"maps"
	"os"
	"sort"
	"testing"

	"github.com/usagekit/usagekit/generator/internal/load"
)

// TestLiteNeverAcceptsWhatTheCoreRejects runs the quick path and the core
// over the example definitions, the GitLab corpus when present, and copies
// of each with every property broken in the ways the leaves check (wrong
// type, value outside an enum, pattern or format, duplicate list items,
// unknown keys): whenever the quick path accepts, the core must too, and
// the quick path must accept the valid files, or it would save nothing.
func TestLiteNeverAcceptsWhatTheCoreRejects(t *testing.T) {
	set, err := Compiled()
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*split{"event": set.event, "metric": set.metric} {
		if s.lite == nil {
			t.Fatalf("%s schema has no quick path", name)
		}
		if len(s.lite.leaves) < 10 {
			t.Errorf("%s schema: only %d leaves", name, len(s.lite.leaves))
		}
	}
	roots := []string{"../../../definitions"}
	if _, err := os.Stat("../../../../shared/corpus/gitlab/config"); err == nil {
		roots = append(roots, "../../../../shared/corpus/gitlab/config")
	}
	res := ReadDocuments(roots...)
	breakers := []any{nil, 3, 2.5, true, "", "not a valid value", "17.0", "https://ok.example/x", "not a uri",
		[]any{}, []any{"free", "free"}, []any{"free", 3}, []any{"nope"}, map[string]any{}, map[string]any{"k": "v"}}
	compared, quick, caught := 0, 0, 0
	check := func(path string, s *split, v map[string]any) {
		compared++
		ok := s.lite.passes(v)
		coreOK := s.core.Validate(v) == nil
		if ok {
			quick++
		}
		if ok && !coreOK {
			t.Errorf("%s: the quick path accepts %v, which the core rejects", path, v)
		}
		if !ok && coreOK {
			caught++ // the core decides; slower, still right
		}
	}
	for _, d := range res.Documents {
		s := set.event
		if d.Kind == load.Metric {
			s = set.metric
		}
		check(d.Path, s, d.Value)
		keys := make([]string, 0, len(s.lite.known))
		for k := range s.lite.known {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range append(keys, "unknown_key") {
			for _, b := range breakers {
				m := maps.Clone(d.Value)
				m[k] = b
				check(d.Path, s, m)
			}
		}
	}
	t.Logf("%d values compared; the quick path accepted %d, left %d valid ones to the core", compared, quick, caught)
	if quick == 0 {
		t.Error("the quick path accepted nothing")
	}
}

func TestCompileLeaf(t *testing.T) {
	tests := []struct {
		name   string
		schema map[string]any
		leaf   bool
		accept []any
		reject []any
	}{
		{"string pattern", map[string]any{"type": "string", "pattern": "^[a-z]+$", "description": "d"}, true,
			[]any{"abc"}, []any{"ABC", "", 3, nil, true}},
		{"string enum", map[string]any{"type": "string", "enum": []any{"a", "b"}}, true, []any{"a", "b"}, []any{"c", 1}},
		{"bool const", map[string]any{"type": "boolean", "const": true}, true, []any{true}, []any{false, "true"}},
		{"uri", map[string]any{"type": "string", "format": "uri"}, true, []any{"https://x.example/1"}, []any{"not a uri", "/relative"}},
		{"object", map[string]any{"type": "object", "description": "d"}, true, []any{map[string]any{}}, []any{[]any{}, "x"}},
		{"unique list", map[string]any{"type": "array", "uniqueItems": true, "minItems": 1.0, "items": map[string]any{"type": "string", "enum": []any{"free", "premium"}}}, true,
			[]any{[]any{"free"}, []any{"free", "premium"}}, []any{[]any{}, []any{"free", "free"}, []any{"gold"}, []any{1}, "free"}},
		{"unique objects are not a leaf", map[string]any{"type": "array", "uniqueItems": true, "items": map[string]any{"type": "object"}}, false, nil, nil},
		{"number is not a leaf", map[string]any{"type": "number"}, false, nil, nil},
		{"type list is not a leaf", map[string]any{"type": []any{"string", "null"}}, false, nil, nil},
		{"anyOf is not a leaf", map[string]any{"anyOf": []any{}}, false, nil, nil},
		{"other format is not a leaf", map[string]any{"type": "string", "format": "date"}, false, nil, nil},
		{"mixed enum is not a leaf", map[string]any{"type": "string", "enum": []any{"a", 1.0}}, false, nil, nil},
		{"ref is not a leaf", map[string]any{"$ref": "#/$defs/x"}, false, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check, ok := compileLeaf(tt.schema)
			if ok != tt.leaf {
				t.Fatalf("leaf = %v, want %v", ok, tt.leaf)
			}
			for _, v := range tt.accept {
				if !check(v) {
					t.Errorf("rejects %#v", v)
				}
			}
			for _, v := range tt.reject {
				if check(v) {
					t.Errorf("accepts %#v", v)
				}
			}
		})
	}
}
