package docs

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/internal/golden"
	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// sampleSet is a small definition set with two product groups, an event
// without a group, filtered and unique metrics and a removed metric.
func sampleSet() *model.Set {
	created := &model.Event{
		Action: "issue_created", Description: "An issue was created | from the UI or API.",
		Identifiers: []model.Identifier{model.User, model.Project},
		Properties: []*model.Property{
			{Name: "label", Type: model.String, Builtin: true},
			{Name: "source", Type: model.String, Enum: []model.Value{{Type: model.String, Text: "web"}, {Type: model.String, Text: "api"}}},
		},
		ProductGroup: "project_management", Tiers: []string{"free", "premium", "ultimate"}, Status: metric.Active,
	}
	pushed := &model.Event{
		Action: "code_pushed", Description: "Commits were pushed.",
		Identifiers:  []model.Identifier{model.User, model.Project, model.Namespace},
		ProductGroup: "source_code", Tiers: []string{"free"},
	}
	orphan := &model.Event{Action: "page_viewed", Description: "A <page> was viewed.", Identifiers: []model.Identifier{model.User}}
	m1 := &model.Metric{
		KeyPath: "counts.count_distinct_user_id_from_issue_created_weekly", Description: "Weekly users creating issues",
		ValueType: "number", Status: metric.Active, TimeFrame: metric.Weekly, DataSource: "internal_events",
		ProductGroup: "project_management", Tiers: []string{"premium", "ultimate"},
		Events:  []metric.EventRule{{Event: "issue_created", Unique: event.UniqueUser}},
		Sources: []model.RuleSource{{Event: created}},
	}
	m2 := &model.Metric{
		KeyPath: "counts.count_total_issue_created_or_pushed", Description: "Issues created and pushes",
		ValueType: "number", Status: metric.Active, TimeFrame: metric.AllTime, DataSource: "internal_events",
		ProductGroup: "project_management", Tiers: []string{"free"},
		Events:  []metric.EventRule{{Event: "issue_created"}, {Event: "code_pushed"}},
		Sources: []model.RuleSource{{Event: created}, {Event: pushed}},
	}
	m3 := &model.Metric{
		KeyPath: "counts.projects", Description: "Projects", ValueType: "number", Status: metric.Removed,
		TimeFrame: metric.None, DataSource: "database", ProductGroup: "source_code", Tiers: []string{"free"},
		Database: &dbcount.Query{Operation: "count", Table: "projects"},
	}
	m4 := &model.Metric{
		KeyPath: "settings.version_check", Description: "Version check enabled", ValueType: "boolean",
		Status: metric.Broken, TimeFrame: metric.None, DataSource: "system", Tiers: []string{"free"},
	}
	created.Metrics = []*model.Metric{m1, m2}
	pushed.Metrics = []*model.Metric{m2}
	return &model.Set{Events: []*model.Event{pushed, created, orphan}, Metrics: []*model.Metric{m1, m2, m3, m4}}
}

func TestGenerateGolden(t *testing.T) {
	files, err := Generate(sampleSet())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		golden.Check(t, filepath.Join("testdata", "golden", filepath.FromSlash(f.Name)), f.Data)
	}
	wantNames := "groups/no-product-group.md groups/project-management.md groups/source-code.md index.html index.md"
	if got := strings.Join(names, " "); got != wantNames {
		t.Errorf("files = %s, want %s", got, wantNames)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a, err := Generate(sampleSet())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Generate(sampleSet())
	for i := range a {
		if !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s differs between two runs", a[i].Name)
		}
	}
}

func TestHTMLSelfContained(t *testing.T) {
	files, err := Generate(sampleSet())
	if err != nil {
		t.Fatal(err)
	}
	var page string
	for _, f := range files {
		if f.Name == "index.html" {
			page = string(f.Data)
		}
	}
	// Anything that would make the browser fetch: external scripts, styles,
	// images, fonts or frames.
	for _, bad := range []string{"<script src", "<link", "<img", "@import", "url(", "<iframe", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("index.html contains %q; the page must not fetch anything", bad)
		}
	}
	if !strings.Contains(page, "A &lt;page&gt; was viewed.") {
		t.Errorf("description not HTML-escaped")
	}
}

func TestGroupFile(t *testing.T) {
	for in, want := range map[string]string{
		"project_management":        "groups/project-management.md",
		"Source Code":               "groups/source-code.md",
		"../etc":                    "groups/etc.md",
		"!!!":                       "groups/group.md",
		noGroup:                     "groups/no-product-group.md",
		"analytics_instrumentation": "groups/analytics-instrumentation.md",
	} {
		if got := groupFile(in); got != want {
			t.Errorf("groupFile(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGroupPagesDistinct(t *testing.T) {
	set := &model.Set{Events: []*model.Event{
		{Action: "a", ProductGroup: "source_code"},
		{Action: "b", ProductGroup: "Source Code"},
		{Action: "c", ProductGroup: "source-code"},
	}}
	files, err := Generate(set)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	want := "groups/source-code-2.md groups/source-code-3.md groups/source-code.md index.html index.md"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files = %s\nwant %s", got, want)
	}
}

// TestGenerateWithCalls: given call sites, each group's page lists them and
// the HTML page shows them with the event; an event without any reads
// "never tracked".
func TestGenerateWithCalls(t *testing.T) {
	calls := map[string][]string{"issue_created": {"app/issues.go:12:3", "app/api.go:40:9"}}
	files, err := GenerateWith(sampleSet(), Options{Calls: calls})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Name == "groups/project-management.md" || f.Name == "index.html" {
			golden.Check(t, filepath.Join("testdata", "golden-calls", filepath.FromSlash(f.Name)), f.Data)
		}
	}
	plain, _ := Generate(sampleSet())
	for i, f := range plain {
		if f.Name == "index.md" && !bytes.Equal(f.Data, files[i].Data) {
			t.Error("the index changed with call sites")
		}
	}
}
