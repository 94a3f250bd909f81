package generated_test

import (
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/track"
)

// A typed Track call: the identifiers are distinct types, so passing a
// project where the user belongs does not compile, and the properties are a
// struct with typed fields. The call updates the all-time and weekly totals
// and the keys of every metric whose filter matches.
func ExampleTrackCreateIssue() {
	ctx := context.Background()
	monday := time.Date(2026, time.November, 16, 9, 0, 0, 0, time.UTC) // ISO week 2026-47
	clock := func() time.Time { return monday }
	store := memstore.New(memstore.Options{Now: clock})
	tracker := track.New(track.Options{Store: store, Sync: true, Now: clock})
	defer tracker.Close(ctx)
	ctx = track.NewContext(ctx, tracker)

	generated.TrackCreateIssue(ctx, event.UserID(7), event.ProjectID(42), event.NamespaceID(3),
		generated.CreateIssueProperties{Label: "incident", Property: "web", Confidential: true, Weight: 2})

	for _, key := range store.Keys() {
		fmt.Println(key)
	}
	// Output:
	// {event_counters}_create_issue
	// {event_counters}_create_issue-2026-47
	// {event_counters}_create_issue-filter:[confidential:true]
	// {hll_counters}_create_issue-user-2026-47
}

// A metric descriptor and its typed calculator: the descriptor says where
// the value comes from, the calculator returns it as the declared type.
func ExampleMetrics() {
	ctx := context.Background()
	monday := time.Date(2026, time.November, 16, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return monday }
	store := memstore.New(memstore.Options{Now: clock})
	tracker := track.New(track.Options{Store: store, Sync: true, Now: clock})
	defer tracker.Close(ctx)
	ctx = track.NewContext(ctx, tracker)
	for user := range event.UserID(3) {
		generated.TrackCreateIssue(ctx, user+1, 42, 3, generated.CreateIssueProperties{Confidential: user > 0})
	}

	for _, d := range generated.Metrics(nil) {
		if d.KeyPath == "counts.count_total_confidential_issues" {
			fmt.Println(d.KeyPath, d.TimeFrame, d.DataSource, d.Status)
			for _, r := range d.Events {
				fmt.Printf("event %s, filter [%s]\n", r.Event, r.Filter)
			}
		}
	}
	// A week later the engine reads the complete week.
	engine := metric.NewEngine(metric.EngineOptions{Store: store, Now: func() time.Time { return monday.AddDate(0, 0, 7) }})
	confidential, err := generated.CountsCountTotalConfidentialIssues(ctx, engine)
	fmt.Println(confidential, err)
	users, err := generated.RedisHLLCountersCountDistinctUserIDFromIssueActionsWeekly(ctx, engine)
	fmt.Println(users, err)
	// Output:
	// counts.count_total_confidential_issues all internal_events active
	// event create_issue, filter [confidential:true]
	// 2 <nil>
	// 3 <nil>
}
