package productgroups_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/internal/productgroups"
)

const p = "definitions/product_groups.yml"

// parseCases has one row per kind of mistake in a list file, with the
// exact messages, and the groups kept.
var parseCases = []struct {
	name  string
	src   string
	want  []string
	names string
}{
	{"list", "- payments\n- search\n", nil, "payments search"},
	{"mapping", "search: Code search.\npayments: Checkout.\nbilling:\n", nil, "billing payments search"},
	{"gitlab-style names", "- 5-min-app\n- source_code\n", nil, "5-min-app source_code"},
	{"empty file", "", []string{p + ": file is empty; expected a list of product group names, or a mapping of group name to description"}, ""},
	{"comment only", "# nothing yet\n", []string{p + ": file is empty; expected a list of product group names, or a mapping of group name to description"}, ""},
	{"scalar", "payments\n", []string{p + ":1:1: the top level is a string; expected a list of product group names, or a mapping of group name to description"}, ""},
	{"empty list", "[]\n", []string{p + ":1:1: the list names no product groups; name at least one"}, ""},
	{"empty mapping", "{}\n", []string{p + ":1:1: the list names no product groups; name at least one"}, ""},
	{"duplicate in list", "- payments\n- search\n- payments\n", []string{
		p + `:3:3: "payments" is listed twice (first at line 1); list each group once`}, "payments search"},
	{"duplicate key", "payments: a\npayments: b\n", []string{
		p + `:2:1: "payments" is listed twice (first at line 1); list each group once`}, "payments"},
	{"bad names", "- Payments\n- group::search\n- pay ments\n- ok_one\n- trailing_\n", []string{
		p + `:1:3: "Payments" is not a product group name: use lowercase letters and digits, words joined by _ or -`,
		p + `:2:3: "group::search" is not a product group name: use lowercase letters and digits, words joined by _ or -`,
		p + `:3:3: "pay ments" is not a product group name: use lowercase letters and digits, words joined by _ or -`,
		p + `:5:3: "trailing_" is not a product group name: use lowercase letters and digits, words joined by _ or -`,
	}, "ok_one"},
	{"list item not a name", "- payments\n- {search: x}\n- [a]\n- 42\n- true\n-\n- ~\n", []string{
		p + ":2:3: a list item is a mapping; expected a product group name",
		p + ":3:3: a list item is a list; expected a product group name",
		p + ":4:3: 42 is a number; expected a product group name",
		p + ":5:3: true is a boolean; expected a product group name",
		p + ":6:2: a list item is an empty value; expected a product group name",
		p + ":7:3: a list item is null; expected a product group name",
	}, "payments"},
	{"description not a string", "payments: [a, b]\nsearch: {x: y}\nbilling: 3\nok: fine\n", []string{
		p + ":1:11: payments: the description is a list; expected a string (or nothing)",
		p + ":2:9: search: the description is a mapping; expected a string (or nothing)",
		p + ":3:10: billing: the description is a number; expected a string (or nothing)",
	}, "ok"},
	{"key not a name", "1: one\nBig: x\n", []string{
		p + `:1:1: 1 is a number; expected a product group name`,
		p + `:2:1: "Big" is not a product group name: use lowercase letters and digits, words joined by _ or -`,
	}, ""},
	{"syntax", "- a\n b: [\n", []string{p + `:2:3: ":" is not allowed here: put a value that contains ": " in quotes, and start a nested mapping on a new line, indented under its key`}, ""},
}

func TestParse(t *testing.T) {
	for _, tt := range parseCases {
		t.Run(tt.name, func(t *testing.T) {
			l, diags := productgroups.Parse(p, []byte(tt.src))
			var got []string
			for _, d := range diags.Sort() {
				got = append(got, d.String())
				if d.Rule != productgroups.Rule {
					t.Errorf("rule %q, want %q", d.Rule, productgroups.Rule)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("diagnostics:\n got:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(tt.want, "\n\t"))
			}
			if n := strings.Join(l.Names(), " "); n != tt.names {
				t.Errorf("groups %q, want %q", n, tt.names)
			}
		})
	}
}

func TestParseKeepsDescriptionsAndPositions(t *testing.T) {
	l, diags := productgroups.Parse("g.yml", []byte("search: |\n  Code search.\npayments: Checkout.\n"))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	want := []productgroups.Group{{Name: "payments", Description: "Checkout.", Line: 3, Col: 1}, {Name: "search", Description: "Code search.", Line: 1, Col: 1}}
	if len(l.Groups) != 2 || l.Groups[0] != want[0] || l.Groups[1] != want[1] {
		t.Errorf("groups %+v, want %+v", l.Groups, want)
	}
}

// TestCheck words an unknown group against GitLab's list and against a
// project's list, with and without a suggestion.
func TestCheck(t *testing.T) {
	gl, err := productgroups.GitLab()
	if err != nil {
		t.Fatal(err)
	}
	small, _ := productgroups.Parse("definitions/product_groups.yml", []byte("- payments\n- search\n- source_code\n"))
	var long strings.Builder
	for _, c := range "abcdefghijklm" {
		long.WriteString("- team_" + string(c) + "\n")
	}
	big, _ := productgroups.Parse("defs/product_groups.yml", []byte(long.String()))
	tests := []struct {
		name string
		list *productgroups.List
		in   string
		want string
	}{
		{"gitlab known", gl, "project_management", ""},
		{"gitlab known with hyphens", gl, "5-min-app", ""},
		{"gitlab unknown", gl, "payments", `"payments" is not one of GitLab's 91 product groups (schema/v1/product_groups.json); a project with its own groups lists them in product_groups.yml beside its definitions`},
		{"gitlab typo", gl, "project_managment", `"project_managment" is not one of GitLab's 91 product groups (schema/v1/product_groups.json) (did you mean "project_management"?)`},
		{"gitlab label", gl, "group::source code", `"group::source code" is not one of GitLab's 91 product groups (schema/v1/product_groups.json) (did you mean "source_code"?)`},
		{"project known", small, "payments", ""},
		{"project has no gitlab groups", small, "project_management", `"project_management" is not one of the product groups listed in definitions/product_groups.yml: payments, search, source_code`},
		{"project typo", small, "payment", `"payment" is not one of the product groups listed in definitions/product_groups.yml: payments, search, source_code (did you mean "payments"?)`},
		{"project label", small, "group::source code", `"group::source code" is not one of the product groups listed in definitions/product_groups.yml: payments, search, source_code (did you mean "source_code"?)`},
		{"long project list", big, "team_z", `"team_z" is not one of the 13 product groups listed in defs/product_groups.yml (did you mean "team_a"?)`},
		{"long project list, nothing near", big, "payments", `"payments" is not one of the 13 product groups listed in defs/product_groups.yml`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.list.Check(tt.in); got != tt.want {
				t.Errorf("Check(%q) =\n\t%s\nwant\n\t%s", tt.in, got, tt.want)
			}
		})
	}
}

// TestGitLabNamesFitThePattern keeps NamePattern (which project lists must
// follow and the schema states for editors) in step with GitLab's list.
func TestGitLabNamesFitThePattern(t *testing.T) {
	gl, err := productgroups.GitLab()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range gl.Names() {
		if !productgroups.NamePattern.MatchString(n) {
			t.Errorf("GitLab's group %q does not fit %s", n, productgroups.NamePattern)
		}
	}
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestResolver finds the list nearest above a file, up to the repository
// root, and reads each list once.
func TestResolver(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write(t, "outside/product_groups.yml", "- outside\n")
	write(t, "outside/repo/.git/HEAD", "ref: refs/heads/main\n")
	write(t, "outside/repo/defs/product_groups.yml", "- payments\n- payments\n")
	write(t, "outside/repo/defs/nested/product_groups.yml", "- nested\n")
	r := productgroups.NewResolver()
	tests := []struct{ file, list string }{
		{"outside/repo/defs/events/a.yml", "outside/repo/defs/product_groups.yml"},
		{"outside/repo/defs/a.yml", "outside/repo/defs/product_groups.yml"},
		{"outside/repo/defs/nested/metrics/b.yml", "outside/repo/defs/nested/product_groups.yml"},
		// The list above the repository does not apply inside it.
		{"outside/repo/other/c.yml", "schema/v1/product_groups.json"},
		{"outside/d.yml", "outside/product_groups.yml"},
		{filepath.Join(dir, "outside/repo/defs/events/e.yml"), "outside/repo/defs/product_groups.yml"},
	}
	for _, tt := range tests {
		l, err := r.For(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		if l.Path != tt.list {
			t.Errorf("For(%s) = %s, want %s", tt.file, l.Path, tt.list)
		}
	}
	// The duplicate is reported once however many files used the list.
	var got []string
	for _, d := range r.Diagnostics() {
		got = append(got, d.String())
	}
	want := `outside/repo/defs/product_groups.yml:2:3: "payments" is listed twice (first at line 1); list each group once`
	if strings.Join(got, "\n") != want {
		t.Errorf("diagnostics:\n\t%s\nwant\n\t%s", strings.Join(got, "\n\t"), want)
	}
	var paths []string
	for _, l := range r.Projects() {
		paths = append(paths, l.Path)
	}
	if p := strings.Join(paths, " "); p != "outside/product_groups.yml outside/repo/defs/nested/product_groups.yml outside/repo/defs/product_groups.yml" {
		t.Errorf("Projects: %s", p)
	}
}

// TestBrokenListChecksNothing: a list that cannot be read as one reports
// its problem once, in the list, rather than in every definition.
func TestBrokenListChecksNothing(t *testing.T) {
	l, diags := productgroups.Parse("product_groups.yml", []byte("payments\n"))
	if len(diags) != 1 {
		t.Fatalf("diagnostics %v", diags)
	}
	if msg := l.Check("anything"); msg != "" {
		t.Errorf("Check on a broken list: %s", msg)
	}
}
