package tracktest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/track"
)

// A hand-written descriptor standing in for generated code: rule 0 the
// total, rule 1 a filtered total (label "bug"), rule 2 weekly unique users.
var issueCreated = event.Descriptor{
	Name: "issue_created",
	Updates: []event.Update{
		{Kind: event.Total, Key: "{event_counters}_issue_created", AllTime: true, Weekly: true},
		{Kind: event.Total, Key: "{event_counters}_issue_created-filter:[label:bug]", AllTime: true},
		{Kind: event.UniqueCount, Unique: event.UniqueUser, Key: "{hll_counters}_issue_created-user", Weekly: true},
	},
	Always: 1<<0 | 1<<2,
}

func trackIssue(ctx context.Context, _ *Recorder, user event.UserID, project event.ProjectID, label string, weight int64) {
	rec := event.Record{User: user, Project: project, Label: label}
	if label == "bug" {
		rec.Match |= 1 << 1
	}
	tr := track.From(ctx) // as generated code does
	if tr.WantsCustom() {
		rec.Custom = []event.Prop{{Name: "weight", Value: event.IntValue(weight)}}
	}
	tr.Track(ctx, &issueCreated, &rec)
}

var (
	totalIssues  = &metric.Descriptor{KeyPath: "counts.issues", TimeFrame: metric.AllTime, DataSource: "internal_events", Events: []metric.EventRule{{Event: "issue_created"}}}
	bugIssues    = &metric.Descriptor{KeyPath: "counts.bugs", TimeFrame: metric.AllTime, DataSource: "internal_events", Events: []metric.EventRule{{Event: "issue_created", Filter: event.Filter{{Property: "label", Value: "bug"}}}}}
	weeklyUsers  = &metric.Descriptor{KeyPath: "counts.users_weekly", TimeFrame: metric.Weekly, DataSource: "internal_events", Events: []metric.EventRule{{Event: "issue_created", Unique: event.UniqueUser}}}
	monthlyTotal = &metric.Descriptor{KeyPath: "counts.issues_monthly", TimeFrame: metric.Monthly, DataSource: "internal_events", Events: []metric.EventRule{{Event: "issue_created"}}}
)

func TestRecorderAssertions(t *testing.T) {
	r := New(t)
	ctx := r.Context(context.Background())
	trackIssue(ctx, r, 7, 70, "bug", 3)
	trackIssue(ctx, r, 8, 70, "feature", 0)

	r.AssertTracked(t, "issue_created")
	r.AssertTracked(t, "issue_created", User(7), Project(70), Label("bug"), Custom("weight", int64(3)))
	r.AssertTrackedTimes(t, "issue_created", 2, Project(70))
	r.AssertNotTracked(t, "issue_created", User(9))
	r.AssertNotTracked(t, "issue_closed")
	if got := r.Count("issue_created", Label("feature")); got != 1 {
		t.Errorf("Count(label=feature) = %d, want 1", got)
	}
	if got := len(r.Events()); got != 2 {
		t.Errorf("%d events, want 2", got)
	}
	r.Reset()
	r.AssertNotTracked(t, "issue_created")
	if v, err := r.MetricValue(context.Background(), totalIssues); err != nil || v != 0 {
		t.Errorf("after Reset: total = %v, %v; want 0", v, err)
	}
}

// fakeT records failures instead of failing the test, to check that the
// assertions fail when they should and say why.
type fakeT struct {
	testing.TB
	errors []string
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}

func TestRecorderAssertionsFail(t *testing.T) {
	r := New(t)
	ctx := r.Context(context.Background())
	trackIssue(ctx, r, 7, 70, "bug", 3)

	tests := []struct {
		name string
		call func(tb testing.TB)
		want string
	}{
		{"wrong user", func(tb testing.TB) { r.AssertTracked(tb, "issue_created", User(8)) },
			"event issue_created with user=8 was not tracked; tracked: issue_created{user=7 project=70 label=\"bug\" weight=3}"},
		{"other event", func(tb testing.TB) { r.AssertTracked(tb, "issue_closed") },
			"event issue_closed was not tracked; events tracked: issue_created"},
		{"custom type matters", func(tb testing.TB) { r.AssertTracked(tb, "issue_created", Custom("weight", 3)) },
			"event issue_created with weight=3 was not tracked; tracked: issue_created{user=7 project=70 label=\"bug\" weight=3}"},
		{"tracked but should not be", func(tb testing.TB) { r.AssertNotTracked(tb, "issue_created", Label("bug")) },
			"event issue_created with label=\"bug\" was tracked 1 times, want none; tracked: issue_created{user=7 project=70 label=\"bug\" weight=3}"},
		{"times", func(tb testing.TB) { r.AssertTrackedTimes(tb, "issue_created", 2) },
			"event issue_created tracked 1 times, want 2; tracked: issue_created{user=7 project=70 label=\"bug\" weight=3}"},
		{"metric change", func(tb testing.TB) {
			r.AssertMetricChange(tb, totalIssues, 2, func() { trackIssue(ctx, r, 9, 70, "", 0) })
		}, "metric counts.issues changed by 1 (from 1 to 2), want 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeT{TB: t}
			tt.call(f)
			if len(f.errors) != 1 || f.errors[0] != tt.want {
				t.Errorf("failures = %q\nwant %q", f.errors, tt.want)
			}
		})
	}
	empty := New(t)
	f := &fakeT{TB: t}
	empty.AssertTracked(f, "x")
	if len(f.errors) != 1 || !strings.HasSuffix(f.errors[0], "no events were tracked") {
		t.Errorf("failures = %q", f.errors)
	}
}

func TestMetricChange(t *testing.T) {
	r := New(t)
	ctx := r.Context(context.Background())
	r.AssertMetricChange(t, totalIssues, 3, func() {
		trackIssue(ctx, r, 1, 1, "bug", 0)
		trackIssue(ctx, r, 1, 1, "", 0)
		trackIssue(ctx, r, 2, 1, "", 0)
	})
	r.AssertMetricChange(t, bugIssues, 1, func() {
		trackIssue(ctx, r, 3, 1, "bug", 0)
		trackIssue(ctx, r, 3, 1, "feature", 0)
	})
	// Users 1, 2 and 3 are already counted this week; 4 is new.
	r.AssertMetricChange(t, weeklyUsers, 1, func() {
		trackIssue(ctx, r, 1, 1, "", 0)
		trackIssue(ctx, r, 4, 1, "", 0)
	})
	// Events of two weeks ago are in the 28-day window but not the 7-day one.
	r.SetNow(r.Now().Add(-14 * 24 * time.Hour))
	r.AssertMetricChange(t, monthlyTotal, 1, func() { trackIssue(ctx, r, 5, 1, "", 0) })
	r.SetNow(DefaultNow)
	if v, err := r.MetricValue(context.Background(), weeklyUsers); err != nil || v != 4 {
		t.Errorf("weekly users = %v, %v; want 4 (user 5 was two weeks ago)", v, err)
	}
	if v, err := r.MetricValue(context.Background(), monthlyTotal); err != nil || v != 8 {
		t.Errorf("monthly total = %v, %v; want 8", v, err)
	}
}

func TestInstallDefault(t *testing.T) {
	r := New(t)
	r.InstallDefault(t)
	// A context without a tracker uses the default.
	trackIssue(context.Background(), r, 1, 1, "", 0)
	r.AssertTracked(t, "issue_created", User(1))
}

func TestMetricLookup(t *testing.T) {
	ds := []*metric.Descriptor{totalIssues, bugIssues}
	if d := Metric(t, ds, "counts.bugs"); d != bugIssues {
		t.Errorf("Metric returned %v", d)
	}
}

func ExampleEvent_String() {
	e := Event{Name: "issue_created", Record: event.Record{User: 7, Project: 70, Label: "bug", Value: 2, HasValue: true,
		Custom: []event.Prop{{Name: "confidential", Value: event.BoolValue(true)}}}}
	fmt.Println(e)
	// Output: issue_created{user=7 project=70 label="bug" value=2 confidential=true}
}
