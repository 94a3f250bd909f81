package livecheck_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/internal/livecheck"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/generator/wireschema"
)

// legacy is a legacy event beside definitions/, as GitLab's older files
// are: known by category and action, with no Track function.
const legacy = `description: A user opened the old settings page.
category: Projects::SettingsController
action: show_settings
identifiers:
- user
product_group: project_management
milestone: "13.0"
introduced_by_url: https://code.example.com/acme/forge/-/merge_requests/1
tiers:
- free
`

func load(t *testing.T) *model.Set {
	t.Helper()
	res := generator.LoadResultWith([]generator.Overlay{{Path: "../../../definitions/events/show_settings.yml", Data: []byte(legacy)}}, "../../../definitions")
	if len(res.Diagnostics) > 0 {
		t.Fatalf("definitions: %v", res.Diagnostics)
	}
	return res.Set
}

// rec is a record of event with identifiers and properties given as JSON
// object bodies.
func rec(event, ids, props string) string {
	return fmt.Sprintf(`{"id":"0193a6b8-0000-7000-8000-000000000001","occurred_at":"2026-11-25T10:00:00Z","event":%q,"identifiers":{%s},"properties":{%s}}`, event, ids, props)
}

const issueIDs = `"user":"ab","project":"cd","namespace":"ef"`

func TestCheck(t *testing.T) {
	set := load(t)
	c := livecheck.New(set)
	schema := recordSchema(t, set)
	for _, tt := range []struct {
		name, line string
		want       []string // rule: message
	}{
		{"good", rec("create_issue", issueIDs, `"label":"incident","property":"web","confidential":true,"weight":3`), nil},
		{"good without properties", rec("create_issue", issueIDs, ``), nil},
		{"raw numbers for a number", rec("merge_merge_request", issueIDs, `"value":3,"review_hours":2,"squash":false`), nil},
		{"integer written as 2.0", rec("create_issue", issueIDs, `"weight":2.0`), nil},
		{"enum member", rec("create_pipeline", issueIDs, `"config_source":"auto_devops","stages_count":4`), nil},
		{"feature namespaces may be empty", rec("generate_merge_request_summary", issueIDs, ``), nil},
		{"feature namespaces", rec("generate_merge_request_summary", issueIDs+`,"feature_enabled_by_namespace_ids":["ef","gh"]`, ``), nil},
		{"not JSON", `{"id": `, []string{"bad-record: not a record: unexpected end of JSON input"}},
		{"bad id", `{"id":"x","occurred_at":"2026-11-25T10:00:00Z","event":"create_issue"}`, []string{`bad-record: not a record: record: not a UUID: "x"`}},
		{"no event", `{"id":"0193a6b8-0000-7000-8000-000000000001","occurred_at":"2026-11-25T10:00:00Z"}`, []string{"bad-record: the record names no event"}},
		{"no time", `{"id":"0193a6b8-0000-7000-8000-000000000001","event":"create_issue"}`, []string{"bad-record: create_issue: the record has no occurred_at"}},
		{"unknown event", rec("create_isue", issueIDs, ``), []string{`unknown-event: event "create_isue" is not defined (did you mean "create_issue"?)`}},
		{"unknown event, nothing near", rec("zzz", issueIDs, ``), []string{`unknown-event: event "zzz" is not defined`}},
		{"removed event", rec("view_legacy_issue_board", issueIDs, ``),
			[]string{`removed-event: event "view_legacy_issue_board" is removed (milestone_removed 17.3): nothing should track it any more`}},
		{"legacy event", rec("show_settings", `"user":"ab"`, ``),
			[]string{`legacy-event: event "show_settings" is a legacy event (no internal_events: true): it has no Track function to send records`}},
		{"missing identifier", rec("create_issue", `"user":"ab","project":"cd"`, ``),
			[]string{"missing-identifier: create_issue: identifier namespace is missing; the event declares user, project, namespace"}},
		{"undeclared identifier", rec("complete_pipeline", issueIDs, ``),
			[]string{"undeclared-identifier: complete_pipeline: identifier user is not declared; the event declares project, namespace"}},
		{"undeclared property", rec("create_issue", issueIDs, `"wieght":3`),
			[]string{`undeclared-property: create_issue: property "wieght" is not declared; the event declares confidential, label, property, weight (did you mean "weight"?)`}},
		{"property on an event without any", rec("approve_merge_request", issueIDs, `"label":"x"`),
			[]string{`undeclared-property: approve_merge_request: property "label" is not declared; the event declares none`}},
		{"string for a boolean", rec("create_issue", issueIDs, `"confidential":"yes"`),
			[]string{`property-type: create_issue: property confidential is a string ("yes"); want a boolean`}},
		{"fraction for an integer", rec("create_issue", issueIDs, `"weight":2.5`),
			[]string{"property-type: create_issue: property weight is a number (2.5); want an integer"}},
		{"number for a string", rec("create_issue", issueIDs, `"label":3`),
			[]string{"property-type: create_issue: property label is an integer (3); want a string"}},
		{"string for a number", rec("merge_merge_request", issueIDs, `"value":"3"`),
			[]string{`property-type: merge_merge_request: property value is a string ("3"); want a number`}},
		{"not in the enum", rec("create_pipeline", issueIDs, `"config_source":"gitlab_ci"`),
			[]string{`property-enum: create_pipeline: property config_source: "gitlab_ci" is not one of repository, auto_devops, parent_pipeline`}},
		{"several at once", rec("create_issue", `"user":"ab"`, `"weight":"x","color":"red"`), []string{
			"missing-identifier: create_issue: identifier project is missing; the event declares user, project, namespace",
			"missing-identifier: create_issue: identifier namespace is missing; the event declares user, project, namespace",
			`property-type: create_issue: property weight is a string ("x"); want an integer`,
			`undeclared-property: create_issue: property "color" is not declared; the event declares confidential, label, property, weight`,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, p := range c.Check([]byte(tt.line)) {
				got = append(got, p.Rule+": "+p.Message)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			// The records' JSON Schema, emitted with the generated code for
			// other consumers, judges every record as the check does.
			var doc any
			if json.Unmarshal([]byte(tt.line), &doc) == nil {
				if err := schema.Validate(doc); (err == nil) != (len(tt.want) == 0) {
					t.Errorf("the record schema says %v; the check found %d problems", err, len(tt.want))
				}
			}
		})
	}
}

func recordSchema(t *testing.T, set *model.Set) *jsonschema.Schema {
	t.Helper()
	doc, err := wireschema.Records(set)
	if err != nil {
		t.Fatal(err)
	}
	s, err := wireschema.Compile("records.json", doc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCoverage(t *testing.T) {
	c := livecheck.New(load(t))
	for range 3 {
		c.Check([]byte(rec("create_issue", issueIDs, ``)))
	}
	c.Check([]byte(rec("close_issue", issueIDs, ``)))
	c.Check([]byte(rec("create_isue", issueIDs, ``)))
	c.Check([]byte(rec("view_legacy_issue_board", issueIDs, ``)))
	c.Check([]byte(rec("show_settings", `"user":"ab"`, ``)))
	c.Check([]byte(`not json`))
	var got []string
	for _, row := range c.Coverage() {
		got = append(got, fmt.Sprintf("%s %s %d", row.Event, row.Status, row.Count))
	}
	want := []string{
		"approve_merge_request never seen 0", "close_issue seen 1", "close_merge_request never seen 0",
		"comment_on_issue never seen 0", "complete_pipeline never seen 0", "create_issue seen 3",
		"create_merge_request never seen 0", "create_pipeline never seen 0", "create_project never seen 0",
		"generate_merge_request_summary never seen 0", "merge_merge_request never seen 0", "push_to_repository never seen 0",
		"reopen_issue never seen 0", "retry_pipeline_job never seen 0", "search_code never seen 0",
		"create_isue unknown 1", "show_settings legacy 1", "view_legacy_issue_board removed 1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("coverage:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.Records() != 8 || c.Bad() != 4 {
		t.Errorf("%d records, %d bad; want 8 and 4", c.Records(), c.Bad())
	}
	if got, want := c.Covered(), 100*2.0/15; got != want {
		t.Errorf("covered %v%%, want %v%%", got, want)
	}
}
