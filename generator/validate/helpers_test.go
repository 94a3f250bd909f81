package validate_test

import (
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/load"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/generator/validate"
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

// run validates files (path → content) as one set and returns the model
// and the sorted diagnostics, one string per line.
func run(t *testing.T, files map[string]string) (*model.Set, []string) {
	t.Helper()
	var docs []*load.Document
	var diags diag.List
	for path, content := range files {
		d, l := load.Parse(path, []byte(content))
		diags = append(diags, l...)
		if d != nil {
			docs = append(docs, d)
		}
	}
	set, l := validate.Validate(docs)
	diags = append(diags, l...)
	var out []string
	for _, d := range diags.Sort() {
		out = append(out, d.String())
	}
	return set, out
}

func equalLines(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}
