package validate_test

import (
	"fmt"
	"testing"

	"github.com/usagekit/usagekit/generator/model"
)

// richEvent declares every identifier but namespace and typed custom
// properties, for the filter and unique rules.
const richEvent = `action: create_issue
description: An issue is created.
product_group: project_management
introduced_by_url: https://example.com/mr/1
milestone: "17.0"
tiers: [free]
identifiers: [user, project]
internal_events: true
additional_properties:
  label:
    description: The issue type.
  property:
    description: Where it was created.
  value:
    description: The weight.
  confidential:
    description: Created confidential.
    type: boolean
  severity:
    description: The severity.
    enum: [low, high]
  ratio:
    description: A ratio.
    type: number
  count:
    description: A count.
    type: integer
`

// untypedEvent has custom properties as GitLab writes them, without a type,
// and one our explicit type narrows.
const untypedEvent = `action: create_issue
description: An issue is created.
product_group: project_management
introduced_by_url: https://example.com/mr/1
milestone: "17.0"
tiers: [free]
identifiers: [user, project]
internal_events: true
additional_properties:
  label:
    description: The issue type.
  property:
    description: Where it was created.
  plan:
    description: The plan of the namespace.
  tier:
    description: The tier, typed.
    type: string
`

// internal makes an event definition an internal event, which metrics may
// count.
func internal(event string) string { return with(event, "internal_events: true") }

// TestCrossFileRules has one row per rule that spans files, with the exact
// message.
func TestCrossFileRules(t *testing.T) {
	const ev = "definitions/events/create_issue.yml"
	const me = "definitions/metrics/issues.yml"
	rule := func(lines ...string) string {
		return with(baseMetric, append([]string{"events:"}, lines...)...)
	}
	tests := []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{"clean", map[string]string{ev: richEvent, me: baseMetric}, nil},
		{"unknown event", map[string]string{ev: richEvent, me: rule("  - name: create_isue")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0].name: unknown event "create_isue"; no event definition has this action (did you mean "create_issue"?)`,
		}},
		{"unknown event, nothing close", map[string]string{ev: richEvent, me: rule("  - name: deploy")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0].name: unknown event "deploy"; no event definition has this action`,
		}},
		{"unique with all", map[string]string{ev: richEvent, me: with(rule("  - name: create_issue", "    unique: user.id"), "time_frame: all")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0].unique: unique counts need time_frame 7d or 28d, not all`,
		}},
		{"unique with a list holding all", map[string]string{ev: richEvent, me: with(rule("  - name: create_issue", "    unique: user.id"), "time_frame: [7d, 28d, all]")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0].unique: unique counts need time_frame 7d or 28d, not all`,
		}},
		{"unique with none", map[string]string{ev: richEvent, me: with(rule("  - name: create_issue", "    unique: user.id"), "time_frame: none")}, []string{
			`definitions/metrics/issues.yml:11:13: time_frame: none is a point in time, which no count of events is; an internal_events metric counts over 7d, 28d or all`,
		}},
		{"total with none", map[string]string{ev: richEvent, me: with(baseMetric, "time_frame: none")}, []string{
			`definitions/metrics/issues.yml:11:13: time_frame: none is a point in time, which no count of events is; an internal_events metric counts over 7d, 28d or all`,
		}},
		{"sum with none", map[string]string{ev: richEvent, me: with(rule("  - name: create_issue", "    operator: sum(value)"), "time_frame: none")}, []string{
			`definitions/metrics/issues.yml:11:13: time_frame: none is a point in time, which no count of events is; an internal_events metric counts over 7d, 28d or all`,
		}},
		{"unique identifier not declared", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    unique: namespace.id")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0].unique: namespace.id needs event "create_issue" to declare the namespace identifier (it declares user, project)`,
		}},
		{"unique identifier, event with none", map[string]string{ev: with(baseEvent, "identifiers: -", "internal_events: true"), me: rule("  - name: create_issue", "    unique: project.id")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0].unique: project.id needs event "create_issue" to declare the project identifier (it declares none)`,
		}},
		{"unique property not declared", map[string]string{ev: internal(baseEvent), me: rule("  - name: create_issue", "    unique: label")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0].unique: label needs event "create_issue" to declare the label property (it declares none)`,
		}},
		{"filter on undeclared property", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    filter:", "      team: core")}, []string{
			`definitions/metrics/issues.yml:17:7: events[0].filter.team: event "create_issue" has no property "team" (it declares confidential, count, label, property, ratio, severity, value)`,
		}},
		{"filter type mismatch", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    filter:", "      confidential: \"yes\"", "      count: 1.5", "      label: 3", "      ratio: x")}, []string{
			`definitions/metrics/issues.yml:17:7: events[0].filter.confidential: "yes" is a string; property confidential of event "create_issue" is a boolean`,
			`definitions/metrics/issues.yml:18:7: events[0].filter.count: 1.5 is a number; property count of event "create_issue" is an integer`,
			`definitions/metrics/issues.yml:19:14: events[0].filter.label: 3 is a number; expected a string (quote it: "3")`,
			`definitions/metrics/issues.yml:20:7: events[0].filter.ratio: "x" is a string; property ratio of event "create_issue" is a number`,
		}},
		{"filter outside enum", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    filter:", "      severity: medium")}, []string{
			`definitions/metrics/issues.yml:17:7: events[0].filter.severity: "medium" is not one of the values of property severity of event "create_issue": low, high`,
		}},
		{"filters of every type", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    filter:", "      confidential: true", "      count: 3", "      ratio: 2", "      severity: high", "      value: 1.50")}, nil},
		{"filters on an untyped property take strings and numbers", map[string]string{ev: untypedEvent,
			me: rule("  - name: create_issue", "    filter:", "      plan: premium", "  - name: create_issue", "    filter:", "      plan: 30", "  - name: create_issue", "    filter:", "      plan: 12.4")}, nil},
		{"boolean filter on an untyped property", map[string]string{ev: untypedEvent, me: rule("  - name: create_issue", "    filter:", "      plan: true")}, []string{
			`definitions/metrics/issues.yml:17:7: events[0].filter.plan: true is a boolean; property plan of event "create_issue" has no type, so it takes a string or a number (declare type: boolean to filter on true or false)`,
		}},
		{"numeric filter on a property typed string", map[string]string{ev: untypedEvent, me: rule("  - name: create_issue", "    filter:", "      tier: 1")}, []string{
			`definitions/metrics/issues.yml:17:7: events[0].filter.tier: 1 is an integer; property tier of event "create_issue" is a string`,
		}},
		{"unique and total mixed", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    unique: user.id", "  - name: create_issue")}, []string{
			`definitions/metrics/issues.yml:17:5: events[1] counts occurrences, but events[0] counts unique user.id; the rules of one metric count the same way (make separate metrics)`,
		}},
		{"unique attributes mixed", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    unique: user.id", "  - name: create_issue", "    unique: project.id")}, []string{
			`definitions/metrics/issues.yml:17:5: events[1] counts unique project.id, but events[0] counts unique user.id; the rules of one metric count the same way (make separate metrics)`,
		}},
		{"sum and total mixed", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    operator: sum(value)", "  - name: create_issue")}, []string{
			`definitions/metrics/issues.yml:17:5: events[1] counts occurrences, but events[0] adds up value; the rules of one metric count the same way (make separate metrics)`,
		}},
		{"invalid entries are not compared", map[string]string{ev: richEvent, me: rule("  - create_issue", "  - name: create_issue", "    unique: user.id")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0]: "create_issue" is a string; expected a mapping`,
		}},
		{"unique with operator", map[string]string{ev: richEvent, me: rule("  - name: create_issue", "    unique: user.id", "    operator: sum(value)")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0]: unique and operator cannot be combined; a rule counts unique values or adds up value`,
		}},
		{"sum without value", map[string]string{ev: internal(baseEvent), me: rule("  - name: create_issue", "    operator: sum(value)")}, []string{
			`definitions/metrics/issues.yml:15:5: events[0].operator: sum(value) needs event "create_issue" to declare the value property (it declares none)`,
		}},
		{"duplicate key_path names both files", map[string]string{ev: richEvent, me: baseMetric, "definitions/metrics/again.yml": baseMetric}, []string{
			`definitions/metrics/issues.yml:1:1: duplicate key_path "counts.issues": definitions/metrics/again.yml:1:1 and definitions/metrics/issues.yml:1:1 both define it`,
		}},
		{"duplicate key_path after expansion", map[string]string{ev: richEvent, me: with(baseMetric, "time_frame: [7d, 28d]"),
			"definitions/metrics/weekly.yml": with(baseMetric, "key_path: counts.issues_weekly", "time_frame: 7d")}, []string{
			`definitions/metrics/weekly.yml:1:1: duplicate key_path "counts.issues_weekly": definitions/metrics/issues.yml:1:1 and definitions/metrics/weekly.yml:1:1 both define it`,
		}},
		{"key_path leaf and parent", map[string]string{ev: richEvent, me: baseMetric, "definitions/metrics/child.yml": with(baseMetric, "key_path: counts.issues.open")}, []string{
			`definitions/metrics/issues.yml:1:1: key_path "counts.issues" holds a value, but definitions/metrics/child.yml:1:1 (counts.issues.open) puts "counts.issues.open" inside it; a key path is a value or a group, not both`,
		}},
		{"duplicate action", map[string]string{ev: richEvent, "config/events/123_create_issue.yml": internal(baseEvent), me: baseMetric}, []string{
			`definitions/events/create_issue.yml:1:1: duplicate event action "create_issue": config/events/123_create_issue.yml:1:1 defines it too`,
		}},
		{"legacy events share an action across categories", map[string]string{ev: richEvent, me: baseMetric,
			"config/events/1_render_page.yml": with(baseEvent, "action: render_page", "category: Projects::GoogleCloud::DeploymentsController"),
			"config/events/2_render_page.yml": with(baseEvent, "action: render_page", "category: Projects::GoogleCloud::DatabasesController")}, nil},
		{"legacy events share category and action", map[string]string{ev: richEvent, me: baseMetric,
			"config/events/1_render_page.yml": with(baseEvent, "action: render_page", "category: Projects::GoogleCloud::DatabasesController"),
			"config/events/2_render_page.yml": with(baseEvent, "action: render_page", "category: Projects::GoogleCloud::DatabasesController")}, []string{
			`config/events/2_render_page.yml:1:1: duplicate legacy event: category "Projects::GoogleCloud::DatabasesController" and action "render_page": config/events/1_render_page.yml:1:1 defines them too; a legacy event (without internal_events: true) is known by both`,
		}},
		{"an internal and a legacy event share an action", map[string]string{ev: richEvent, me: baseMetric,
			"config/events/1_create_issue.yml": with(baseEvent, "category: issues_controller")}, nil},
		{"metric counting a legacy event", map[string]string{ev: baseEvent, me: baseMetric}, []string{
			`definitions/metrics/issues.yml:14:5: events[0].name: event "create_issue" (definitions/events/create_issue.yml:1:1) is a legacy event; a metric counts internal events only: add internal_events: true to the event`,
		}},
		{"file name differs from action", map[string]string{"definitions/events/new_issue.yml": richEvent, me: baseMetric}, []string{
			`definitions/events/new_issue.yml:1:1: action "create_issue" does not match the file name new_issue.yml; rename the file to create_issue.yml`,
		}},
		{"GitLab layout keeps its timestamped names", map[string]string{"config/events/1651_new_issue.yml": richEvent, "config/metrics/counts_28d/issues.yml": baseMetric}, nil},
		{"removed event in an active metric", map[string]string{ev: with(richEvent, "status: removed", `milestone_removed: "17.3"`, "removed_by_url: https://example.com/mr/9"), me: baseMetric}, []string{
			`definitions/metrics/issues.yml:14:5: events[0].name: event "create_issue" is removed (definitions/events/create_issue.yml:1:1); only a removed metric may still name it`,
		}},
		{"two actions with one Go name", map[string]string{ev: richEvent, "definitions/events/create_issue_.yml": with(richEvent, "action: create_issue_"), me: baseMetric}, []string{
			`definitions/events/create_issue_.yml:1:1: event create_issue_ maps to the Go package-level name CreateIssueProperties, already used by event create_issue (definitions/events/create_issue.yml:1:1); rename one of them`,
			`definitions/events/create_issue_.yml:1:1: event create_issue_ maps to the Go package-level name TrackCreateIssue, already used by event create_issue (definitions/events/create_issue.yml:1:1); rename one of them`,
			`definitions/events/create_issue_.yml:19:3: property severity of event create_issue_ maps to the Go package-level name CreateIssueSeverity, already used by property severity of event create_issue (definitions/events/create_issue.yml:19:3); rename one of them`,
			`definitions/events/create_issue_.yml:19:3: value "high" of property severity of event create_issue_ maps to the Go package-level name CreateIssueSeverityHigh, already used by value "high" of property severity of event create_issue (definitions/events/create_issue.yml:19:3); rename one of them`,
			`definitions/events/create_issue_.yml:19:3: value "low" of property severity of event create_issue_ maps to the Go package-level name CreateIssueSeverityLow, already used by value "low" of property severity of event create_issue (definitions/events/create_issue.yml:19:3); rename one of them`,
		}},
		{"property without a Go name", map[string]string{ev: with(richEvent, "additional_properties:", "  label:", "    description: l", "  property:", "    description: p", `  "":`, "    description: nameless"), me: baseMetric}, []string{
			`definitions/events/create_issue.yml:32:3: property "" of event create_issue: cannot form a Go name from "" (it has no letter or digit)`,
		}},
		{"property names Go takes as they are", map[string]string{ev: with(richEvent, "additional_properties:", "  label:", "    description: l", "  property:", "    description: p",
			`  "with space":`, "    description: s", "  Type:", "    description: t", "  größe:", "    description: g"), me: baseMetric}, nil},
		{"two metrics with one Go name", map[string]string{ev: richEvent, me: baseMetric, "definitions/metrics/other.yml": with(baseMetric, "key_path: counts_issues")}, []string{
			`definitions/metrics/other.yml:1:1: metric counts_issues maps to the Go package-level name CountsIssues, already used by metric counts.issues (definitions/metrics/issues.yml:1:1); rename one of them`,
		}},
		{"enum value of the wrong type", map[string]string{ev: with(richEvent, "additional_properties:", "  label:", "    description: l", "  property:", "    description: p", "  size:", "    description: s", "    type: integer", "    enum: [1, two]"), me: baseMetric}, []string{
			`definitions/events/create_issue.yml:32:3: additional_properties.size.enum[1]: "two" is a string; the property is an integer`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got := run(t, tt.files)
			equalLines(t, got, tt.want)
		})
	}
}

// TestTooManyUpdates: an event whose metrics need more Redis updates than a
// record's 64-bit mask can mark is refused where it is defined, so that
// generation never meets it.
func TestTooManyUpdates(t *testing.T) {
	for _, n := range []int{63, 64} {
		files := map[string]string{"definitions/events/create_issue.yml": richEvent}
		for i := range n {
			files[fmt.Sprintf("definitions/metrics/m%02d.yml", i)] = with(baseMetric,
				fmt.Sprintf("key_path: counts.labelled_%02d", i), "events:", "  - name: create_issue", "    filter:", fmt.Sprintf("      label: l%02d", i))
		}
		_, got := run(t, files)
		var want []string
		if n == 64 { // 64 filtered totals and the unfiltered one
			want = []string{`definitions/events/create_issue.yml:1:1: event create_issue needs 65 Redis updates from the metrics that name it; at most 64 are supported: merge metrics that share filters or split the event`}
		}
		equalLines(t, got, want)
	}
}

// TestUntypedFilterValues: a number filtering a property without a type
// becomes the string of its text, which the Redis key and the generated
// comparison use; a property's Untyped says it has no type.
func TestUntypedFilterValues(t *testing.T) {
	set, diags := run(t, map[string]string{
		"definitions/events/create_issue.yml": untypedEvent,
		"definitions/metrics/issues.yml": with(baseMetric, "events:",
			"  - name: create_issue", "    filter:", "      plan: 30", "      label: failure", "      tier: gold",
			"  - name: create_issue", "    filter:", "      plan: 12.40"),
	})
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	var got []string
	for _, r := range set.Metrics[0].Events {
		for _, f := range r.Filter {
			got = append(got, f.Property+"="+f.Value)
		}
	}
	equalLines(t, got, []string{"label=failure", "plan=30", "tier=gold", "plan=12.40"})
	e := set.Event("create_issue")
	for name, want := range map[string]bool{"label": false, "property": false, "plan": true, "tier": false} {
		if p := e.Property(name); p == nil || p.Untyped != want || p.Type != model.String {
			t.Errorf("property %s = %+v, want a string with Untyped %v", name, p, want)
		}
	}
}

// TestModel checks the model a clean set produces: expansion, references,
// property types, canonical filter values and float results.
func TestModel(t *testing.T) {
	files := map[string]string{
		"definitions/events/create_issue.yml": richEvent,
		"definitions/metrics/issues.yml": with(baseMetric, "time_frame: [7d, 28d, all]", "events:",
			"  - name: create_issue", "    filter:", "      value: 1.50", "      severity: high", "      ratio: 2", "      confidential: false"),
		"definitions/metrics/weights.yml": with(baseMetric, "key_path: counts.issue_weight", "events:",
			"  - name: create_issue", "    operator: sum(value)"),
		"definitions/metrics/db.yml": with(baseMetric, "key_path: counts.avg_weight", "data_source: database", "events: -",
			"database:", "  operation: average", "  table: issues", "  column: weight"),
		"definitions/metrics/users.yml": with(baseMetric, "key_path: counts.users", "time_frame: none", "data_source: system", "events: -"),
	}
	set, diags := run(t, files)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics: %v", diags)
	}
	var keys []string
	for _, m := range set.Metrics {
		keys = append(keys, m.KeyPath+"/"+string(m.TimeFrame))
	}
	equalLines(t, keys, []string{
		"counts.avg_weight/28d", "counts.issue_weight/28d", "counts.issues/all", "counts.issues_monthly/28d",
		"counts.issues_weekly/7d", "counts.users/none",
	})

	e := set.Event("create_issue")
	if e == nil {
		t.Fatal("event missing")
	}
	var back []string
	for _, m := range e.Metrics {
		back = append(back, m.KeyPath)
	}
	equalLines(t, back, []string{"counts.issue_weight", "counts.issues", "counts.issues_monthly", "counts.issues_weekly"})
	if got := e.Identifiers; len(got) != 2 || got[0] != model.User || got[1] != model.Project {
		t.Errorf("identifiers = %v", got)
	}
	types := map[string]model.Type{}
	for _, p := range e.Properties {
		types[p.Name] = p.Type
	}
	wantTypes := map[string]model.Type{"label": model.String, "property": model.String, "value": model.Number,
		"confidential": model.Boolean, "severity": model.String, "ratio": model.Number, "count": model.Integer}
	for n, ty := range wantTypes {
		if types[n] != ty {
			t.Errorf("property %s: type %q, want %q", n, types[n], ty)
		}
	}
	if p := e.Property("label"); p == nil || !p.Builtin {
		t.Error("label is not marked built-in")
	}
	if p := e.Property("severity"); p == nil || len(p.Enum) != 2 || p.Enum[1].Text != "high" {
		t.Errorf("severity enum = %+v", p)
	}

	byKey := map[string]*model.Metric{}
	for _, m := range set.Metrics {
		byKey[m.KeyPath] = m
	}
	weekly := byKey["counts.issues_weekly"]
	if weekly.BaseKeyPath != "counts.issues" || len(weekly.Events) != 1 || weekly.Sources[0].Event != e {
		t.Fatalf("weekly metric = %+v", weekly)
	}
	var filters []string
	for i, f := range weekly.Events[0].Filter {
		filters = append(filters, f.Property+"="+f.Value+" written as "+string(weekly.Sources[0].Filter[i].Written.Type))
	}
	equalLines(t, filters, []string{"confidential=false written as boolean", "ratio=2 written as integer", "severity=high written as string", "value=1.50 written as number"})
	if &weekly.Events[0].Filter[0] == &byKey["counts.issues_monthly"].Events[0].Filter[0] {
		t.Error("expanded metrics share filter terms")
	}
	if !byKey["counts.issue_weight"].NumberIsFloat || !byKey["counts.avg_weight"].NumberIsFloat || weekly.NumberIsFloat {
		t.Error("NumberIsFloat wrong")
	}
	db := byKey["counts.avg_weight"].Database
	if db == nil || db.Operation != "average" || db.Column != "weight" || db.TimestampColumn != "created_at" {
		t.Errorf("database = %+v", db)
	}
	if !byKey["counts.users"].NeedsCode() || weekly.NeedsCode() {
		t.Error("NeedsCode wrong")
	}
}
