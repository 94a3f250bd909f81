package scaffold

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/internal/golden"
)

func validEvent() EventOptions {
	return EventOptions{
		Action: "export_issues", Description: "A user exported issues: to CSV or JSON.",
		Identifiers:  []string{"user", "namespace", "project"},
		Properties:   []Property{{Name: "label"}, {Name: "property", Description: "Where the export started."}, {Name: "format", Type: "string", Description: "csv or json"}, {Name: "rows", Type: "integer"}},
		ProductGroup: "project_management", ProductCategories: []string{"team_planning"},
		Milestone: "17.4", IntroducedByURL: "https://example.com/mr/9",
	}
}

func TestEventGolden(t *testing.T) {
	f, err := Event("definitions", validEvent())
	if err != nil {
		t.Fatal(err)
	}
	if f.Path != filepath.Join("definitions", "events", "export_issues.yml") {
		t.Errorf("path = %s", f.Path)
	}
	golden.Check(t, filepath.Join("testdata", "export_issues.yml"), f.Data)
	golden.Check(t, filepath.Join("testdata", "export_issues.snippet"), []byte(EventSnippet(validEvent(), DefaultTarget)))
}

// checked checks f as a definition under dir and returns its problems, one
// a line, with f's own path cut; err, when set, is the problem.
func checked(t *testing.T, dir string, f File, err error) string {
	t.Helper()
	if err != nil {
		return err.Error()
	}
	var lines []string
	// Errors only: they are what stops usagekit new; the privacy rules'
	// warnings are shown and tested in generator/internal/privacy.
	for _, d := range Check(f, dir).Errors() {
		lines = append(lines, strings.TrimPrefix(d.String(), f.Path+":"))
	}
	return strings.Join(lines, "\n")
}

// TestEventErrors: the scaffold restates no rule; what it would write is
// judged by the validator, and each mistake gets the validator's message at
// the line it would have (testdata/event_errors.txt).
func TestEventErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*EventOptions)
	}{
		{"bad name", func(o *EventOptions) { o.Action = "Export-Issues" }},
		{"missing everything", func(o *EventOptions) { *o = EventOptions{Action: "x"} }},
		{"bad identifier", func(o *EventOptions) { o.Identifiers = []string{"user", "group", "user"} }},
		{"bad tier", func(o *EventOptions) { o.Tiers = []string{"gold"} }},
		{"bad property type", func(o *EventOptions) { o.Properties = []Property{{Name: "value"}, {Name: "n", Type: "int"}} }},
		{"typed built-in", func(o *EventOptions) { o.Properties = []Property{{Name: "value", Type: "integer"}} }},
		{"custom without built-ins", func(o *EventOptions) { o.Properties = []Property{{Name: "label"}, {Name: "rows", Type: "integer"}} }},
		{"enum value of another type", func(o *EventOptions) {
			o.Properties = []Property{{Name: "value"}, {Name: "rows", Type: "integer", Enum: []string{"10", "many"}}}
		}},
		{"bad milestone", func(o *EventOptions) { o.Milestone = "17" }},
		{"bad product group", func(o *EventOptions) { o.ProductGroup = "project_managment" }},
	}
	dir := filepath.Join(t.TempDir(), "definitions")
	var out strings.Builder
	for _, tt := range tests {
		o := validEvent()
		tt.mutate(&o)
		f, err := Event(dir, o)
		got := checked(t, dir, f, err)
		if got == "" {
			t.Errorf("%s: no problem found", tt.name)
		}
		fmt.Fprintf(&out, "== %s\n%s\n", tt.name, got)
	}
	golden.Check(t, filepath.Join("testdata", "event_errors.txt"), []byte(out.String()))
}

// eventSet is the model the metric scaffold sees: export_issues with user,
// project and namespace, and page_viewed with user only.
func eventSet() *model.Set {
	return &model.Set{Events: []*model.Event{
		{Action: "export_issues", Identifiers: []model.Identifier{model.User, model.Project, model.Namespace},
			ProductGroup: "project_management", ProductCategories: []string{"team_planning"}, Tiers: []string{"premium", "ultimate"}, InternalEvents: true},
		{Action: "page_viewed", Identifiers: []model.Identifier{model.User}, ProductGroup: "source_code", ProductCategories: []string{"navigation"}, Tiers: []string{"free"}, InternalEvents: true},
		{Action: "bare", Identifiers: []model.Identifier{model.User}, ProductGroup: "source_code", InternalEvents: true},
		{Action: "render_page", Category: "Projects::GoogleCloud::DeploymentsController", ProductGroup: "5-min-app"},
	}}
}

func TestMetricNaming(t *testing.T) {
	tests := []struct {
		name   string
		o      MetricOptions
		path   string
		keys   string
		golden string
	}{
		{"unique default frames", MetricOptions{Events: []string{"export_issues"}, Unique: "user.id"},
			"definitions/metrics/counts_28d/count_distinct_user_id_from_export_issues.yml",
			"redis_hll_counters.count_distinct_user_id_from_export_issues_weekly redis_hll_counters.count_distinct_user_id_from_export_issues_monthly",
			"count_distinct_user_id_from_export_issues.yml"},
		{"total default frames", MetricOptions{Events: []string{"export_issues"}},
			"definitions/metrics/counts_all/count_total_export_issues.yml",
			"counts.count_total_export_issues_weekly counts.count_total_export_issues_monthly counts.count_total_export_issues",
			"count_total_export_issues.yml"},
		{"weekly", MetricOptions{Events: []string{"page_viewed"}, Unique: "user.id", TimeFrames: []string{"7d"}},
			"definitions/metrics/counts_7d/count_distinct_user_id_from_page_viewed_weekly.yml",
			"redis_hll_counters.count_distinct_user_id_from_page_viewed_weekly", ""},
		{"monthly", MetricOptions{Events: []string{"page_viewed"}, TimeFrames: []string{"28d"}},
			"definitions/metrics/counts_28d/count_total_page_viewed_monthly.yml", "counts.count_total_page_viewed_monthly", ""},
		{"all time", MetricOptions{Events: []string{"page_viewed"}, TimeFrames: []string{"all"}},
			"definitions/metrics/counts_all/count_total_page_viewed.yml", "counts.count_total_page_viewed", ""},
		{"named, two events", MetricOptions{Events: []string{"page_viewed", "export_issues"}, Unique: "user.id", Name: "issue_users"},
			"definitions/metrics/counts_28d/issue_users.yml", "redis_hll_counters.issue_users_weekly redis_hll_counters.issue_users_monthly", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Description, tt.o.Milestone, tt.o.IntroducedByURL = "Users who exported issues.", "17.4", "https://example.com/mr/9"
			f, keys, err := Metric("definitions", eventSet(), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != filepath.FromSlash(tt.path) {
				t.Errorf("path = %s, want %s", f.Path, tt.path)
			}
			if got := strings.Join(keys, " "); got != tt.keys {
				t.Errorf("keys = %s\nwant   %s", got, tt.keys)
			}
			if tt.golden != "" {
				golden.Check(t, filepath.Join("testdata", tt.golden), f.Data)
			}
		})
	}
}

func TestMetricSnippetGolden(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "count_distinct_user_id_from_export_issues.snippet"),
		[]byte(MetricSnippet([]string{"redis_hll_counters.count_distinct_user_id_from_export_issues_weekly"}, []string{"export_issues"}, DefaultTarget)))
}

// eventFiles writes the events of eventSet as definition files under dir.
func eventFiles(t *testing.T, dir string) {
	t.Helper()
	for _, e := range eventSet().Events {
		var b strings.Builder
		fmt.Fprintf(&b, "action: %s\ndescription: An event.\nproduct_group: %s\nmilestone: \"17.0\"\nintroduced_by_url: https://example.com/mr/1\ntiers: [free]\n", e.Action, cmp.Or(e.ProductGroup, "project_management"))
		if e.InternalEvents {
			b.WriteString("internal_events: true\n")
		} else {
			b.WriteString("category: " + e.Category + "\n")
		}
		if len(e.ProductCategories) > 0 {
			b.WriteString("product_categories: [" + strings.Join(e.ProductCategories, ", ") + "]\n")
		}
		var ids []string
		for _, id := range e.Identifiers {
			ids = append(ids, string(id))
		}
		b.WriteString("identifiers: [" + strings.Join(ids, ", ") + "]\n")
		path := filepath.Join(dir, "events", e.Action+".yml")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestMetricErrors(t *testing.T) {
	tests := []struct {
		name string
		o    MetricOptions
	}{
		{"no events", MetricOptions{}},
		{"unknown event", MetricOptions{Events: []string{"export_issue"}}},
		{"legacy event", MetricOptions{Events: []string{"render_page"}}},
		{"unique without identifier", MetricOptions{Events: []string{"page_viewed"}, Unique: "project.id"}},
		{"bad unique", MetricOptions{Events: []string{"page_viewed"}, Unique: "user"}},
		{"unique all time", MetricOptions{Events: []string{"page_viewed"}, Unique: "user.id", TimeFrames: []string{"28d", "all"}}},
		{"bad time frame", MetricOptions{Events: []string{"page_viewed"}, TimeFrames: []string{"1d"}}},
		{"two events unnamed", MetricOptions{Events: []string{"page_viewed", "export_issues"}}},
		{"bad name", MetricOptions{Events: []string{"page_viewed"}, Name: "Bad Name"}},
		{"no categories to inherit", MetricOptions{Events: []string{"bare"}}},
		{"bad data category", MetricOptions{Events: []string{"page_viewed"}, DataCategory: "secret"}},
		{"key_path taken", MetricOptions{Events: []string{"page_viewed"}, TimeFrames: []string{"all"}, Name: "taken"}},
	}
	dir := filepath.Join(t.TempDir(), "definitions")
	eventFiles(t, dir)
	taken, _, err := Metric(dir, eventSet(), MetricOptions{Events: []string{"page_viewed"}, TimeFrames: []string{"all"}, Name: "taken",
		Description: "d", Milestone: "17.4", IntroducedByURL: "https://example.com/mr/9"})
	if err != nil {
		t.Fatal(err)
	}
	taken.Path = filepath.Join(dir, "metrics", "taken.yml")
	if err := taken.Create(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, tt := range tests {
		tt.o.Description, tt.o.Milestone, tt.o.IntroducedByURL = "d", "17.4", "https://example.com/mr/9"
		f, _, err := Metric(dir, eventSet(), tt.o)
		got := strings.ReplaceAll(checked(t, dir, f, err), dir, "DIR")
		if got == "" {
			t.Errorf("%s: no problem found", tt.name)
		}
		fmt.Fprintf(&out, "== %s\n%s\n", tt.name, got)
	}
	golden.Check(t, filepath.Join("testdata", "metric_errors.txt"), []byte(out.String()))
}

// TestCreatedFilesValidate writes an event and metrics of every shape into a
// fresh tree and loads it with the validator.
func TestCreatedFilesValidate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "definitions")
	ev, err := Event(dir, validEvent())
	if err != nil {
		t.Fatal(err)
	}
	if err := ev.Create(); err != nil {
		t.Fatal(err)
	}
	set, err := generator.Load(dir)
	if err != nil {
		t.Fatalf("new event does not validate: %v", err)
	}
	var want []string
	for _, o := range []MetricOptions{
		{Events: []string{"export_issues"}, Unique: "user.id"},
		{Events: []string{"export_issues"}, Unique: "namespace.id", TimeFrames: []string{"7d"}},
		{Events: []string{"export_issues"}},
		{Events: []string{"export_issues"}, Name: "exports_monthly", TimeFrames: []string{"28d"}},
	} {
		o.Description, o.Milestone, o.IntroducedByURL = "Exports.", "17.4", "https://example.com/mr/9"
		f, keys, err := Metric(dir, set, o)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Create(); err != nil {
			t.Fatal(err)
		}
		want = append(want, keys...)
	}
	set, err = generator.Load(dir)
	if err != nil {
		t.Fatalf("new metrics do not validate: %v", err)
	}
	// A key_path that is taken is refused before anything is written.
	again, _, err := Metric(dir, set, MetricOptions{Events: []string{"export_issues"}, TimeFrames: []string{"28d"},
		Description: "Again.", Milestone: "17.4", IntroducedByURL: "https://example.com/mr/9"})
	wantErr := filepath.Join(dir, "metrics", "counts_all", "count_total_export_issues.yml") + `:1:1: duplicate key_path "counts.count_total_export_issues_monthly": ` +
		filepath.Join(dir, "metrics", "counts_28d", "count_total_export_issues_monthly.yml") + ":1:1 and " +
		filepath.Join(dir, "metrics", "counts_all", "count_total_export_issues.yml") + ":1:1 both define it"
	if got := checked(t, dir, again, err); got != wantErr {
		t.Errorf("problems:\n%s\nwant %s", got, wantErr)
	}
	for _, k := range want {
		found := false
		for _, m := range set.Metrics {
			found = found || m.KeyPath == k
		}
		if !found {
			t.Errorf("metric %s not in the loaded set", k)
		}
	}
	if len(set.Metrics) != len(want) {
		t.Errorf("%d metrics loaded, want %d", len(set.Metrics), len(want))
	}
}

func TestCreateRefusesOverwrite(t *testing.T) {
	dir := t.TempDir()
	f, err := Event(dir, validEvent())
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Create(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f.Path, []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err = f.Create()
	if !errors.Is(err, ErrExists) || err.Error() != "scaffold: file exists: "+f.Path+"; pick another name or edit it" {
		t.Errorf("err = %v", err)
	}
	if data, _ := os.ReadFile(f.Path); string(data) != "mine\n" {
		t.Errorf("file overwritten: %q", data)
	}
}

// TestProductGroupList checks the group against the list validation will
// use for the new file, before anything is written.
func TestProductGroupList(t *testing.T) {
	dir := t.TempDir()
	own := filepath.Join(dir, "own")
	if err := os.MkdirAll(own, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(own, "product_groups.yml"), []byte("- payments\n- search\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitlab := filepath.Join(dir, "gitlab")
	tests := []struct {
		name, dir, group, want string
	}{
		{"own group", own, "payments", ""},
		{"GitLab group not in the own list", own, "project_management",
			`product_group: "project_management" is not one of the product groups listed in ` + filepath.ToSlash(filepath.Join(own, "product_groups.yml")) + `: payments, search`},
		{"typo in the own list", own, "searc",
			`product_group: "searc" is not one of the product groups listed in ` + filepath.ToSlash(filepath.Join(own, "product_groups.yml")) + `: payments, search (did you mean "search"?)`},
		{"GitLab group with hyphens", gitlab, "5-min-app", ""},
		{"own group without a list", gitlab, "payments",
			`product_group: "payments" is not one of GitLab's 91 product groups (schema/v1/product_groups.json); a project with its own groups lists them in product_groups.yml beside its definitions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validEvent()
			o.ProductGroup = tt.group
			f, err := Event(tt.dir, o)
			if got := message(checked(t, tt.dir, f, err)); got != tt.want {
				t.Errorf("Event: %s\nwant %s", got, tt.want)
			}
			set := &model.Set{Events: []*model.Event{{Action: "export_issues", Identifiers: []model.Identifier{model.User}, ProductGroup: tt.group, ProductCategories: []string{"team_planning"}, InternalEvents: true}}}
			f, _, err = Metric(tt.dir, set, MetricOptions{Events: []string{"export_issues"}, Description: "d", Milestone: "17.4", IntroducedByURL: "https://example.com/mr/1"})
			// The metric's event is not on disk: only its group matters here.
			got := ""
			for _, l := range strings.Split(checked(t, tt.dir, f, err), "\n") {
				if strings.Contains(l, "product_group:") {
					got = message(l)
				}
			}
			if got != tt.want {
				t.Errorf("Metric: %s\nwant %s", got, tt.want)
			}
		})
	}
}

// message cuts the line:col of a problem.
func message(problem string) string {
	if _, rest, ok := strings.Cut(problem, ": "); ok && problem != "" {
		return rest
	}
	return problem
}

func TestWithSchemaLine(t *testing.T) {
	root := t.TempDir()
	f := File{Path: filepath.Join(root, "definitions", "metrics", "counts_7d", "m.yml"), Data: []byte("key_path: counts.m\n")}
	if got := WithSchemaLine(f, "metric"); string(got.Data) != string(f.Data) {
		t.Errorf("without schemas: %q, want the file unchanged", got.Data)
	}
	if err := os.MkdirAll(filepath.Join(root, "schema", "v1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "schema", "v1", "metric.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "# yaml-language-server: $schema=../../../schema/v1/metric.json\nkey_path: counts.m\n"
	if got := WithSchemaLine(f, "metric"); string(got.Data) != want || got.Path != f.Path {
		t.Errorf("with schemas: %q, want %q", got.Data, want)
	}
	if got := WithSchemaLine(f, "event"); string(got.Data) != string(f.Data) {
		t.Errorf("no event schema: %q, want the file unchanged", got.Data)
	}
}

// TestFindTarget: the snippets call the package that usagekit init set up
// for the definitions, found by its go:generate line.
func TestFindTarget(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for p, content := range map[string]string{
		"internal/usage/doc.go": "// Package usage is generated.\npackage usage\n\n//go:generate go tool usagekit generate --definitions ../../definitions --out .\n",
		"other/doc.go":          "package other\n\n//go:generate go tool usagekit generate --definitions ../elsewhere --out .\n",
		"definitions/README":    "",
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := FindTarget("definitions"), (Target{Package: "usage", Generate: "go generate ./internal/usage"}); got != want {
		t.Errorf("FindTarget = %+v, want %+v", got, want)
	}
	if got := FindTarget("nowhere"); got != DefaultTarget {
		t.Errorf("FindTarget of definitions no package uses = %+v, want the default", got)
	}
}
