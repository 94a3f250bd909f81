package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
)

// asTerminal makes the new command believe stdin is a terminal typing
// input, or not a terminal when input is nil.
func asTerminal(t *testing.T, input *string) {
	t.Helper()
	oldIn, oldTerm := newStdin, stdinTerminal
	t.Cleanup(func() { newStdin, stdinTerminal = oldIn, oldTerm })
	if input == nil {
		newStdin, stdinTerminal = strings.NewReader(""), func() bool { return false }
		return
	}
	newStdin, stdinTerminal = strings.NewReader(*input), func() bool { return true }
}

func runNewCmd(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(append([]string{"new"}, args...), &o, &e)
	return code, o.String(), e.String()
}

var eventFlags = []string{"--description", "Issues were exported.", "--product-group", "project_management",
	"--product-categories", "team_planning", "--milestone", "17.4", "--introduced-by-url", "https://example.com/mr/1"}

func TestNewEventAndMetric(t *testing.T) {
	asTerminal(t, nil)
	dir := filepath.Join(t.TempDir(), "definitions")
	code, out, errOut := runNewCmd(append([]string{"event", "export_issues", "--dir", dir, "--property", "label=Format", "--property", "property", "--property", "rows:integer=Rows exported"}, eventFlags...)...)
	if code != exitOK {
		t.Fatalf("new event: exit %d\n%s", code, errOut)
	}
	eventPath := filepath.Join(dir, "events", "export_issues.yml")
	for _, want := range []string{"created " + eventPath + "\n",
		"generated.TrackExportIssues(ctx, userID, projectID, namespaceID, generated.ExportIssuesProperties{Label: \"...\", Property: \"...\", Rows: 1})",
		`rec.AssertTracked(t, "export_issues", tracktest.User(userID)`} {
		if !strings.Contains(out, want) {
			t.Errorf("new event output lacks %q:\n%s", want, out)
		}
	}

	code, out, errOut = runNewCmd("metric", "--dir", dir, "--event", "export_issues", "--unique", "user.id",
		"--description", "Users exporting issues.", "--milestone", "17.4", "--introduced-by-url", "https://example.com/mr/1")
	if code != exitOK {
		t.Fatalf("new metric: exit %d\n%s", code, errOut)
	}
	metricPath := filepath.Join(dir, "metrics", "counts_28d", "count_distinct_user_id_from_export_issues.yml")
	if !strings.HasPrefix(out, "created "+metricPath+"\nkey_path: redis_hll_counters.count_distinct_user_id_from_export_issues_weekly, redis_hll_counters.count_distinct_user_id_from_export_issues_monthly\n") {
		t.Errorf("new metric output:\n%s", out)
	}
	code, _, errOut = runNewCmd("metric", "--dir", dir, "--event", "export_issues", "--time-frame", "all",
		"--description", "Exports.", "--milestone", "17.4", "--introduced-by-url", "https://example.com/mr/1")
	if code != exitOK {
		t.Fatalf("new metric total: exit %d\n%s", code, errOut)
	}

	set, err := generator.Load(dir)
	if err != nil {
		t.Fatalf("created files do not validate: %v", err)
	}
	if len(set.Events) != 1 || len(set.Metrics) != 3 {
		t.Errorf("loaded %d events and %d metrics, want 1 and 3", len(set.Events), len(set.Metrics))
	}

	// Never overwrite.
	before, _ := os.ReadFile(eventPath)
	code, _, errOut = runNewCmd(append([]string{"event", "export_issues", "--dir", dir, "--description", "Other."}, eventFlags[2:]...)...)
	if code != exitProblems || errOut != "usagekit new: scaffold: file exists: "+eventPath+"; pick another name or edit it\n" {
		t.Errorf("overwrite: exit %d, stderr %q", code, errOut)
	}
	if after, _ := os.ReadFile(eventPath); !bytes.Equal(before, after) {
		t.Error("existing event file changed")
	}
}

func TestNewNonTerminalErrors(t *testing.T) {
	asTerminal(t, nil)
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"nothing", nil, "usagekit new: say what to create: usagekit new event NAME or usagekit new metric --event NAME\n"},
		{"event without flags", []string{"event", "x", "--dir", dir},
			"usagekit new event: missing required flags: --description, --product-group, --milestone, --introduced-by-url (stdin is not a terminal, so nothing is asked)\n"},
		{"event without name", append([]string{"event", "--dir", dir}, eventFlags...),
			"usagekit new event: missing required flag: NAME (stdin is not a terminal, so nothing is asked)\n"},
		{"metric without flags", []string{"metric", "--dir", dir},
			"usagekit new metric: missing required flags: --event, --description, --milestone, --introduced-by-url (stdin is not a terminal, so nothing is asked)\n"},
		{"bad values", []string{"event", "Bad", "--dir", dir, "--description", "d", "--product-group", "g", "--milestone", "17", "--introduced-by-url", "u"},
			"usagekit new event: event name \"Bad\" must match ^[a-z0-9_]+$ (lower case, digits, underscores)\n  product group \"g\" is not one of GitLab's 91 product groups (schema/v1/product_groups.json) (did you mean \"gdk\"?)\n  milestone \"17\" must look like 17.4\n  introduced-by URL \"u\" must be an http(s) URL\n"},
		{"unknown event", []string{"metric", "--dir", dir, "--event", "nope", "--description", "d", "--milestone", "17.4", "--introduced-by-url", "https://e.com/1", "--product-group", "project_management"},
			"usagekit new metric: event nope is not defined; create it first with usagekit new event nope\n"},
		{"extra argument", []string{"event", "a", "b"}, "usagekit new event: unexpected arguments [\"b\"]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runNewCmd(tt.args...)
			if code != exitUsage || errOut != tt.stderr || out != "" {
				t.Errorf("exit %d\nstderr %q\nwant   %q\nstdout %q", code, errOut, tt.stderr, out)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("failed commands wrote files: %v", entries)
	}
}

func TestNewInteractive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "definitions")
	// An empty answer is asked again.
	input := "export_issues\n\nIssues were exported.\nproject_management\n17.4\nhttps://example.com/mr/1\n"
	asTerminal(t, &input)
	code, out, errOut := runNewCmd("event", "--dir", dir, "--identifiers", "user")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	wantPrompts := "Event name (action, e.g. export_issues): Description (what happened): Description (what happened): Product group: Milestone (e.g. 17.4): Introduced by URL (the merge request): "
	if errOut != wantPrompts {
		t.Errorf("prompts:\n%q\nwant\n%q", errOut, wantPrompts)
	}
	if !strings.Contains(out, "generated.TrackExportIssues(ctx, userID)") {
		t.Errorf("output:\n%s", out)
	}
	data, err := os.ReadFile(filepath.Join(dir, "events", "export_issues.yml"))
	if err != nil || !strings.Contains(string(data), "description: Issues were exported.\n") {
		t.Errorf("event file: %v\n%s", err, data)
	}

	// The event has no product categories to inherit, so they are asked for.
	input = "Users.\nhttps://example.com/mr/2\nteam_planning, exports\n"
	asTerminal(t, &input)
	code, out, errOut = runNewCmd("metric", "--dir", dir, "--event", "export_issues", "--milestone", "17.4")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	want := "Description (what the number means): Introduced by URL (the merge request): Product categories (comma-separated): "
	if errOut != want || !strings.HasPrefix(out, "created ") {
		t.Errorf("stderr %q\nwant   %q\nstdout %s", errOut, want, out)
	}
	data, _ = os.ReadFile(filepath.Join(dir, "metrics", "counts_all", "count_total_export_issues.yml"))
	if !strings.Contains(string(data), "product_categories:\n  - team_planning\n  - exports\n") {
		t.Errorf("metric file:\n%s", data)
	}

	// Flags given are not asked for; input that ends early names the rest.
	input = "Users.\n"
	asTerminal(t, &input)
	code, _, errOut = runNewCmd("metric", "--dir", dir, "--event", "export_issues", "--milestone", "17.4")
	want = "Description (what the number means): Introduced by URL (the merge request): usagekit new metric: missing required flag: --introduced-by-url (input ended)\n"
	if code != exitUsage || errOut != want {
		t.Errorf("exit %d\nstderr %q\nwant   %q", code, errOut, want)
	}
}
