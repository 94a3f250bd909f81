// Package tracktest checks, in an application's tests, that code tracks the
// events it should and that metrics move as expected. A Recorder is a
// synchronous tracker on an embedded store plus a sink that keeps every raw
// event, so tests need no Redis:
//
//	func TestExportTracksEvent(t *testing.T) {
//		rec := tracktest.New(t)
//		ctx := rec.Context(context.Background())
//		exportIssues(ctx, user) // calls generated.TrackExportIssues(ctx, ...)
//		rec.AssertTracked(t, "export_issues", tracktest.User(user))
//	}
package tracktest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/track"
)

// DefaultNow is the recorder's initial clock: a fixed Wednesday, so week
// arithmetic in tests never depends on the day they run.
var DefaultNow = time.Date(2026, time.November, 25, 12, 0, 0, 0, time.UTC)

// Event is one tracked event as the recorder saw it.
type Event struct {
	Name   string
	Record event.Record
}

// String describes the event for failure messages.
func (e Event) String() string {
	r := e.Record
	var parts []string
	add := func(cond bool, f string, args ...any) {
		if cond {
			parts = append(parts, fmt.Sprintf(f, args...))
		}
	}
	add(r.User != 0, "user=%d", r.User)
	add(r.Project != 0, "project=%d", r.Project)
	add(r.Namespace != 0, "namespace=%d", r.Namespace)
	add(len(r.FeatureEnabledByNamespaceIDs) > 0, "feature_enabled_by_namespace_ids=%v", r.FeatureEnabledByNamespaceIDs)
	add(r.Label != "", "label=%q", r.Label)
	add(r.Property != "", "property=%q", r.Property)
	add(r.HasValue, "value=%v", r.Value)
	for _, p := range r.Custom {
		parts = append(parts, fmt.Sprintf("%s=%#v", p.Name, p.Value.Any()))
	}
	return e.Name + "{" + strings.Join(parts, " ") + "}"
}

// Recorder records the events tracked through its context and answers
// metric queries over them.
type Recorder struct {
	tracker *track.Tracker
	store   *memstore.Store
	engine  *metric.Engine

	mu     sync.Mutex
	now    time.Time
	events []Event
}

// New returns a recorder whose clock starts at DefaultNow. It is closed when
// the test ends.
func New(t testing.TB) *Recorder {
	t.Helper()
	r := &Recorder{now: DefaultNow}
	r.store = memstore.New(memstore.Options{Now: r.Now})
	r.tracker = track.New(track.Options{
		Store: r.store,
		Sync:  true,
		Now:   r.Now,
		Sink:  r,
		ErrorHandler: func(err error) {
			t.Errorf("tracktest: tracker error: %v", err)
		},
	})
	r.engine = metric.NewEngine(metric.EngineOptions{Store: r.store, Now: r.metricNow})
	t.Cleanup(func() { r.tracker.Close(context.Background()) })
	return r
}

// Context returns ctx carrying the recorder's tracker: generated Track
// functions called with it record here.
func (r *Recorder) Context(ctx context.Context) context.Context {
	return track.NewContext(ctx, r.tracker)
}

// Tracker returns the recorder's tracker, for code that takes a
// *track.Tracker rather than a context.
func (r *Recorder) Tracker() *track.Tracker { return r.tracker }

// Store returns the embedded store holding the recorded counts.
func (r *Recorder) Store() *memstore.Store { return r.store }

// InstallDefault makes the recorder the process-wide default tracker until
// the test ends, for code that tracks with a context that carries no
// tracker. Tests that use it must not run in parallel.
func (r *Recorder) InstallDefault(t testing.TB) {
	prev := track.Default()
	track.SetDefault(r.tracker)
	t.Cleanup(func() { track.SetDefault(prev) })
}

// Now is the recorder's clock, which decides the week events count in.
func (r *Recorder) Now() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.now
}

// SetNow moves the recorder's clock.
func (r *Recorder) SetNow(now time.Time) {
	r.mu.Lock()
	r.now = now
	r.mu.Unlock()
}

// metricNow is the clock metrics are read with: one week after the
// recorder's, so the week events are tracked in is the last complete week
// and counts in 7d and 28d windows as well as in all-time totals.
func (r *Recorder) metricNow() time.Time { return r.Now().Add(7 * 24 * time.Hour) }

// Event implements track.Sink: it keeps a copy of every record.
func (r *Recorder) Event(_ context.Context, name string, rec *event.Record) {
	c := *rec
	c.FeatureEnabledByNamespaceIDs = slices.Clone(rec.FeatureEnabledByNamespaceIDs)
	c.Custom = slices.Clone(rec.Custom)
	r.mu.Lock()
	r.events = append(r.events, Event{Name: name, Record: c})
	r.mu.Unlock()
}

// Events returns every event recorded so far, in order.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

// Reset forgets the recorded events and counts.
func (r *Recorder) Reset() {
	r.mu.Lock()
	r.events = nil
	r.mu.Unlock()
	r.store.Reset()
}

// Match is a condition on a tracked event.
type Match struct {
	desc string
	ok   func(*event.Record) bool
}

// String describes the condition.
func (m Match) String() string { return m.desc }

// User matches events tracked for user.
func User(id event.UserID) Match {
	return Match{fmt.Sprintf("user=%d", id), func(r *event.Record) bool { return r.User == id }}
}

// Project matches events tracked in project.
func Project(id event.ProjectID) Match {
	return Match{fmt.Sprintf("project=%d", id), func(r *event.Record) bool { return r.Project == id }}
}

// Namespace matches events tracked in namespace.
func Namespace(id event.NamespaceID) Match {
	return Match{fmt.Sprintf("namespace=%d", id), func(r *event.Record) bool { return r.Namespace == id }}
}

// Label matches the built-in label property.
func Label(v string) Match {
	return Match{fmt.Sprintf("label=%q", v), func(r *event.Record) bool { return r.Label == v }}
}

// Property matches the built-in property property.
func Property(v string) Match {
	return Match{fmt.Sprintf("property=%q", v), func(r *event.Record) bool { return r.Property == v }}
}

// Value matches the built-in value property, which must have been set.
func Value(v float64) Match {
	return Match{fmt.Sprintf("value=%v", v), func(r *event.Record) bool { return r.HasValue && r.Value == v }}
}

// Custom matches a custom property by name and value, compared with the
// value's Go type (an integer property is an int64, a boolean a bool).
func Custom(name string, v any) Match {
	return Match{fmt.Sprintf("%s=%#v", name, v), func(r *event.Record) bool {
		for _, p := range r.Custom {
			if p.Name == name {
				return reflect.DeepEqual(p.Value.Any(), v)
			}
		}
		return false
	}}
}

// Count returns how many recorded events named name match every condition.
func (r *Recorder) Count(name string, want ...Match) int {
	n := 0
	for _, e := range r.Events() {
		if e.Name == name && matches(&e.Record, want) {
			n++
		}
	}
	return n
}

func matches(rec *event.Record, want []Match) bool {
	for _, m := range want {
		if !m.ok(rec) {
			return false
		}
	}
	return true
}

// AssertTracked fails t unless at least one event named name matching every
// condition was tracked.
func (r *Recorder) AssertTracked(t testing.TB, name string, want ...Match) {
	t.Helper()
	if r.Count(name, want...) == 0 {
		t.Errorf("event %s%s was not tracked; %s", name, describe(want), r.seen(name))
	}
}

// AssertTrackedTimes fails t unless exactly n events named name matching
// every condition were tracked.
func (r *Recorder) AssertTrackedTimes(t testing.TB, name string, n int, want ...Match) {
	t.Helper()
	if got := r.Count(name, want...); got != n {
		t.Errorf("event %s%s tracked %d times, want %d; %s", name, describe(want), got, n, r.seen(name))
	}
}

// AssertNotTracked fails t if any event named name matching every condition
// was tracked.
func (r *Recorder) AssertNotTracked(t testing.TB, name string, want ...Match) {
	t.Helper()
	if n := r.Count(name, want...); n > 0 {
		t.Errorf("event %s%s was tracked %d times, want none; %s", name, describe(want), n, r.seen(name))
	}
}

func describe(want []Match) string {
	if len(want) == 0 {
		return ""
	}
	d := make([]string, len(want))
	for i, m := range want {
		d[i] = m.desc
	}
	return " with " + strings.Join(d, " ")
}

// seen lists the recorded events called name, or all names when none.
func (r *Recorder) seen(name string) string {
	var same []string
	var names []string
	for _, e := range r.Events() {
		if e.Name == name {
			same = append(same, e.String())
		}
		if !slices.Contains(names, e.Name) {
			names = append(names, e.Name)
		}
	}
	switch {
	case len(same) > 0:
		return "tracked: " + strings.Join(same, ", ")
	case len(names) > 0:
		return "events tracked: " + strings.Join(names, ", ")
	}
	return "no events were tracked"
}
