package emit_test

import (
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// sampleSet is a small hand-built set covering every kind of rule, an enum,
// a code metric, a database metric, a broken and a removed metric.
func sampleSet() *model.Set {
	pos := func(f string, l int) model.Pos { return model.Pos{File: f, Line: l, Col: 1} }
	str := func(s string) model.Value { return model.Value{Type: model.String, Text: s} }
	create := &model.Event{
		Pos: pos("defs/events/create_issue.yml", 4), File: "defs/events/create_issue.yml",
		Action: "create_issue", Description: "A user created an issue.\nIt may be */ confidential `x`.",
		Identifiers: []model.Identifier{model.User, model.Project, model.Namespace},
		Properties: []*model.Property{
			{Name: "confidential", Type: model.Boolean, Description: "Created confidential.", Pos: pos("defs/events/create_issue.yml", 12)},
			{Name: "label", Type: model.String, Builtin: true, Description: "The issue type."},
			{Name: "source", Type: model.String, Description: "Where it was created.", Enum: []model.Value{str("web"), str("api"), str("web-ide")}},
			{Name: "value", Type: model.Number, Builtin: true, Description: "The weight."},
			{Name: "weight", Type: model.Integer, Description: "Weight."},
		},
		ProductGroup: "project_management", Milestone: "17.0", Status: metric.Active, InternalEvents: true,
	}
	push := &model.Event{
		Pos: pos("defs/events/push.yml", 2), File: "defs/events/push.yml", Action: "push",
		Description: "A push.", Status: metric.Active, MilestoneRemoved: "18.0", InternalEvents: true,
	}
	removed := &model.Event{Pos: pos("defs/events/old.yml", 2), File: "defs/events/old.yml", Action: "old", Status: metric.Removed, InternalEvents: true}
	m := func(file string, key, base string, tf metric.TimeFrame, src string) *model.Metric {
		return &model.Metric{Pos: pos(file, 1), File: file, KeyPath: key, BaseKeyPath: base, TimeFrame: tf, DataSource: src,
			ValueType: "number", Status: metric.Active, DataCategory: "optional", Description: "About " + key + "."}
	}
	uw := m("defs/metrics/users.yml", "counts.users_weekly", "counts.users", metric.Weekly, "internal_events")
	um := m("defs/metrics/users.yml", "counts.users_monthly", "counts.users", metric.Monthly, "internal_events")
	for _, x := range []*model.Metric{uw, um} {
		x.Events = []metric.EventRule{
			{Event: "create_issue", Unique: event.UniqueUser},
			{Event: "create_issue", Unique: event.UniqueUser, Filter: event.NewFilter(event.FilterTerm{Property: "source", Value: "web"}, event.FilterTerm{Property: "confidential", Value: "true"})},
		}
		x.Sources = []model.RuleSource{{Event: create}, {Event: create}}
	}
	conf := m("defs/metrics/conf.yml", "counts.confidential", "counts.confidential", metric.AllTime, "internal_events")
	conf.Events = []metric.EventRule{{Event: "create_issue", Filter: event.Filter{{Property: "confidential", Value: "true"}}}}
	conf.Sources = []model.RuleSource{{Event: create}}
	sum := m("defs/metrics/sum.yml", "counts.weight_sum", "counts.weight_sum", metric.Weekly, "internal_events")
	sum.NumberIsFloat = true
	sum.Events = []metric.EventRule{{Event: "create_issue", Operator: metric.SumValue, Filter: event.Filter{{Property: "weight", Value: "3"}}}}
	sum.Sources = []model.RuleSource{{Event: create}}
	pushes := m("defs/metrics/pushes.yml", "counts.pushes", "counts.pushes", metric.AllTime, "internal_events")
	pushes.Events = []metric.EventRule{{Event: "push"}}
	pushes.Sources = []model.RuleSource{{Event: push}}
	pushes.Status = metric.Broken
	pushes.RepairIssueURL = "https://example.com/issues/1"
	db := m("defs/metrics/issues.yml", "counts.issues", "counts.issues", metric.AllTime, "database")
	db.Database = &dbcount.Query{Operation: "count", Table: "issues", Where: "confidential = true", TimestampColumn: "created_at"}
	uuid := m("defs/metrics/uuid.yml", "uuid", "uuid", metric.None, "system")
	uuid.ValueType = "string"
	lic := m("defs/metrics/lic.yml", "license_user_count", "license_user_count", metric.None, "license")
	gone := m("defs/metrics/gone.yml", "counts.gone", "counts.gone", metric.AllTime, "internal_events")
	gone.Status = metric.Removed
	gone.Events = []metric.EventRule{{Event: "push"}}
	gone.Sources = []model.RuleSource{{Event: push}}
	create.Metrics = []*model.Metric{conf, um, uw, sum}
	push.Metrics = []*model.Metric{gone, pushes}
	return &model.Set{
		Events:  []*model.Event{create, removed, push},
		Metrics: []*model.Metric{conf, gone, db, pushes, um, uw, sum, lic, uuid},
	}
}
