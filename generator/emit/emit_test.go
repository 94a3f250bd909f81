package emit_test

import (
	"bytes"
	"fmt"
	"go/format"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

func TestGoName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"create_issue", "CreateIssue"},
		{"counts.issues_created_weekly", "CountsIssuesCreatedWeekly"},
		{"func", "Func"}, // keywords are lower case; exported names never clash
		{"type", "Type"},
		{"go_to", "GoTo"},
		{"2fa_enabled", "X2faEnabled"}, // a leading digit cannot start a name
		{"30d", "X30d"},
		{"web-ide", "WebIDE"},
		{"a..b__c--d", "ABCD"},
		{"user_id", "UserID"},
		{"feature_enabled_by_namespace_ids", "FeatureEnabledByNamespaceIDs"},
		{"ci_api_url", "CIAPIURL"},
		{"über", "Über"},
		{"日本", "X日本"}, // letters without case cannot be exported alone
		{"camelCase", "CamelCase"},
		{"a\"b", "AB"},
		{"x\ny", "XY"},
		{"*/", ""},
		{"", ""},
		{"___", ""},
	} {
		if got := emit.GoName(tc.in); got != tc.want {
			t.Errorf("GoName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func pos(file string, line int) model.Pos { return model.Pos{File: file, Line: line, Col: 1} }

func newEvent(action string, props ...*model.Property) *model.Event {
	f := "defs/events/" + action + ".yml"
	return &model.Event{Pos: pos(f, 3), File: f, Action: action, Status: metric.Active, Properties: props,
		Identifiers: []model.Identifier{model.User}, InternalEvents: true}
}

func newMetric(keyPath, file string, rules ...metric.EventRule) *model.Metric {
	return &model.Metric{Pos: pos(file, 1), File: file, KeyPath: keyPath, BaseKeyPath: keyPath, Status: metric.Active,
		TimeFrame: metric.AllTime, DataSource: "internal_events", ValueType: "number", Events: rules,
		Sources: make([]model.RuleSource, len(rules))}
}

// link sets the Metrics of every event from the rules naming it.
func link(s *model.Set) *model.Set {
	for _, m := range s.Metrics {
		for i, r := range m.Events {
			if e := s.Event(r.Event); e != nil {
				m.Sources[i].Event = e
				e.Metrics = append(e.Metrics, m)
			}
		}
	}
	return s
}

func TestEmitErrors(t *testing.T) {
	str := func(s string) model.Value { return model.Value{Type: model.String, Text: s} }
	for _, tc := range []struct {
		name string
		set  *model.Set
		want string
	}{
		{
			name: "event and metric share a Go name",
			set: link(&model.Set{
				Events:  []*model.Event{newEvent("issue_created")},
				Metrics: []*model.Metric{newMetric("track.issue_created", "defs/metrics/t.yml")},
			}),
			want: "defs/metrics/t.yml:1:1: metric track.issue_created maps to the Go package-level name TrackIssueCreated, already used by event issue_created (defs/events/issue_created.yml:3:1); rename one of them",
		},
		{
			name: "two metrics share a Go name",
			set: &model.Set{Metrics: []*model.Metric{
				newMetric("counts.a_b", "defs/metrics/one.yml"), newMetric("counts.a.b", "defs/metrics/two.yml"),
			}},
			want: "defs/metrics/one.yml:1:1: metric counts.a_b maps to the Go package-level name CountsAB, already used by metric counts.a.b (defs/metrics/two.yml:1:1); rename one of them",
		},
		{
			name: "metric named like the generated API",
			set:  &model.Set{Metrics: []*model.Metric{newMetric("instrumentation", "defs/metrics/i.yml")}},
			want: "defs/metrics/i.yml:1:1: metric instrumentation maps to the Go package-level name Instrumentation, already used by the generated Instrumentation; rename one of them",
		},
		{
			name: "two properties share a field name",
			set: &model.Set{Events: []*model.Event{newEvent("e",
				&model.Property{Pos: pos("defs/events/e.yml", 8), Name: "page-size", Type: model.Integer},
				&model.Property{Pos: pos("defs/events/e.yml", 10), Name: "page_size", Type: model.Integer},
			)}},
			want: "defs/events/e.yml:10:1: property page_size of event e maps to the Go struct field name PageSize, already used by property page-size of event e (defs/events/e.yml:8:1); rename one of them",
		},
		{
			name: "enum value without letters or digits",
			set: &model.Set{Events: []*model.Event{newEvent("e",
				&model.Property{Pos: pos("defs/events/e.yml", 8), Name: "op", Type: model.String, Enum: []model.Value{str("+")}},
			)}},
			want: `defs/events/e.yml:8:1: value "+" of property op of event e: cannot form a Go name from "+" (it has no letter or digit)`,
		},
		{
			name: "two metric files map to one file name",
			set: &model.Set{Metrics: []*model.Metric{
				{Pos: pos("defs/metrics/w.yml", 1), File: "defs/metrics/w.yml", KeyPath: "counts.x_weekly", BaseKeyPath: "counts.x", Status: metric.Active, TimeFrame: metric.Weekly, DataSource: "system", ValueType: "number"},
				{Pos: pos("defs/metrics/m.yml", 1), File: "defs/metrics/m.yml", KeyPath: "counts.x_monthly", BaseKeyPath: "counts.x", Status: metric.Active, TimeFrame: metric.Monthly, DataSource: "system", ValueType: "number"},
			}},
			want: "defs/metrics/w.yml:1:1: the generated file metric_counts-x_gen.go would also hold the definitions of defs/metrics/m.yml; give one of them another key_path",
		},
		{
			name: "two events with one action, reported once",
			set: func() *model.Set {
				a, b := newEvent("show"), newEvent("show")
				b.File, b.Pos = "defs/events/show2.yml", pos("defs/events/show2.yml", 3)
				return &model.Set{Events: []*model.Event{a, b}}
			}(),
			want: "defs/events/show2.yml:3:1: event show maps to the Go package-level name TrackShow, already used by event show (defs/events/show.yml:3:1); rename one of them",
		},
		{
			name: "every problem at once, sorted",
			set: &model.Set{Metrics: []*model.Metric{
				{Pos: pos("defs/metrics/w.yml", 1), File: "defs/metrics/w.yml", KeyPath: "counts.x_weekly", BaseKeyPath: "counts.x", Status: metric.Active, TimeFrame: metric.Weekly, DataSource: "system", ValueType: "number"},
				{Pos: pos("defs/metrics/m.yml", 1), File: "defs/metrics/m.yml", KeyPath: "counts.x_monthly", BaseKeyPath: "counts.x", Status: metric.Active, TimeFrame: metric.Monthly, DataSource: "system", ValueType: "number"},
				newMetric("events", "defs/metrics/e.yml"),
			}},
			want: "defs/metrics/e.yml:1:1: metric events maps to the Go package-level name Events, already used by the generated Events; rename one of them\n" +
				"defs/metrics/w.yml:1:1: the generated file metric_counts-x_gen.go would also hold the definitions of defs/metrics/m.yml; give one of them another key_path",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			files, err := emit.Emit(tc.set, emit.Options{Package: "generated"})
			if err == nil {
				t.Fatalf("Emit succeeded with %d files, want error %q", len(files), tc.want)
			}
			list, ok := diag.From(err)
			if !ok {
				t.Fatalf("error %v carries no diagnostics", err)
			}
			if got := err.Error(); got != tc.want || len(list) != strings.Count(tc.want, "\n")+1 {
				t.Errorf("error:\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestEmitLegacyEvents: legacy events (no internal_events: true) get no
// Go code, so legacy events sharing an action, as GitLab's do across
// controllers, cannot collide with each other or with the internal event
// of that action.
func TestEmitLegacyEvents(t *testing.T) {
	legacy := func(file, category string) *model.Event {
		e := newEvent("show")
		e.File, e.Pos, e.Category, e.InternalEvents = file, pos(file, 3), category, false
		return e
	}
	set := &model.Set{Events: []*model.Event{
		newEvent("show"),
		legacy("defs/events/1_groups_show.yml", "group_overview"),
		legacy("defs/events/2_projects_show.yml", "project_overview"),
	}}
	files, err := emit.Emit(set, emit.Options{Package: "generated"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if got, want := strings.Join(names, " "), "event_show_gen.go usagekit_gen.go"; got != want {
		t.Errorf("files %s, want %s", got, want)
	}
	for _, f := range files {
		if n := strings.Count(string(f.Data), "func TrackShow("); f.Name == "event_show_gen.go" && n != 1 {
			t.Errorf("%s declares TrackShow %d times, want once", f.Name, n)
		}
		if f.Name == "usagekit_gen.go" && strings.Count(string(f.Data), "&eventShow,") != 1 {
			t.Errorf("the event registry should list the internal show event once:\n%s", f.Data)
		}
	}
}

func TestEmitMaxUpdates(t *testing.T) {
	s := &model.Set{Events: []*model.Event{newEvent("hit", &model.Property{Name: "label", Type: model.String, Builtin: true})}}
	for i := range event.MaxUpdates - 1 {
		s.Metrics = append(s.Metrics, newMetric(fmt.Sprintf("counts.hits_%02d", i), fmt.Sprintf("defs/metrics/h%02d.yml", i),
			metric.EventRule{Event: "hit", Filter: event.Filter{{Property: "label", Value: fmt.Sprint(i)}}}))
	}
	files, err := emit.Emit(link(s), emit.Options{Package: "generated"})
	if err != nil {
		t.Fatal(err)
	}
	src := string(files[0].Data)
	if !strings.Contains(src, "rec.Match |= 1 << 63") || !strings.Contains(src, `props.Label == "62"`) {
		t.Errorf("update 63 (the 64th) is not matched by its filter:\n%s", src)
	}
}

func TestEmitBadPackage(t *testing.T) {
	for _, name := range []string{"", "my-pkg", "func", "_", "1x"} {
		_, err := emit.Emit(&model.Set{}, emit.Options{Package: name})
		want := fmt.Sprintf("emit: package name %q is not a Go identifier", name)
		if err == nil || err.Error() != want {
			t.Errorf("Package %q: error %v, want %s", name, err, want)
		}
	}
}

// TestDeterministic generates the example definitions and the hand-built
// sample twice and compares every byte.
func TestDeterministic(t *testing.T) {
	set, err := generator.Load("../../definitions")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*model.Set{"definitions": set, "sample": sampleSet()} {
		opts := emit.Options{Package: "generated", Root: "../../definitions"}
		a, err := emit.Emit(s, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := emit.Emit(s, opts)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) || len(a) < 3 {
			t.Fatalf("%s: %d then %d files", name, len(a), len(b))
		}
		for i := range a {
			if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("%s: %s differs between two runs", name, a[i].Name)
			}
			if i > 0 && a[i-1].Name >= a[i].Name {
				t.Errorf("%s: files not sorted: %s before %s", name, a[i-1].Name, a[i].Name)
			}
			if formatted, err := format.Source(a[i].Data); err != nil || !bytes.Equal(formatted, a[i].Data) {
				t.Errorf("%s: %s is not gofmt-clean (%v)", name, a[i].Name, err)
			}
			if !emit.IsGenerated(a[i].Data) {
				t.Errorf("%s: %s lacks the header", name, a[i].Name)
			}
			if !strings.HasSuffix(a[i].Name, emit.FileSuffix) {
				t.Errorf("%s: %s does not end in %s", name, a[i].Name, emit.FileSuffix)
			}
		}
		tsA, errA := emit.TypeScript(s, opts)
		tsB, errB := emit.TypeScript(s, opts)
		if errA != nil || errB != nil || !bytes.Equal(tsA, tsB) {
			t.Errorf("%s: the TypeScript client differs between two runs (%v, %v)", name, errA, errB)
		}
		if !emit.IsGenerated(tsA) {
			t.Errorf("%s: the TypeScript client lacks the header", name)
		}
	}
}

func TestHeader(t *testing.T) {
	files, err := emit.Emit(sampleSet(), emit.Options{Package: "p", Root: "defs", RootName: "definitions"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"event_create_issue_gen.go":        "// Code generated by usagekit from definitions/events/create_issue.yml. DO NOT EDIT.",
		"metric_counts-users_gen.go":       "// Code generated by usagekit from definitions/metrics/users.yml. DO NOT EDIT.",
		"usagekit_gen.go":                  "// Code generated by usagekit from definitions. DO NOT EDIT.",
		"metric_license_user_count_gen.go": "// Code generated by usagekit from definitions/metrics/lic.yml. DO NOT EDIT.",
	}
	for _, f := range files {
		line, _, _ := strings.Cut(string(f.Data), "\n")
		if w, ok := want[f.Name]; ok {
			if line != w {
				t.Errorf("%s: header %q, want %q", f.Name, line, w)
			}
			delete(want, f.Name)
		}
	}
	for name := range want {
		t.Errorf("%s was not generated", name)
	}
}

func TestIsGenerated(t *testing.T) {
	for src, want := range map[string]bool{
		"// Code generated by usagekit from definitions. DO NOT EDIT.\n\npackage x\n": true,
		"// Code generated by usagekit from a.yml. DO NOT EDIT.":                      true,
		"// Code generated by stringer. DO NOT EDIT.\n":                               false,
		"package x\n// Code generated by usagekit from a.yml. DO NOT EDIT.\n":         false,
		"// Package generated is hand-written.\npackage generated\n":                  false,
		"": false,
	} {
		if got := emit.IsGenerated([]byte(src)); got != want {
			t.Errorf("IsGenerated(%q) = %v, want %v", src, got, want)
		}
	}
}
