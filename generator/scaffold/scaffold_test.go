package scaffold

import (
	"errors"
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
	golden.Check(t, filepath.Join("testdata", "export_issues.snippet"), []byte(EventSnippet(validEvent())))
}

func TestEventErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*EventOptions)
		want   string
	}{
		{"bad name", func(o *EventOptions) { o.Action = "Export-Issues" }, `event name "Export-Issues" must match ^[a-z0-9_]+$ (lower case, digits, underscores)`},
		{"missing everything", func(o *EventOptions) { *o = EventOptions{Action: "x"} },
			"description is required\nproduct group is required\nmilestone \"\" must look like 17.4\nintroduced-by URL \"\" must be an http(s) URL"},
		{"bad identifier", func(o *EventOptions) { o.Identifiers = []string{"user", "group", "user"} },
			"identifier \"group\" is not one of user, project, namespace, feature_enabled_by_namespace_ids\nidentifier user given twice"},
		{"bad tier", func(o *EventOptions) { o.Tiers = []string{"gold"} }, `tier "gold" is not one of free, premium, ultimate`},
		{"bad property type", func(o *EventOptions) { o.Properties = []Property{{Name: "value"}, {Name: "n", Type: "int"}} }, `property n: type "int" is not one of string, integer, number, boolean`},
		{"typed built-in", func(o *EventOptions) { o.Properties = []Property{{Name: "value", Type: "integer"}} }, "property value is built in; it takes no type"},
		{"custom without built-ins", func(o *EventOptions) { o.Properties = []Property{{Name: "label"}, {Name: "rows", Type: "integer"}} },
			"custom properties need the built-ins label and property, or value, declared as well"},
		{"custom with value", func(o *EventOptions) {
			o.Properties = []Property{{Name: "value"}, {Name: "rows", Type: "integer"}, {Name: "x", Type: "x"}}
		},
			`property x: type "x" is not one of string, integer, number, boolean`},
		{"duplicate property", func(o *EventOptions) { o.Properties = []Property{{Name: "label"}, {Name: "label"}} }, "property label given twice"},
		{"bad milestone", func(o *EventOptions) { o.Milestone = "17" }, `milestone "17" must look like 17.4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validEvent()
			tt.mutate(&o)
			_, err := Event("definitions", o)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
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
		[]byte(MetricSnippet([]string{"redis_hll_counters.count_distinct_user_id_from_export_issues_weekly"}, []string{"export_issues"})))
}

func TestMetricErrors(t *testing.T) {
	tests := []struct {
		name string
		o    MetricOptions
		want string
	}{
		{"no events", MetricOptions{}, "at least one event is required\nproduct group is required"},
		{"unknown event", MetricOptions{Events: []string{"nope"}}, "event nope is not defined; create it first with usagekit new event nope\nproduct group is required"},
		{"legacy event", MetricOptions{Events: []string{"render_page"}}, "event render_page is a legacy event (without internal_events: true); a metric counts internal events only\nproduct group is required"},
		{"unique without identifier", MetricOptions{Events: []string{"page_viewed"}, Unique: "project.id"}, "unique project.id needs event page_viewed to declare identifier project"},
		{"bad unique", MetricOptions{Events: []string{"page_viewed"}, Unique: "label"}, `unique "label" is not one of user.id, project.id, namespace.id`},
		{"unique all time", MetricOptions{Events: []string{"page_viewed"}, Unique: "user.id", TimeFrames: []string{"28d", "all"}}, "a unique count needs a window: use time frames 7d and 28d, not all"},
		{"bad time frame", MetricOptions{Events: []string{"page_viewed"}, TimeFrames: []string{"1d"}}, `time frame "1d" is not one of 7d, 28d, all`},
		{"no time frame", MetricOptions{Events: []string{"page_viewed"}, TimeFrames: []string{}}, "at least one time frame is required"},
		{"two events unnamed", MetricOptions{Events: []string{"page_viewed", "export_issues"}}, "a metric of several events needs a name (--name)"},
		{"bad name", MetricOptions{Events: []string{"page_viewed"}, Name: "Bad Name"}, `metric name "Bad Name" must match ^[a-z0-9_]+$`},
		{"no categories to inherit", MetricOptions{Events: []string{"bare"}}, "product categories are required for an active metric (--product-categories), and event bare has none to inherit"},
		{"bad data category", MetricOptions{Events: []string{"page_viewed"}, DataCategory: "secret"}, `data category "secret" is not one of operational, optional, subscription, standard`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Description, tt.o.Milestone, tt.o.IntroducedByURL = "d", "17.4", "https://example.com/mr/9"
			_, _, err := Metric("definitions", eventSet(), tt.o)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
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
	_, _, err = Metric(dir, set, MetricOptions{Events: []string{"export_issues"}, TimeFrames: []string{"28d"},
		Description: "Again.", Milestone: "17.4", IntroducedByURL: "https://example.com/mr/9"})
	wantErr := "key_path counts.count_total_export_issues_monthly is already defined in " +
		filepath.Join(dir, "metrics", "counts_all", "count_total_export_issues.yml") + "; choose another --name or time frame"
	if err == nil || err.Error() != wantErr {
		t.Errorf("err = %v\nwant %s", err, wantErr)
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
			`product group "project_management" is not one of the product groups listed in ` + filepath.ToSlash(filepath.Join(own, "product_groups.yml")) + `: payments, search`},
		{"typo in the own list", own, "searc",
			`product group "searc" is not one of the product groups listed in ` + filepath.ToSlash(filepath.Join(own, "product_groups.yml")) + `: payments, search (did you mean "search"?)`},
		{"GitLab group with hyphens", gitlab, "5-min-app", ""},
		{"own group without a list", gitlab, "payments",
			`product group "payments" is not one of GitLab's 91 product groups (schema/v1/product_groups.json); a project with its own groups lists them in product_groups.yml beside its definitions`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := validEvent()
			o.ProductGroup = tt.group
			_, err := Event(tt.dir, o)
			if got := errText(err); got != tt.want {
				t.Errorf("Event: %s\nwant %s", got, tt.want)
			}
			set := &model.Set{Events: []*model.Event{{Action: "export_issues", Identifiers: []model.Identifier{model.User}, ProductGroup: tt.group, ProductCategories: []string{"team_planning"}, InternalEvents: true}}}
			_, _, err = Metric(tt.dir, set, MetricOptions{Events: []string{"export_issues"}, Description: "d", Milestone: "17.4", IntroducedByURL: "https://example.com/mr/1"})
			if got := errText(err); got != tt.want {
				t.Errorf("Metric: %s\nwant %s", got, tt.want)
			}
		})
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
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
