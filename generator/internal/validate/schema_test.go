package validate_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestSchemaMessages has one row per kind of schema failure: the message
// says what is wrong and what is allowed, at the node that is wrong.
func TestSchemaMessages(t *testing.T) {
	const ev = "events/create_issue.yml"
	const me = "metrics/issues.yml"
	tests := []struct {
		name string
		path string
		src  string
		want []string
	}{
		{"valid event", ev, baseEvent, nil},
		{"valid metric", me, baseMetric, nil},
		{"enum", me, with(baseMetric, "time_frame: 30d"), []string{
			"metrics/issues.yml:11:13: time_frame: \"30d\" is not one of 7d, 28d, all, none",
		}},
		{"time_frame wrong type", me, with(baseMetric, "time_frame: 7"), []string{
			"metrics/issues.yml:11:13: time_frame: 7 is a number; expected a string or a list",
		}},
		{"time_frame list item", me, with(baseMetric, "time_frame: [7d, 90d]"), []string{
			"metrics/issues.yml:11:18: time_frame[1]: \"90d\" is not one of 7d, 28d, all",
		}},
		{"time_frame list duplicate", me, with(baseMetric, "time_frame: [7d, 7d]"), []string{
			"metrics/issues.yml:11:18: time_frame: \"7d\" is listed twice; list each value once",
		}},
		{"time_frame none in list", me, with(baseMetric, "time_frame: [7d, none]"), []string{
			"metrics/issues.yml:11:18: time_frame[1]: \"none\" is not one of 7d, 28d, all",
		}},
		{"unknown key", ev, with(baseEvent, "foo: bar"), []string{
			"events/create_issue.yml:8:1: unknown key \"foo\"; allowed: action, additional_properties, category, classification, description, distributions, extra_properties, extra_tracking_classes, identifiers, iglu_schema_url, internal_events, introduced_by_url, milestone, milestone_removed, product_categories, product_group, removed_by_url, status, tiers",
		}},
		{"missing required", ev, with(baseEvent, "description: -"), []string{
			"events/create_issue.yml:1:1: missing required key \"description\"",
		}},
		{"number for string", me, with(baseMetric, "milestone: 15.9"), []string{
			"metrics/issues.yml:7:12: milestone: 15.9 is a number; expected a string (quote it: \"15.9\")",
		}},
		{"empty value", me, with(baseMetric, "data_source:"), []string{
			"metrics/issues.yml:12:13: data_source: expected a string, not an empty value",
		}},
		{"pattern", ev, with(baseEvent, "action: Create Issue"), []string{
			"events/create_issue.yml:1:9: action: \"Create Issue\" must be lowercase letters, digits and underscores",
		}},
		{"format uri", ev, with(baseEvent, "introduced_by_url: not a url"), []string{
			"events/create_issue.yml:4:20: introduced_by_url: \"not a url\" is not a valid URI",
		}},
		{"const", ev, with(baseEvent, "internal_events: false"), []string{
			"events/create_issue.yml:8:18: internal_events: false is not allowed; the only allowed value is true",
		}},
		{"list for string", ev, with(baseEvent, "description: [a, b]"), []string{
			"events/create_issue.yml:2:14: description: expected a string, not a list",
		}},
		{"mapping for list", ev, with(baseEvent, "tiers: {free: true}"), []string{
			"events/create_issue.yml:6:8: tiers: expected a list, not a mapping",
		}},
		{"identifier enum", ev, with(baseEvent, "identifiers: [user, group]"), []string{
			"events/create_issue.yml:7:21: identifiers[1]: \"group\" is not one of project, user, namespace, feature_enabled_by_namespace_ids",
		}},
		{"tiers duplicate", me, with(baseMetric, "tiers: [free, premium, free]"), []string{
			"metrics/issues.yml:9:24: tiers: \"free\" is listed twice; list each value once",
		}},
		{"removed event without fields", ev, with(baseEvent, "status: removed"), []string{
			"events/create_issue.yml:8:1: a removed event needs milestone_removed and removed_by_url",
		}},
		{"active event with removal fields", ev, with(baseEvent, "status: active", `milestone_removed: "17.1"`), []string{
			"events/create_issue.yml:9:20: milestone_removed: only a removed event has one; set status: removed or delete the key",
		}},
		{"broken metric", me, with(baseMetric, "status: broken"), []string{
			"metrics/issues.yml:6:1: a broken metric needs repair_issue_url",
		}},
		{"removed metric", me, with(baseMetric, "status: removed"), []string{
			"metrics/issues.yml:6:1: a removed metric needs milestone_removed and removed_by_url",
		}},
		{"internal_events without events", me, with(baseMetric, "events: -"), []string{
			"metrics/issues.yml:12:1: data_source internal_events needs an events list",
		}},
		{"internal_events with class", me, with(baseMetric, "instrumentation_class: CountIssuesMetric"), []string{
			"metrics/issues.yml:15:24: instrumentation_class: not allowed with data_source internal_events: the events list says what to count",
		}},
		{"unique enum", me, with(baseMetric, "events:", "  - name: create_issue", "    unique: user_id"), []string{
			"metrics/issues.yml:16:13: events[0].unique: \"user_id\" is not one of user.id, project.id, namespace.id, label, property, value",
		}},
		{"event rule unknown key", me, with(baseMetric, "events:", "  - name: create_issue", "    uniq: user.id"), []string{
			"metrics/issues.yml:16:5: events[0]: unknown key \"uniq\"; allowed: filter, name, operator, unique",
		}},
		{"event rule missing name", me, with(baseMetric, "events:", "  - unique: user.id"), []string{
			"metrics/issues.yml:15:5: events[0]: missing required key \"name\"",
		}},
		{"filter value type", me, with(baseMetric, "events:", "  - name: create_issue", "    filter:", "      value: high"), []string{
			"metrics/issues.yml:17:7: events[0].filter.value: event \"create_issue\" has no property \"value\" (it declares none)",
			"metrics/issues.yml:17:14: events[0].filter.value: \"high\" is a string; expected a number",
		}},
		{"filter custom type", me, with(baseMetric, "events:", "  - name: create_issue", "    filter:", "      weight: [1]"), []string{
			"metrics/issues.yml:17:7: events[0].filter.weight: event \"create_issue\" has no property \"weight\" (it declares none)",
			"metrics/issues.yml:17:15: events[0].filter.weight: expected a string, a number or a boolean, not a list",
		}},
		{"operator", me, with(baseMetric, "events:", "  - name: create_issue", "    operator: sum(label)"), []string{
			"metrics/issues.yml:16:15: events[0].operator: \"sum(label)\" is not one of sum(value)",
		}},
		{"database without data_source database", me, with(baseMetric, "data_source: system", "events: -", "database:", "  operation: count", "  table: issues"), []string{
			"metrics/issues.yml:12:14: data_source: must be database when a database block is given",
		}},
		{"database operation", me, with(baseMetric, "data_source: database", "events: -", "database:", "  operation: max", "  table: issues"), []string{
			"metrics/issues.yml:16:14: database.operation: \"max\" is not one of count, distinct_count, sum, average",
		}},
		{"database sum without column", me, with(baseMetric, "data_source: database", "events: -", "database:", "  operation: sum", "  table: issues"), []string{
			"metrics/issues.yml:16:3: database: distinct_count, sum and average need a column",
		}},
		{"database bad table", me, with(baseMetric, "data_source: database", "events: -", "database:", "  operation: count", "  table: issues; drop table x"), []string{
			"metrics/issues.yml:17:10: database.table: \"issues; drop table x\" must be a table name, optionally schema-qualified (schema.table)",
		}},
		{"product group", me, with(baseMetric, "product_group: my_team"), []string{
			`metrics/issues.yml:3:16: product_group: "my_team" is not one of GitLab's 91 product groups (schema/v1/product_groups.json); a project with its own groups lists them in product_groups.yml beside its definitions`,
		}},
		{"product group typo", me, with(baseMetric, "product_group: project_managment"), []string{
			`metrics/issues.yml:3:16: product_group: "project_managment" is not one of GitLab's 91 product groups (schema/v1/product_groups.json) (did you mean "project_management"?)`,
		}},
		{"product group as a label", ev, with(baseEvent, `product_group: "group::source code"`), []string{
			`events/create_issue.yml:3:16: product_group: "group::source code" is not one of GitLab's 91 product groups (schema/v1/product_groups.json) (did you mean "source_code"?)`,
		}},
		{"product group not a name", ev, with(baseEvent, `product_group: "Payments Team"`), []string{
			`events/create_issue.yml:3:16: product_group: "Payments Team" is not one of GitLab's 91 product groups (schema/v1/product_groups.json); a project with its own groups lists them in product_groups.yml beside its definitions`,
		}},
		{"product group empty string", ev, with(baseEvent, `product_group: ""`), []string{
			`events/create_issue.yml:3:16: product_group: "" is not one of GitLab's 91 product groups (schema/v1/product_groups.json); a project with its own groups lists them in product_groups.yml beside its definitions`,
		}},
		{"product group number", ev, with(baseEvent, "product_group: 42"), []string{
			"events/create_issue.yml:3:16: product_group: 42 is a number; expected a string (quote it: \"42\")",
		}},
		{"product group list", ev, with(baseEvent, "product_group: [a]"), []string{
			"events/create_issue.yml:3:16: product_group: expected a string, not a list",
		}},
		{"active metric without categories", me, with(baseMetric, "product_categories: -"), []string{
			"metrics/issues.yml:6:1: an active metric needs product_categories (at least one)",
		}},
		{"custom property type", ev, with(baseEvent, "additional_properties:", "  label:", "    description: x", "  property:", "    description: y", "  size:", "    description: z", "    type: float"), []string{
			"events/create_issue.yml:15:11: additional_properties.size.type: \"float\" is not one of string, integer, number, boolean",
		}},
		{"custom property without built-ins", ev, with(baseEvent, "additional_properties:", "  size:", "    description: z"), []string{
			"events/create_issue.yml:9:3: additional_properties: custom properties need the built-ins label and property, or value, declared as well",
		}},
		{"builtin with type", ev, with(baseEvent, "additional_properties:", "  label:", "    description: x", "    type: string"), []string{
			"events/create_issue.yml:11:5: additional_properties.label: unknown key \"type\"; allowed: description",
		}},
		{"key_path pattern", me, with(baseMetric, "key_path: counts..issues"), []string{
			"metrics/issues.yml:1:11: key_path: \"counts..issues\" must be a dot path of letters, digits and underscores, such as counts.issues",
		}},
		{"redis_hll with RedisHLLMetric", me, with(baseMetric, "data_source: redis_hll", "events: -", "instrumentation_class: RedisHLLMetric", "options:", "  events: [i_issue_edited]"), nil},
		{"redis_hll with AggregatedMetric", me, with(baseMetric, "data_source: redis_hll", "events: -", "instrumentation_class: AggregatedMetric", "options:", "  aggregate:", "    attribute: user.id", "  events: [i_issue_edited]"), nil},
		{"redis_hll legacy key path", me, with(baseMetric, "key_path: usage_activity_by_stage_monthly.create.merge_requests_users", "data_source: redis_hll", "events: -"), nil},
		{"redis_hll without instrumentation_class", me, with(baseMetric, "data_source: redis_hll", "events: -"), []string{
			"metrics/issues.yml:12:1: data_source redis_hll needs instrumentation_class RedisHLLMetric with options.events (the events counted) and nothing else in options or beside it, or AggregatedMetric with options.aggregate.attribute (user.id or project.id) and options.events; GitLab's few legacy key paths are exempt, but only when they use neither class",
		}},
		{"redis_hll with another class", me, with(baseMetric, "data_source: redis_hll", "events: -", "instrumentation_class: CountIssuesMetric", "options:", "  events: [i_issue_edited]"), []string{
			"metrics/issues.yml:12:1: data_source redis_hll needs instrumentation_class RedisHLLMetric with options.events (the events counted) and nothing else in options or beside it, or AggregatedMetric with options.aggregate.attribute (user.id or project.id) and options.events; GitLab's few legacy key paths are exempt, but only when they use neither class",
		}},
		{"redis_hll with an unknown option", me, with(baseMetric, "data_source: redis_hll", "events: -", "instrumentation_class: RedisHLLMetric", "options:", "  events: [i_issue_edited]", "  prefix: issues"), []string{
			"metrics/issues.yml:12:1: data_source redis_hll needs instrumentation_class RedisHLLMetric with options.events (the events counted) and nothing else in options or beside it, or AggregatedMetric with options.aggregate.attribute (user.id or project.id) and options.events; GitLab's few legacy key paths are exempt, but only when they use neither class",
		}},
		{"redis_hll with events beside RedisHLLMetric", me, with(baseMetric, "data_source: redis_hll", "instrumentation_class: RedisHLLMetric", "options:", "  events: [i_issue_edited]"), []string{
			"metrics/issues.yml:12:1: data_source redis_hll needs instrumentation_class RedisHLLMetric with options.events (the events counted) and nothing else in options or beside it, or AggregatedMetric with options.aggregate.attribute (user.id or project.id) and options.events; GitLab's few legacy key paths are exempt, but only when they use neither class",
		}},
		{"redis_hll AggregatedMetric attribute", me, with(baseMetric, "data_source: redis_hll", "events: -", "instrumentation_class: AggregatedMetric", "options:", "  aggregate:", "    attribute: namespace.id", "  events: [i_issue_edited]"), []string{
			"metrics/issues.yml:12:1: data_source redis_hll needs instrumentation_class RedisHLLMetric with options.events (the events counted) and nothing else in options or beside it, or AggregatedMetric with options.aggregate.attribute (user.id or project.id) and options.events; GitLab's few legacy key paths are exempt, but only when they use neither class",
		}},
		{"redis_hll legacy key path with RedisHLLMetric", me, with(baseMetric, "key_path: usage_activity_by_stage_monthly.create.merge_requests_users", "data_source: redis_hll", "events: -", "instrumentation_class: RedisHLLMetric", "options:", "  events: [i_issue_edited]"), []string{
			"metrics/issues.yml:12:1: data_source redis_hll needs instrumentation_class RedisHLLMetric with options.events (the events counted) and nothing else in options or beside it, or AggregatedMetric with options.aggregate.attribute (user.id or project.id) and options.events; GitLab's few legacy key paths are exempt, but only when they use neither class",
		}},
		{"instrumentation class pattern", me, with(baseMetric, "data_source: system", "events: -", "instrumentation_class: count_issues"), []string{
			"metrics/issues.yml:15:24: instrumentation_class: \"count_issues\" must be a CamelCase class name, optionally namespaced with ::",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{tt.path: tt.src}
			if tt.path == me {
				files[ev] = with(baseEvent, "internal_events: true") // the event the metric counts
			}
			_, got := run(t, files)
			equalLines(t, got, tt.want)
		})
	}
}

// TestWrongTypeEverywhere gives every top-level key of both schemas a value
// of a type it does not accept and expects one positioned type error naming
// the key, and nothing worse than diagnostics.
func TestWrongTypeEverywhere(t *testing.T) {
	for _, k := range []struct {
		path, base string
		keys       []string
		objects    []string // keys whose value is a mapping
	}{
		{"events/create_issue.yml", baseEvent,
			[]string{"action", "description", "category", "internal_events", "identifiers", "additional_properties", "extra_properties",
				"iglu_schema_url", "product_group", "product_categories", "introduced_by_url", "milestone", "status", "milestone_removed",
				"removed_by_url", "classification", "tiers", "distributions", "extra_tracking_classes"},
			[]string{"additional_properties", "extra_properties"}},
		{"metrics/issues.yml", baseMetric,
			[]string{"key_path", "description", "product_group", "product_categories", "value_type", "status", "milestone",
				"milestone_removed", "introduced_by_url", "removed_by_url", "repair_issue_url", "options", "data_source", "data_category",
				"instrumentation_class", "performance_indicator_type", "tiers", "value_json_schema", "name", "time_frame", "events", "database"},
			[]string{"options", "database"}},
	} {
		for _, key := range k.keys {
			t.Run(key, func(t *testing.T) {
				wrong := key + ": {x: 1}"
				if slices.Contains(k.objects, key) {
					wrong = key + ": [1]"
				}
				files := map[string]string{k.path: with(k.base, wrong)}
				if k.path != "events/create_issue.yml" {
					files["events/create_issue.yml"] = baseEvent
				}
				_, got := run(t, files)
				found := false
				for _, g := range got {
					if strings.Contains(g, " "+key+": expected ") {
						found = true
					}
				}
				if !found {
					t.Errorf("no type error for %s:\n\t%s", key, strings.Join(got, "\n\t"))
				}
			})
		}
	}
}

// TestSchemaProblemsPerFile checks that a file lists its first 100 schema
// problems, by position, and then one line that counts the rest and points
// at the first of them.
func TestSchemaProblemsPerFile(t *testing.T) {
	const ev = "events/create_issue.yml"
	var src strings.Builder
	src.WriteString(baseEvent + "additional_properties:\n  label:\n    description: x\n  property:\n    description: x\n")
	var want []string
	for i := range 105 {
		name := fmt.Sprintf("p%d", i)
		fmt.Fprintf(&src, "  %s: false\n", name)
		if i < 100 {
			want = append(want, fmt.Sprintf("%s:%d:%d: additional_properties.%s: false is a boolean; expected a mapping", ev, 13+i, len(name)+5, name))
		}
	}
	want = append(want, ev+":113:9: 5 more schema problems from here on are not listed; a file lists its first 100, and fixing those usually fixes the rest")
	_, got := run(t, map[string]string{ev: src.String()})
	equalLines(t, got, want)
}
