package generator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/model"
)

const groupEvent = `action: %s
description: Something happened.
product_group: %s
introduced_by_url: https://example.com/mr/1
milestone: "17.0"
tiers: [free]
identifiers: [user]
`

func writeTree(t *testing.T, files map[string]string) {
	t.Helper()
	t.Chdir(t.TempDir())
	for name, data := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func event(action, group string) string {
	return fmt.Sprintf(groupEvent, action, group)
}

// TestLoadResultProductGroups: each definition is checked against the list
// nearest above it; the lists are checked files of the run, not
// definitions; the model carries the project's groups.
func TestLoadResultProductGroups(t *testing.T) {
	writeTree(t, map[string]string{
		"defs/product_groups.yml":               "payments: Checkout and refunds.\nsearch:\n",
		"defs/events/issue_refund.yml":          event("issue_refund", "payments"),
		"defs/events/legacy/product_groups.yml": "- legacy\n",
		"defs/events/legacy/old_export.yml":     event("old_export", "legacy"),
		"defs/events/legacy/old_search.yml":     event("old_search", "search"),
	})
	res := generator.LoadResult("defs")
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.String()+" ["+d.Rule+"]")
	}
	want := []string{`defs/events/legacy/old_search.yml:3:16: product_group: "search" is not one of the product groups listed in defs/events/legacy/product_groups.yml: legacy [product-group]`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
	if res.Files != 5 || res.Events != 3 || res.Metrics != 0 {
		t.Errorf("files %d, events %d, metrics %d; want 5, 3, 0", res.Files, res.Events, res.Metrics)
	}
	wantGroups := []model.ProductGroup{
		{Pos: model.Pos{File: "defs/events/legacy/product_groups.yml", Line: 1, Col: 3}, Name: "legacy"},
		{Pos: model.Pos{File: "defs/product_groups.yml", Line: 1, Col: 1}, Name: "payments", Description: "Checkout and refunds."},
		{Pos: model.Pos{File: "defs/product_groups.yml", Line: 2, Col: 1}, Name: "search"},
	}
	if len(res.Set.ProductGroups) != len(wantGroups) {
		t.Fatalf("groups %+v, want %+v", res.Set.ProductGroups, wantGroups)
	}
	for i, g := range res.Set.ProductGroups {
		if g != wantGroups[i] {
			t.Errorf("group %d = %+v, want %+v", i, g, wantGroups[i])
		}
	}
}

// TestLoadResultListNamed: a list named on its own is checked, and a
// definition named on its own is checked against the list above it.
func TestLoadResultListNamed(t *testing.T) {
	writeTree(t, map[string]string{
		"defs/product_groups.yml":      "- payments\n- Search\n",
		"defs/events/issue_refund.yml": event("issue_refund", "payments"),
	})
	res := generator.LoadResult("defs/product_groups.yml", "defs/events/issue_refund.yml")
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.String())
	}
	want := `defs/product_groups.yml:2:3: "Search" is not a product group name: use lowercase letters and digits, words joined by _ or -`
	if strings.Join(got, "\n") != want {
		t.Errorf("diagnostics:\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), want)
	}
	if res.Files != 2 || res.Events != 1 {
		t.Errorf("files %d, events %d; want 2, 1", res.Files, res.Events)
	}
}

// TestLoadResultWithoutList: without a list, GitLab's groups apply and
// the model names no project groups.
func TestLoadResultWithoutList(t *testing.T) {
	writeTree(t, map[string]string{
		"defs/events/issue_refund.yml": event("issue_refund", "payments"),
		"defs/events/create_issue.yml": event("create_issue", "project_management"),
	})
	res := generator.LoadResult("defs")
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, d.String())
	}
	want := `defs/events/issue_refund.yml:3:16: product_group: "payments" is not one of GitLab's 91 product groups (schema/v1/product_groups.json); a project with its own groups lists them in product_groups.yml beside its definitions`
	if strings.Join(got, "\n") != want {
		t.Errorf("diagnostics:\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), want)
	}
	if len(res.Set.ProductGroups) != 0 {
		t.Errorf("project groups %+v, want none", res.Set.ProductGroups)
	}
}
