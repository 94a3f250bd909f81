package diff

import (
	"os"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

func pos(file string, line int) model.Pos { return model.Pos{File: file, Line: line, Col: 1} }

func str(s string) model.Value { return model.Value{Type: model.String, Text: s} }

// set builds a small definition set; mutate adjusts a fresh copy per case.
func set(mutate func(s *model.Set)) *model.Set {
	ev := &model.Event{
		Pos: pos("events/issue_created.yml", 1), File: "events/issue_created.yml", Action: "issue_created",
		Identifiers: []model.Identifier{model.User, model.Project},
		Properties: []*model.Property{
			{Pos: pos("events/issue_created.yml", 6), Name: "label", Type: model.String, Builtin: true},
			{Pos: pos("events/issue_created.yml", 8), Name: "source", Type: model.String, Enum: []model.Value{str("web"), str("api")}},
			{Pos: pos("events/issue_created.yml", 10), Name: "weight", Type: model.Integer},
		},
		Status: metric.Active,
	}
	other := &model.Event{Pos: pos("events/page_viewed.yml", 1), File: "events/page_viewed.yml", Action: "page_viewed",
		Identifiers: []model.Identifier{model.User}}
	weekly := &model.Metric{
		Pos: pos("metrics/users.yml", 1), File: "metrics/users.yml", KeyPath: "counts.users_creating_issues",
		Status: metric.Active, TimeFrame: metric.Weekly, DataSource: "internal_events",
		Events: []metric.EventRule{{Event: "issue_created", Unique: event.UniqueUser}}, Sources: []model.RuleSource{{Event: ev}},
	}
	total := &model.Metric{
		Pos: pos("metrics/total.yml", 2), File: "metrics/total.yml", KeyPath: "counts.issues",
		Status: metric.Active, TimeFrame: metric.AllTime, DataSource: "internal_events",
		Events: []metric.EventRule{{Event: "issue_created"}}, Sources: []model.RuleSource{{Event: ev}},
	}
	old := &model.Metric{
		Pos: pos("metrics/old.yml", 1), File: "metrics/old.yml", KeyPath: "counts.old",
		Status: metric.Removed, TimeFrame: metric.AllTime, DataSource: "database", MilestoneRemoved: "17.0", RemovedByURL: "https://example.com/1",
	}
	views := &model.Metric{
		Pos: pos("metrics/views.yml", 1), File: "metrics/views.yml", KeyPath: "counts.views",
		Status: metric.Active, TimeFrame: metric.Monthly, DataSource: "internal_events",
		Events: []metric.EventRule{{Event: "page_viewed"}}, Sources: []model.RuleSource{{Event: other}},
	}
	s := &model.Set{Events: []*model.Event{ev, other}, Metrics: []*model.Metric{total, old, weekly, views}}
	if mutate != nil {
		mutate(s)
	}
	return s
}

func metricOf(s *model.Set, key string) *model.Metric {
	for _, m := range s.Metrics {
		if m.KeyPath == key {
			return m
		}
	}
	panic("no metric " + key)
}

func dropMetric(s *model.Set, key string) {
	for i, m := range s.Metrics {
		if m.KeyPath == key {
			s.Metrics = append(s.Metrics[:i], s.Metrics[i+1:]...)
			return
		}
	}
}

func TestCompare(t *testing.T) {
	tests := []struct {
		name string
		base func(*model.Set)
		head func(*model.Set)
		want []string // path:line:col: message [rule]
	}{
		{name: "unchanged"},
		{
			name: "additions are fine",
			head: func(s *model.Set) {
				e := s.Event("issue_created")
				e.Identifiers = append(e.Identifiers, model.Namespace)
				e.Properties = append(e.Properties, &model.Property{Name: "extra", Type: model.Boolean})
				e.Property("source").Enum = append(e.Property("source").Enum, str("cli"))
				s.Events = append(s.Events, &model.Event{Action: "new_event", File: "events/new_event.yml"})
				s.Metrics = append(s.Metrics, &model.Metric{KeyPath: "counts.new", File: "metrics/new.yml", TimeFrame: metric.AllTime})
			},
		},
		{
			name: "metric deleted while active",
			head: func(s *model.Set) { dropMetric(s, "counts.issues") },
			want: []string{"metrics/total.yml:2:1: metric counts.issues deleted while active: set status: removed with milestone_removed and removed_by_url first, so collectors know the series ended on purpose [key-path-deleted]"},
		},
		{
			name: "removed metric deleted",
			head: func(s *model.Set) { dropMetric(s, "counts.old") },
		},
		{
			name: "metric marked removed",
			head: func(s *model.Set) {
				m := metricOf(s, "counts.issues")
				m.Status, m.MilestoneRemoved, m.RemovedByURL = metric.Removed, "18.0", "https://example.com/2"
			},
		},
		{
			name: "metric marked removed without details",
			head: func(s *model.Set) { metricOf(s, "counts.issues").Status = metric.Removed },
			want: []string{"metrics/total.yml:2:1: metric counts.issues is status: removed without milestone_removed and removed_by_url [removed-without-details]"},
		},
		{
			name: "event marked removed without url",
			head: func(s *model.Set) {
				e := s.Event("page_viewed")
				e.Status, e.MilestoneRemoved = metric.Removed, "18.0"
			},
			want: []string{"events/page_viewed.yml:1:1: event page_viewed is status: removed without removed_by_url [removed-without-details]"},
		},
		{
			name: "key_path changed in place",
			head: func(s *model.Set) { metricOf(s, "counts.issues").KeyPath = "counts.issues_created" },
			want: []string{"metrics/total.yml:2:1: key_path changed from counts.issues to counts.issues_created: the series counts.issues stops and a new one starts; keep counts.issues, mark it status: removed (with milestone_removed and removed_by_url) and add the new key_path in a new file [key-path-changed]"},
		},
		{
			name: "time_frame changed",
			head: func(s *model.Set) { metricOf(s, "counts.users_creating_issues").TimeFrame = metric.Monthly },
			want: []string{"metrics/users.yml:1:1: time_frame of counts.users_creating_issues changed from 7d to 28d: the series would silently change meaning; add a new key_path and remove this one [time-frame-changed]"},
		},
		{
			name: "unique changed",
			head: func(s *model.Set) { metricOf(s, "counts.users_creating_issues").Events[0].Unique = event.UniqueProject },
			want: []string{"metrics/users.yml:1:1: unique of counts.users_creating_issues changed from user.id to project.id: the series would silently change meaning; add a new key_path and remove this one [unique-changed]"},
		},
		{
			name: "unique dropped",
			head: func(s *model.Set) { metricOf(s, "counts.users_creating_issues").Events[0].Unique = event.UniqueNone },
			want: []string{"metrics/users.yml:1:1: unique of counts.users_creating_issues changed from user.id to none: the series would silently change meaning; add a new key_path and remove this one [unique-changed]"},
		},
		{
			name: "changes to a removed metric are not breaking",
			base: func(s *model.Set) { metricOf(s, "counts.old").TimeFrame = metric.Weekly },
		},
		{
			name: "event deleted while a metric names it",
			head: func(s *model.Set) { s.Events = s.Events[:1] },
			want: []string{"events/page_viewed.yml:1:1: event page_viewed deleted while metric counts.views still names it: its counts would stop; remove or change the metric first [event-deleted]"},
		},
		{
			name: "event deleted while two metrics name it",
			head: func(s *model.Set) {
				s.Events = s.Events[:1]
				s.Metrics = append(s.Metrics, &model.Metric{KeyPath: "counts.views_weekly", File: "metrics/views2.yml", TimeFrame: metric.Weekly,
					Status: metric.Active, Events: []metric.EventRule{{Event: "page_viewed"}}, Sources: []model.RuleSource{{}}})
			},
			want: []string{"events/page_viewed.yml:1:1: event page_viewed deleted while metrics counts.views, counts.views_weekly still name it: their counts would stop; remove or change the metrics first [event-deleted]"},
		},
		{
			name: "event deleted with its metric removed",
			head: func(s *model.Set) {
				s.Events = s.Events[:1]
				m := metricOf(s, "counts.views")
				m.Status, m.MilestoneRemoved, m.RemovedByURL = metric.Removed, "18.0", "https://example.com/3"
			},
		},
		{
			name: "identifier removed",
			head: func(s *model.Set) { s.Event("issue_created").Identifiers = []model.Identifier{model.User} },
			want: []string{"events/issue_created.yml:1:1: identifier project removed from event issue_created: callers pass it and unique counts over it would stop; add a new event instead [identifier-removed]"},
		},
		{
			name: "property removed",
			head: func(s *model.Set) { e := s.Event("issue_created"); e.Properties = e.Properties[:2] },
			want: []string{"events/issue_created.yml:1:1: property weight removed from event issue_created: callers set it and metrics may filter on it; add a new event instead [property-removed]"},
		},
		{
			name: "property type changed",
			head: func(s *model.Set) { s.Event("issue_created").Property("weight").Type = model.Number },
			want: []string{"events/issue_created.yml:10:1: type of property weight of event issue_created changed from integer to number: callers and filters written for integer would break [property-type-changed]"},
		},
		{
			name: "untyped property is a string",
			base: func(s *model.Set) { s.Event("issue_created").Property("source").Type = "" },
		},
		{
			name: "enum narrowed",
			head: func(s *model.Set) { s.Event("issue_created").Property("source").Enum = []model.Value{str("api")} },
			want: []string{`events/issue_created.yml:8:1: enum of property source of event issue_created narrowed: "web" no longer allowed; callers sending them would stop compiling and filters on them would count nothing [enum-narrowed]`},
		},
		{
			name: "enum added",
			base: func(s *model.Set) { s.Event("issue_created").Property("source").Enum = nil },
			want: []string{`events/issue_created.yml:8:1: enum of property source of event issue_created narrowed: values outside ["web", "api"] no longer allowed; callers sending them would stop compiling and filters on them would count nothing [enum-narrowed]`},
		},
		{
			name: "enum dropped widens",
			head: func(s *model.Set) { s.Event("issue_created").Property("source").Enum = nil },
		},
		{
			// GitLab's legacy events are known by category and action; two
			// controllers' show events are compared each with its own.
			name: "legacy events sharing an action",
			base: legacyShows,
			head: legacyShows,
		},
		{
			name: "legacy event losing an identifier",
			base: legacyShows,
			head: func(s *model.Set) {
				legacyShows(s)
				s.Events[len(s.Events)-1].Identifiers = nil
			},
			want: []string{"events/project_show.yml:1:1: identifier project removed from event show: callers pass it and unique counts over it would stop; add a new event instead [identifier-removed]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compare(set(tt.base), set(tt.head))
			var lines []string
			for _, d := range got {
				lines = append(lines, d.String()+" ["+d.Rule+"]")
			}
			if g, w := strings.Join(lines, "\n"), strings.Join(tt.want, "\n"); g != w {
				t.Errorf("Compare:\ngot\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// legacyShows adds two legacy events with one action and different
// categories and identifiers.
func legacyShows(s *model.Set) {
	s.Events = append(s.Events,
		&model.Event{Pos: pos("events/group_show.yml", 1), File: "events/group_show.yml", Action: "show", Category: "group_overview"},
		&model.Event{Pos: pos("events/project_show.yml", 1), File: "events/project_show.yml", Action: "show", Category: "project_overview",
			Identifiers: []model.Identifier{model.Project}})
}

func TestPinpoint(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	file := "m.yml"
	data := "key_path: counts.x\ndescription: d\ntime_frame: 28d\nidentifiers:\n- user\nevents:\n- name: e\n  unique: user.id\n"
	if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	// A metric whose rules have no unique (any more) is pointed at events.
	if err := os.WriteFile("totals.yml", []byte("key_path: counts.y\nevents:\n- name: e\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	in := diag.List{
		{Path: "totals.yml", Line: 1, Col: 1, Rule: RuleUniqueChanged, Message: "u2"},
		{Path: file, Line: 1, Col: 1, Rule: RuleTimeFrameChanged, Message: "tf"},
		{Path: file, Line: 1, Col: 1, Rule: RuleUniqueChanged, Message: "u"},
		{Path: file, Line: 1, Col: 1, Rule: RuleIdentifierRemoved, Message: "id"},
		{Path: file, Line: 1, Col: 1, Rule: RulePropertyRemoved, Message: "no additional_properties key: stays"},
		{Path: file, Line: 1, Col: 1, Rule: RuleKeyPathDeleted, Message: "not moved"},
		{Path: "missing.yml", Line: 2, Col: 1, Rule: RuleTimeFrameChanged, Message: "unreadable: stays"},
	}
	var got []string
	for _, d := range Pinpoint(in) {
		got = append(got, d.String())
	}
	want := []string{
		"m.yml:1:1: no additional_properties key: stays",
		"m.yml:1:1: not moved",
		"m.yml:3:1: tf",
		"m.yml:4:1: id",
		"m.yml:8:3: u", // the first rule's unique key
		"missing.yml:2:1: unreadable: stays",
		"totals.yml:2:1: u2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
