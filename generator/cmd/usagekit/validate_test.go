package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const cliEvent = `action: create_issue
description: An issue is created.
product_group: project_management
introduced_by_url: https://example.com/mr/1
milestone: "17.0"
tiers: [free]
identifiers: [user]
internal_events: true
`

const cliMetric = `key_path: counts.issues
description: Issues created.
product_group: project_management
product_categories: [team_planning]
value_type: number
status: active
milestone: "17.0"
introduced_by_url: https://example.com/mr/1
tiers: [free]
data_category: optional
time_frame: [7d, 28d]
data_source: internal_events
events:
  - name: create_issue
`

// tree writes files under a new directory and makes it the working
// directory.
func tree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	return dir
}

func TestValidate(t *testing.T) {
	clean := map[string]string{
		"definitions/events/create_issue.yml": cliEvent,
		"definitions/metrics/issues.yml":      cliMetric,
	}
	broken := map[string]string{
		"definitions/events/create_issue.yml": cliEvent,
		"definitions/metrics/issues.yml":      strings.Replace(cliMetric, "time_frame: [7d, 28d]", "time_frame: 30d", 1),
		"definitions/metrics/users.yml":       strings.Replace(strings.Replace(cliMetric, "counts.issues", "counts.users", 1), "create_issue", "create_user", 1),
	}
	warned := map[string]string{
		"definitions/events/create_issue.yml": cliEvent + "additional_properties:\n  label:\n    description: The type.\n  property:\n    description: Where.\n  plan:\n    description: The plan.\n",
		"definitions/metrics/issues.yml":      cliMetric,
	}
	const warning = "definitions/events/create_issue.yml:14:3: warning: additional_properties.plan: a free-form string on an event that carries a user needs a classification (public, internal, pseudonymous or personal), or an enum\n" +
		"checked 2 files: 1 event, 1 metric (2 after time-frame expansion), 0 problems, 1 warning\n"
	tests := []struct {
		name       string
		files      map[string]string
		args       []string
		code       int
		stdout     string
		stderrPart string
	}{
		{"warnings pass", warned, []string{"validate"}, exitOK, warning, ""},
		{"--fail-on warning", warned, []string{"validate", "--fail-on", "warning"}, exitProblems, warning, ""},
		{"raised by privacy.yml", map[string]string{
			"definitions/events/create_issue.yml": warned["definitions/events/create_issue.yml"],
			"definitions/metrics/issues.yml":      cliMetric,
			"definitions/privacy.yml":             "rules:\n  unclassified-free-text: error\n",
		}, []string{"validate"}, exitProblems,
			"definitions/events/create_issue.yml:14:3: additional_properties.plan: a free-form string on an event that carries a user needs a classification (public, internal, pseudonymous or personal), or an enum\n" +
				"checked 3 files: 1 event, 1 metric (2 after time-frame expansion), 1 problem\n", ""},
		{"clean, default path", clean, []string{"validate"}, exitOK,
			"checked 2 files: 1 event, 1 metric (2 after time-frame expansion), 0 problems\n", ""},
		{"problems", broken, []string{"validate"}, exitProblems,
			"definitions/metrics/issues.yml:11:13: time_frame: \"30d\" is not one of 7d, 28d, all, none\n" +
				"definitions/metrics/users.yml:14:5: events[0].name: unknown event \"create_user\"; no event definition has this action\n" +
				"checked 3 files: 1 event, 2 metrics (3 after time-frame expansion), 2 problems\n", ""},
		{"explicit file", broken, []string{"validate", "definitions/events/create_issue.yml"}, exitOK,
			"checked 1 file: 1 event, 0 metrics, 0 problems\n", ""},
		{"missing directory", clean, []string{"validate", "defs"}, exitUsage, "",
			"defs: no such file or directory\nusagekit validate: no definition files in defs: want .yml files of events (under events/) and metrics (under metrics/)\n"},
		{"empty directory", map[string]string{"empty/README": "no definitions here"}, []string{"validate", "empty"}, exitUsage, "",
			"usagekit validate: no definition files in empty: want .yml files of events (under events/) and metrics (under metrics/)\n"},
		{"unknown format", clean, []string{"validate", "--format", "xml"}, exitUsage, "", `unknown format "xml"; known formats: `},
		{"unknown flag", clean, []string{"validate", "--strict"}, exitUsage, "", "flag provided but not defined: -strict"},
		{"flags after paths", clean, []string{"validate", "definitions", "--format", "text"}, exitOK,
			"checked 2 files: 1 event, 1 metric (2 after time-frame expansion), 0 problems\n", ""},
		{"help", clean, []string{"help", "validate"}, exitOK, "", ""},
		{"bad --fail-on", clean, []string{"validate", "--fail-on", "warnings"}, exitUsage, "",
			"invalid value \"warnings\" for flag -fail-on: unknown value \"warnings\"; want error, warning or never\n"},
		{"--fail-on never", broken, []string{"validate", "--fail-on", "never"}, exitOK,
			"definitions/metrics/issues.yml:11:13: time_frame: \"30d\" is not one of 7d, 28d, all, none\n" +
				"definitions/metrics/users.yml:14:5: events[0].name: unknown event \"create_user\"; no event definition has this action\n" +
				"checked 3 files: 1 event, 2 metrics (3 after time-frame expansion), 2 problems\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree(t, tt.files)
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if tt.args[0] == "help" {
				if !strings.Contains(stdout.String(), "usagekit validate [--format FORMAT] [--fail-on error|warning|never] [PATH...]") || !strings.Contains(stdout.String(), "text") {
					t.Errorf("help = %q", stdout.String())
				}
				return
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout:\n got: %q\nwant: %q", stdout.String(), tt.stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderrPart) || (tt.stderrPart == "" && stderr.Len() > 0) {
				t.Errorf("stderr = %q, want it to contain %q", stderr.String(), tt.stderrPart)
			}
		})
	}
}

// TestValidateAbsolutePaths checks that messages name files relative to the
// working directory even when the argument is absolute.
func TestValidateAbsolutePaths(t *testing.T) {
	dir := tree(t, map[string]string{"defs/events/create_issue.yml": "action: [\n"})
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate", filepath.Join(dir, "defs")}, &stdout, &stderr); code != exitProblems {
		t.Fatalf("exit %d", code)
	}
	if want := "defs/events/create_issue.yml:1:9: flow sequence opened here is not closed with \"]\" (separate its items with \",\")\n"; !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("stdout = %q, want prefix %q", stdout.String(), want)
	}
}

func TestValidateJSON(t *testing.T) {
	tree(t, map[string]string{"definitions/events/create_issue.yml": "action: Create\n"})
	var stdout, stderr bytes.Buffer
	if code := run([]string{"validate", "--format", "json"}, &stdout, &stderr); code != exitProblems {
		t.Fatalf("exit %d; stderr %s", code, stderr.String())
	}
	var out struct {
		Files       int `json:"files"`
		Problems    int `json:"problems"`
		Diagnostics []struct {
			Path, Message, Rule string
			Line, Column        int
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout.String())
	}
	if out.Files != 1 || out.Problems != len(out.Diagnostics) || out.Problems == 0 {
		t.Errorf("got %+v", out)
	}
	for _, d := range out.Diagnostics {
		if d.Path != "definitions/events/create_issue.yml" || d.Rule != "schema" {
			t.Errorf("diagnostic %+v", d)
		}
	}
}
