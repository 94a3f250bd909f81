package validate_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/generator/model"
)

// baseEvent and baseMetric are minimal valid definitions, one key a line,
// that tests edit with with().
const baseEvent = `action: create_issue
description: An issue is created.
product_group: project_management
introduced_by_url: https://example.com/mr/1
milestone: "17.0"
tiers: [free]
identifiers: [user, project]
`

const baseMetric = `key_path: counts.issues
description: Issues created.
product_group: project_management
product_categories: [team_planning]
value_type: number
status: active
milestone: "17.0"
introduced_by_url: https://example.com/mr/1
tiers: [free]
data_category: optional
time_frame: 28d
data_source: internal_events
events:
  - name: create_issue
`

// with edits a base definition: each "key: value" line replaces the line
// of the same top-level key (keeping line numbers), "key: -" blanks it out,
// and lines for keys the base lacks are appended.
func with(base string, edits ...string) string {
	lines := strings.Split(strings.TrimSuffix(base, "\n"), "\n")
	for _, e := range edits {
		key, _, _ := strings.Cut(e, ":")
		done := strings.HasPrefix(e, " ") // indented lines continue the last key
		if done {
			lines = append(lines, e)
		}
		for i, l := range lines {
			if done {
				break
			}
			if strings.HasPrefix(l, key+":") {
				if strings.TrimSpace(strings.TrimPrefix(e, key+":")) == "-" {
					lines[i] = "# removed"
				} else {
					lines[i] = e
				}
				// Drop the indented continuation of a replaced block.
				j := i + 1
				for j < len(lines) && strings.HasPrefix(lines[j], " ") {
					lines[j] = "#"
					j++
				}
				done = true
				break
			}
		}
		if !done {
			lines = append(lines, e)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

// run writes files (path to content) into a temporary directory and
// loads them the way every command does (generator.LoadResult), with
// paths relative to that directory. When they validate, it also generates
// code for them, which must succeed: validation ok means generation ok.
// Only errors are returned: the warnings are the privacy rules', whose
// tables are in generator/internal/privacy.
func run(t *testing.T, files map[string]string) (*model.Set, []string) {
	t.Helper()
	dir := t.TempDir()
	var roots []string
	for path, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		root, _, _ := strings.Cut(path, "/")
		if !slices.Contains(roots, root) {
			roots = append(roots, root)
		}
	}
	t.Chdir(dir)
	res := generator.LoadResult(roots...)
	var out []string
	for _, d := range res.Diagnostics.Errors() {
		out = append(out, d.String())
	}
	if len(out) == 0 {
		if _, err := emit.Emit(res.Set, emit.Options{Package: "p"}); err != nil {
			t.Errorf("the definitions validate, but generation fails: %v", err)
		}
	}
	return res.Set, out
}

func equalLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
