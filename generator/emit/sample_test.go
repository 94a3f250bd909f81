package emit_test

import (
	"github.com/usagekit/usagekit/generator/model"
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
		ProductGroup: "project_management", Milestone: "17.0", Status: model.Active, InternalEvents: true,
	}
	push := &model.Event{
		Pos: pos("defs/events/push.yml", 2), File: "defs/events/push.yml", Action: "push",
		Description: "A push.", Status: model.Active, MilestoneRemoved: "18.0", InternalEvents: true,
	}
	removed := &model.Event{Pos: pos("defs/events/old.yml", 2), File: "defs/events/old.yml", Action: "old", Status: model.Removed, InternalEvents: true}
	m := func(file string, key, base string, tf model.TimeFrame, src string) *model.Metric {
		return &model.Metric{Pos: pos(file, 1), File: file, KeyPath: key, BaseKeyPath: base, TimeFrame: tf, DataSource: src,
			ValueType: "number", Status: model.Active, DataCategory: "optional", Description: "About " + key + "."}
	}
	uw := m("defs/metrics/users.yml", "counts.users_weekly", "counts.users", model.Weekly, "internal_events")
	um := m("defs/metrics/users.yml", "counts.users_monthly", "counts.users", model.Monthly, "internal_events")
	for _, x := range []*model.Metric{uw, um} {
		x.Events = []*model.EventRule{
			{Event: "create_issue", Ref: create, Unique: model.UniqueUser},
			{Event: "create_issue", Ref: create, Unique: model.UniqueUser, Filter: []model.Filter{{Property: "source", Value: str("web")}, {Property: "confidential", Value: model.Value{Type: model.Boolean, Text: "true", Bool: true}}}},
		}
	}
	conf := m("defs/metrics/conf.yml", "counts.confidential", "counts.confidential", model.AllTime, "internal_events")
	conf.Events = []*model.EventRule{{Event: "create_issue", Ref: create, Filter: []model.Filter{{Property: "confidential", Value: model.Value{Type: model.Boolean, Text: "true", Bool: true}}}}}
	sum := m("defs/metrics/sum.yml", "counts.weight_sum", "counts.weight_sum", model.Weekly, "internal_events")
	sum.NumberIsFloat = true
	sum.Events = []*model.EventRule{{Event: "create_issue", Ref: create, Operator: "sum(value)", Filter: []model.Filter{{Property: "weight", Value: model.Value{Type: model.Integer, Text: "3", Int: 3}}}}}
	pushes := m("defs/metrics/pushes.yml", "counts.pushes", "counts.pushes", model.AllTime, "internal_events")
	pushes.Events = []*model.EventRule{{Event: "push", Ref: push}}
	pushes.Status = model.Broken
	pushes.RepairIssueURL = "https://example.com/issues/1"
	db := m("defs/metrics/issues.yml", "counts.issues", "counts.issues", model.AllTime, "database")
	db.Database = &model.Database{Operation: "count", Table: "issues", Where: "confidential = true", TimestampColumn: "created_at"}
	uuid := m("defs/metrics/uuid.yml", "uuid", "uuid", model.None, "system")
	uuid.ValueType = "string"
	lic := m("defs/metrics/lic.yml", "license_user_count", "license_user_count", model.None, "license")
	gone := m("defs/metrics/gone.yml", "counts.gone", "counts.gone", model.AllTime, "internal_events")
	gone.Status = model.Removed
	gone.Events = []*model.EventRule{{Event: "push", Ref: push}}
	create.Metrics = []*model.Metric{conf, um, uw, sum}
	push.Metrics = []*model.Metric{gone, pushes}
	return &model.Set{
		Events:  []*model.Event{create, removed, push},
		Metrics: []*model.Metric{conf, gone, db, pushes, um, uw, sum, lic, uuid},
	}
}
