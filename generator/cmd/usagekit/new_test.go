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
			dir + "/events/Bad.yml:3:9: action: \"Bad\" must be lowercase letters, digits and underscores\n" +
				dir + "/events/Bad.yml:8:16: product_group: \"g\" is not one of GitLab's 91 product groups (schema/v1/product_groups.json) (did you mean \"gdk\"?)\n" +
				dir + "/events/Bad.yml:9:12: milestone: \"17\" must be a release such as \"16.4\"\n" +
				dir + "/events/Bad.yml:10:20: introduced_by_url: \"u\" is not a valid URI\n" +
				"usagekit new: " + dir + "/events/Bad.yml would have 4 problems; nothing was written\n"},
		{"unknown event", []string{"metric", "--dir", dir, "--event", "nope", "--description", "d", "--milestone", "17.4", "--introduced-by-url", "https://e.com/1", "--product-group", "project_management", "--product-categories", "team_planning"},
			dir + "/metrics/counts_all/count_total_nope.yml:22:5: events[0].name: unknown event \"nope\"; no event definition has this action\n" +
				"usagekit new: " + dir + "/metrics/counts_all/count_total_nope.yml would have 1 problem; nothing was written\n"},
		{"extra argument", []string{"event", "a", "b"}, "usagekit new event: unexpected arguments [\"b\"]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runNewCmd(tt.args...)
			want := exitUsage
			if strings.Contains(tt.stderr, "nothing was written") {
				want = exitProblems
			}
			if code != want || errOut != tt.stderr || out != "" {
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
	input := "export_issues\n\nIssues were exported.\nproject_management\n17.4\nhttps://example.com/mr/1\n\n"
	asTerminal(t, &input)
	code, out, errOut := runNewCmd("event", "--dir", dir, "--identifiers", "user")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	wantPrompts := "Event name (action, e.g. export_issues): Description (what happened): Description (what happened): Product group: Milestone (e.g. 17.4): Introduced by URL (the merge request): " +
		"Product categories, comma-separated (its metrics inherit them; empty for none): "
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
	want := "Description (what the number means): Introduced by URL (the merge request): Product categories, comma-separated (event export_issues has none to inherit): "
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
	want = "Description (what the number means): Introduced by URL (the merge request): usagekit new metric: missing required flags: --introduced-by-url, --product-categories (input ended)\n"
	if code != exitUsage || errOut != want {
		t.Errorf("exit %d\nstderr %q\nwant   %q", code, errOut, want)
	}
}

// TestNewChecksEachAnswer: an interactive answer is checked when it is
// given, with the validator's message, and asked again; an unknown event
// gets the nearest one suggested; input that ends is asked for nothing
// more.
func TestNewChecksEachAnswer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "definitions")
	asTerminal(t, nil)
	if code, _, errOut := runNewCmd(append([]string{"event", "export_issues", "--dir", dir}, eventFlags...)...); code != exitOK {
		t.Fatalf("new event: %s", errOut)
	}
	input := "export_issue\nexport_issues\nUsers.\n17\n17.4\nhttps://example.com/mr/2\n"
	asTerminal(t, &input)
	code, out, errOut := runNewCmd("metric", "--dir", dir, "--unique", "user.id")
	want := "Event to count: events[0].name: unknown event \"export_issue\"; no event definition has this action (did you mean \"export_issues\"?)\n" +
		"Event to count: Description (what the number means): " +
		"Milestone (e.g. 17.4): milestone: \"17\" must be a release such as \"16.4\" or \"<13.9\"\n" +
		"Milestone (e.g. 17.4): Introduced by URL (the merge request): "
	if code != exitOK || errOut != want || !strings.HasPrefix(out, "created ") {
		t.Errorf("exit %d\nstderr %q\nwant   %q\nstdout %s", code, errOut, want, out)
	}

	// Input that ends is not asked for the rest.
	input = ""
	asTerminal(t, &input)
	code, _, errOut = runNewCmd("event", "--dir", dir)
	want = "Event name (action, e.g. export_issues): usagekit new event: missing required flags: NAME, --description, --product-group, --milestone, --introduced-by-url (input ended)\n"
	if code != exitUsage || errOut != want {
		t.Errorf("ended input: exit %d\nstderr %q\nwant   %q", code, errOut, want)
	}
}

// TestNewEventProperties: a description keeps its commas, enums can be
// scaffolded, and a metric of an event without product categories says
// which flag it needs.
func TestNewEventProperties(t *testing.T) {
	asTerminal(t, nil)
	dir := filepath.Join(t.TempDir(), "definitions")
	flags := []string{"--description", "Issues were exported.", "--product-group", "project_management",
		"--milestone", "17.4", "--introduced-by-url", "https://example.com/mr/1"}
	code, _, errOut := runNewCmd(append([]string{"event", "export_issues", "--dir", dir,
		"--property", "property=Where (web, app)", "--property", "label",
		"--property", "channel:enum(web|api|email)=The channel, one of three", "--property", "rows:integer(10|100)"}, flags...)...)
	if code != exitOK {
		t.Fatalf("new event: exit %d\n%s", code, errOut)
	}
	data, err := os.ReadFile(filepath.Join(dir, "events", "export_issues.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"  property:\n    description: Where (web, app)\n",
		"  channel:\n    description: The channel, one of three\n    type: string\n    enum: [web, api, email]\n",
		"  rows:\n    description: The rows.\n    type: integer\n    enum: [10, 100]\n",
	} {
		if !strings.Contains(string(data), want) {
			t.Errorf("event file lacks %q:\n%s", want, data)
		}
	}
	for _, tt := range []struct{ spec, want string }{
		{"channel:enum", `usagekit new event: --property "channel:enum": property channel: an enum lists its values: channel:enum(a|b)` + "\n"},
		{"channel:string(web", `usagekit new event: --property "channel:string(web": property channel: enum values go in parentheses, separated by |: string(a|b)` + "\n"},
	} {
		code, _, errOut := runNewCmd(append([]string{"event", "x", "--dir", dir, "--property", tt.spec}, flags...)...)
		if code != exitUsage || errOut != tt.want {
			t.Errorf("%s: exit %d\nstderr %q\nwant   %q", tt.spec, code, errOut, tt.want)
		}
	}
	code, _, errOut = runNewCmd("metric", "--dir", dir, "--event", "export_issues", "--description", "Exports.",
		"--milestone", "17.4", "--introduced-by-url", "https://example.com/mr/1")
	want := "usagekit new metric: missing required flag: --product-categories (stdin is not a terminal, so nothing is asked)\n"
	if code != exitUsage || errOut != want {
		t.Errorf("metric without categories: exit %d\nstderr %q\nwant   %q", code, errOut, want)
	}
}

// TestNewWritesDespiteWarnings: a privacy warning is shown, and the file is
// written, as validate passes it; raised to an error by privacy.yml, it
// stops new like any other problem.
func TestNewWritesDespiteWarnings(t *testing.T) {
	asTerminal(t, nil)
	dir := filepath.Join(t.TempDir(), "definitions")
	args := append([]string{"event", "export_issues", "--dir", dir, "--property", "label=Format", "--property", "property", "--property", "comment_body=What was said"}, eventFlags...)
	code, _, errOut := runNewCmd(args...)
	path := filepath.Join(dir, "events", "export_issues.yml")
	warning := path + `:13:3: warning: additional_properties.comment_body: the name suggests free text, which holds whatever a person typed ("body"): record a category, a length or an enum instead, or give the property a classification` + "\n"
	if code != exitOK || errOut != warning {
		t.Fatalf("exit %d, stderr %q\nwant %q", code, errOut, warning)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "privacy.yml"), []byte("rules:\n  free-text: error\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut = runNewCmd(args...)
	if code != exitProblems || !strings.HasPrefix(errOut, strings.Replace(warning, "warning: ", "", 1)) {
		t.Errorf("raised: exit %d, stderr %q", code, errOut)
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("new wrote a file with an error")
	}
}
