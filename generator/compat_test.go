package generator_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/generator/internal/privacy"
	"github.com/usagekit/usagekit/generator/internal/productgroups"
)

// TestDefinitionsFollowGitLabSchema checks that the example definitions are
// GitLab definitions plus only the documented extensions: once the database
// block of a metric and the type and enum of custom event properties are
// taken out, GitLab's own schemas accept every file.
func TestDefinitionsFollowGitLabSchema(t *testing.T) {
	corpus := corpusDir(t)
	g := compileGitLabSchemas(t, corpus)
	followsGitLab(t, g, filepath.Join(moduleRoot(t), "definitions"))
}

// followsGitLab checks every .yml file under root against GitLab's schemas
// once our extensions are stripped.
func followsGitLab(t *testing.T, g *gitlabSchemas, root string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".yml") {
			return err
		}
		if productgroups.IsList(path) || privacy.IsConfig(path) {
			return nil // the project's product groups and privacy rules: our extensions, not definitions
		}
		n++
		rel, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, _, err := decodeLikePsych(data)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		m, ok := doc.(map[string]any)
		if !ok {
			t.Errorf("%s: top level is %T, want a mapping", rel, doc)
			return nil
		}
		stripExtensions(m)
		s := g.metric
		if isEventPath(rel) {
			s = g.event
		}
		if err := s.Validate(m); err != nil {
			var b strings.Builder
			for _, leaf := range leaves(err.(*jsonschema.ValidationError)) {
				b.WriteString("\n\t" + leaf.InstanceLocation + ": " + leaf.Message)
			}
			out, _ := json.Marshal(m)
			t.Errorf("%s: GitLab's schema rejects it without our extensions:%s\n%s", rel, b.String(), out)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatalf("no definitions found under %s", root)
	}
}

// stripExtensions removes usagekit's additions to GitLab's format from a
// decoded definition: a metric's database block, the type and enum of custom
// event properties, and boolean filter values (a filter on a boolean
// property; GitLab's filters hold strings and numbers, so it becomes the
// string GitLab would compare).
func stripExtensions(m map[string]any) {
	delete(m, "database")
	events, _ := m["events"].([]any)
	for _, e := range events {
		e, _ := e.(map[string]any)
		filter, _ := e["filter"].(map[string]any)
		for k, v := range filter {
			if b, ok := v.(bool); ok {
				filter[k] = strconv.FormatBool(b)
			}
		}
	}
	props, _ := m["additional_properties"].(map[string]any)
	for _, p := range props {
		if p, ok := p.(map[string]any); ok {
			delete(p, "type")
			delete(p, "enum")
			delete(p, "classification")
		}
	}
}
