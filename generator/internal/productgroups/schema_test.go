package productgroups_test

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/internal/productgroups"
	"github.com/usagekit/usagekit/schema"
)

// TestListSchemaAgrees checks the JSON Schema editors use for
// product_groups.yml against Parse: the schema accepts exactly the files
// Parse finds nothing wrong with.
func TestListSchemaAgrees(t *testing.T) {
	data, err := fs.ReadFile(schema.FS(), "v1/product_group_list.json")
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	if err := c.AddResource("product_group_list.json", strings.NewReader(string(data))); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("product_group_list.json")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, tt := range parseCases {
		var v any
		if err := yaml.Unmarshal([]byte(tt.src), &v); err != nil {
			continue // not YAML: no schema verdict to compare
		}
		// Through JSON, as an editor sees it; mappings with keys that are
		// not strings have no JSON form and are left out.
		j, err := json.Marshal(v)
		if err != nil {
			continue
		}
		var doc any
		if err := json.Unmarshal(j, &doc); err != nil {
			t.Fatal(err)
		}
		checked++
		schemaOK := sch.Validate(doc) == nil
		if parseOK := len(tt.want) == 0; schemaOK != parseOK {
			t.Errorf("%s: the schema says valid=%v, Parse says valid=%v", tt.name, schemaOK, parseOK)
		}
	}
	if checked < 12 {
		t.Errorf("only %d cases compared", checked)
	}
}

// TestSchemasStateNamePattern keeps the pattern the schemas show editors
// equal to the one usagekit checks lists with.
func TestSchemasStateNamePattern(t *testing.T) {
	at := map[string][]string{
		"v1/event.json":              {"properties", "product_group", "pattern"},
		"v1/metric.json":             {"properties", "product_group", "pattern"},
		"v1/product_group_list.json": {"oneOf", "0", "items", "pattern"},
	}
	for file, path := range at {
		data, err := fs.ReadFile(schema.FS(), file)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		for _, k := range path {
			switch x := v.(type) {
			case map[string]any:
				v = x[k]
			case []any:
				v = x[int(k[0]-'0')]
			}
		}
		if v != productgroups.NamePattern.String() {
			t.Errorf("%s %s = %v, want %s", file, strings.Join(path, "."), v, productgroups.NamePattern)
		}
	}
}

// TestGitLabListIsNewest keeps the embedded list of GitLab's groups equal
// to GitLab's newest product_groups.json found, which the testdata holds
// unchanged (its SOURCE.md names the commit).
func TestGitLabListIsNewest(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "gitlab", "product_groups.json"))
	if err != nil {
		t.Fatal(err)
	}
	var newest struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(data, &newest); err != nil {
		t.Fatal(err)
	}
	gl, err := productgroups.GitLab()
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(newest.Enum))
	if got := gl.Names(); !slices.Equal(got, want) {
		t.Errorf("schema/v1/product_groups.json lists\n\t%s\nGitLab's newest list is\n\t%s", strings.Join(got, " "), strings.Join(want, " "))
	}
	// Groups that current GitLab files name and the previous list lacked.
	for _, g := range []string{"platform_insights", "remote_development", "organizations", "database_health", "self_managed"} {
		if !gl.Has(g) {
			t.Errorf("GitLab's list lacks %s", g)
		}
	}
}
