package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const diffEvent = `description: A user created an issue.
internal_events: true
action: create_issue
identifiers:
- project
- user
additional_properties:
  label:
    description: The issue type.
  property:
    description: Where it was created.
  weight:
    description: The weight.
    type: integer
product_group: project_management
product_categories:
- team_planning
milestone: "17.0"
introduced_by_url: https://example.com/mr/1
tiers:
- free
`

const diffSearchEvent = `description: A user searched.
internal_events: true
action: search_code
identifiers:
- project
- user
product_group: global_search
milestone: "17.0"
introduced_by_url: https://example.com/mr/2
tiers:
- free
`

func diffMetric(key, timeFrame, event, unique string) string {
	s := "key_path: " + key + `
description: A metric.
product_group: project_management
product_categories:
- team_planning
performance_indicator_type: []
value_type: number
status: active
milestone: "17.0"
introduced_by_url: https://example.com/mr/3
time_frame: ` + timeFrame + `
data_source: internal_events
data_category: optional
tiers:
- free
events:
- name: ` + event + "\n"
	if unique != "" {
		s += "  unique: " + unique + "\n"
	}
	return s
}

// diffRepo makes a git repository whose first commit holds base, then
// rewrites the working tree to head (a nil value deletes the file) and
// changes into the repository.
func diffRepo(t *testing.T, base map[string]string, head map[string]*string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, data string) {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q", "-b", "main")
	for name, data := range base {
		write(name, data)
	}
	git("add", "-A")
	git("commit", "-q", "-m", "base")
	for name, data := range head {
		if data == nil {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				t.Fatal(err)
			}
			continue
		}
		write(name, *data)
	}
	t.Chdir(dir)
	return dir
}

func ptr(s string) *string { return &s }

func diffBase() map[string]string {
	return map[string]string{
		"definitions/events/create_issue.yml":                         diffEvent,
		"definitions/events/search_code.yml":                          diffSearchEvent,
		"definitions/metrics/counts_7d/users_searching.yml":           diffMetric("counts.users_searching", "7d", "search_code", "user.id"),
		"definitions/metrics/counts_all/count_total_create_issue.yml": diffMetric("counts.count_total_create_issue", "all", "create_issue", ""),
	}
}

func TestDiffCommand(t *testing.T) {
	tests := []struct {
		name   string
		base   map[string]string
		head   map[string]*string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "no changes", code: exitOK, stdout: "checked 4 files: 2 events, 2 metrics, 0 problems\n"},
		{
			name:   "additions only",
			head:   map[string]*string{"definitions/metrics/counts_7d/new.yml": ptr(diffMetric("counts.new", "7d", "create_issue", "user.id"))},
			code:   exitOK,
			stdout: "checked 5 files: 2 events, 3 metrics, 0 problems\n",
		},
		{
			name: "breaking changes",
			head: map[string]*string{
				"definitions/events/create_issue.yml":                         ptr(strings.Replace(strings.Replace(diffEvent, "- project\n", "", 1), "type: integer", "type: number", 1)),
				"definitions/metrics/counts_7d/users_searching.yml":           ptr(diffMetric("counts.users_searching", "28d", "search_code", "user.id")),
				"definitions/metrics/counts_all/count_total_create_issue.yml": nil,
			},
			code: exitProblems,
			stdout: "HEAD:definitions/metrics/counts_all/count_total_create_issue.yml:1:1: metric counts.count_total_create_issue deleted while active: set status: removed with milestone_removed and removed_by_url first, so collectors know the series ended on purpose\n" +
				"definitions/events/create_issue.yml:4:1: identifier project removed from event create_issue: callers pass it and unique counts over it would stop; add a new event instead\n" +
				"definitions/events/create_issue.yml:11:3: type of property weight of event create_issue changed from integer to number: callers and filters written for integer would break\n" +
				"definitions/metrics/counts_7d/users_searching.yml:11:1: time_frame of counts.users_searching changed from 7d to 28d: the series would silently change meaning; add a new key_path and remove this one\n" +
				"checked 3 files: 2 events, 1 metric, 4 problems\n",
		},
		{
			name: "base file that no longer parses is skipped",
			base: map[string]string{"definitions/events/broken.yml": "action: [unclosed\n"},
			head: map[string]*string{
				"definitions/events/broken.yml":                     nil,
				"definitions/metrics/counts_7d/users_searching.yml": ptr(diffMetric("counts.users_searching", "7d", "search_code", "project.id")),
			},
			code: exitProblems,
			stdout: "definitions/metrics/counts_7d/users_searching.yml:18:3: unique of counts.users_searching changed from user.id to project.id: the series would silently change meaning; add a new key_path and remove this one\n" +
				"checked 4 files: 2 events, 2 metrics, 1 problem\n",
			stderr: "usagekit diff: HEAD:definitions/events/broken.yml:",
		},
		{
			name: "metric naming a base event that no longer parses still compares",
			base: map[string]string{"definitions/events/search_code.yml": "action: [unclosed\n"},
			head: map[string]*string{
				"definitions/events/search_code.yml":                ptr(diffSearchEvent),
				"definitions/metrics/counts_7d/users_searching.yml": ptr(diffMetric("counts.users_searching_renamed", "7d", "search_code", "user.id")),
			},
			code: exitProblems,
			stdout: "definitions/metrics/counts_7d/users_searching.yml:1:1: key_path changed from counts.users_searching to counts.users_searching_renamed: " +
				"the series counts.users_searching stops and a new one starts; keep counts.users_searching, mark it status: removed (with milestone_removed and removed_by_url) and add the new key_path in a new file\n" +
				"checked 4 files: 2 events, 2 metrics, 1 problem\n",
			stderr: "usagekit diff: at HEAD: definitions/events/search_code.yml:",
		},
		{
			name: "personal property added",
			head: map[string]*string{"definitions/events/create_issue.yml": ptr(strings.Replace(diffEvent, "product_group:",
				"  reporter:\n    description: Who reported it.\n    classification: personal\nproduct_group:", 1))},
			code: exitOK,
			stdout: "definitions/events/create_issue.yml:17:21: warning: additional_properties.reporter: a property classified personal is new since the base; make sure the event's consumers may hold personal data\n" +
				"checked 4 files: 2 events, 2 metrics, 0 problems, 1 warning\n",
		},
		{
			name: "personal property added, failing on warnings",
			head: map[string]*string{"definitions/events/create_issue.yml": ptr(strings.Replace(diffEvent, "product_group:",
				"  reporter:\n    description: Who reported it.\n    classification: personal\nproduct_group:", 1))},
			args: []string{"--base", "HEAD", "--fail-on", "warning"},
			code: exitProblems,
			stdout: "definitions/events/create_issue.yml:17:21: warning: additional_properties.reporter: a property classified personal is new since the base; make sure the event's consumers may hold personal data\n" +
				"checked 4 files: 2 events, 2 metrics, 0 problems, 1 warning\n",
		},
		{
			name: "personal property excused",
			head: map[string]*string{
				"definitions/events/create_issue.yml": ptr(strings.Replace(diffEvent, "product_group:",
					"  reporter:\n    description: Who reported it.\n    classification: personal\nproduct_group:", 1)),
				"definitions/privacy.yml": ptr("exceptions:\n- {rule: personal-added, event: create_issue, property: reporter, reason: Reviewed.}\n"),
			},
			code:   exitOK,
			stdout: "checked 5 files: 2 events, 2 metrics, 0 problems\n",
		},
		{name: "unknown revision", args: []string{"--base", "no-such-rev"}, code: exitUsage, stderr: "usagekit diff: unknown revision \"no-such-rev\"\nusagekit diff: in a CI clone, fetch the base first, e.g. git fetch --depth=1 origin main\n"},
		{name: "path outside", args: []string{"--base", "HEAD", ".."}, code: exitUsage, stderr: "usagekit diff: path outside the repository: .. is not under "},
		{name: "no base", args: []string{}, code: exitUsage, stderr: "usagekit diff: --base REV is required\n"},
		{name: "unknown format", args: []string{"--base", "HEAD", "--format", "xml"}, code: exitUsage, stderr: "usagekit diff: unknown format \"xml\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := diffBase()
			for k, v := range tt.base {
				base[k] = v
			}
			diffRepo(t, base, tt.head)
			args := tt.args
			if args == nil {
				args = []string{"--base", "HEAD"}
			}
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"diff"}, args...), &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, stdout.String(), stderr.String())
			}
			if stdout.String() != tt.stdout {
				t.Errorf("stdout:\n%s\nwant:\n%s", stdout.String(), tt.stdout)
			}
			if tt.stderr == "" && stderr.Len() > 0 || !strings.HasPrefix(stderr.String(), tt.stderr) {
				t.Errorf("stderr = %q, want prefix %q", stderr.String(), tt.stderr)
			}
		})
	}
}

func TestDiffCommandFormats(t *testing.T) {
	diffRepo(t, diffBase(), map[string]*string{"definitions/metrics/counts_all/count_total_create_issue.yml": nil})
	var stdout, stderr bytes.Buffer
	if code := run([]string{"diff", "--base", "HEAD", "--format", "codequality"}, &stdout, &stderr); code != exitProblems {
		t.Fatalf("exit %d\n%s", code, stderr.String())
	}
	var issues []struct {
		CheckName string `json:"check_name"`
		Location  struct {
			Path  string `json:"path"`
			Lines struct {
				Begin int `json:"begin"`
			} `json:"lines"`
		} `json:"location"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &issues); err != nil {
		t.Fatalf("%v\n%s", err, stdout.String())
	}
	if len(issues) != 1 || issues[0].CheckName != "key-path-deleted" ||
		issues[0].Location.Path != "HEAD:definitions/metrics/counts_all/count_total_create_issue.yml" || issues[0].Location.Lines.Begin != 1 {
		t.Errorf("issues = %+v", issues)
	}

	stdout.Reset()
	run([]string{"diff", "--base", "HEAD", "--format", "github"}, &stdout, &stderr)
	if want := "::error file=HEAD%3Adefinitions/metrics/counts_all/count_total_create_issue.yml,line=1,col=1,title=usagekit key-path-deleted::metric counts.count_total_create_issue deleted while active"; !strings.HasPrefix(stdout.String(), want) {
		t.Errorf("github output = %q", stdout.String())
	}

	stdout.Reset()
	run([]string{"diff", "--base", "HEAD", "--format", "junit"}, &stdout, &stderr)
	for _, want := range []string{`tests="4" failures="1"`,
		`<testcase name="HEAD:definitions/metrics/counts_all/count_total_create_issue.yml" classname="usagekit" file="HEAD:definitions/metrics/counts_all/count_total_create_issue.yml" time="0">`,
		`<testcase name="definitions/events/create_issue.yml" classname="usagekit" file="definitions/events/create_issue.yml" time="0"></testcase>`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("junit output lacks %s:\n%s", want, stdout.String())
		}
	}
}
