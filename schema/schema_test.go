package schema_test

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/schema"
)

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
