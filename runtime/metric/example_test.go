package metric_test

import (
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/memstore"
)

// Compute reads every event metric of a ping in one store round trip. A
// unique count is the union over all weeks and all events of the metric, so
// a user active in two weeks counts once; the current week never counts.
func ExampleEngine_Compute() {
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // ISO 2026-W48
	st := memstore.New(memstore.Options{Now: func() time.Time { return now }})
	user := keys.Unique("create_issue", nil, event.UniqueUser)
	total := keys.Counter("create_issue", nil)
	st.Apply(ctx, &store.Batch{
		Adds: []store.Add{
			{Key: user + "-2026-46", Members: []string{"1", "2"}},
			{Key: user + "-2026-47", Members: []string{"2", "3"}},
			{Key: user + "-2026-48", Members: []string{"4"}}, // this week
		},
		Incrs: []store.Incr{{Key: total + "-2026-46", By: 2}, {Key: total + "-2026-47", By: 2}, {Key: total + "-2026-48", By: 1}},
	})
	engine := metric.NewEngine(metric.EngineOptions{Store: st, Now: func() time.Time { return now }})
	for _, r := range engine.Compute(ctx, []*metric.Descriptor{
		{KeyPath: "users_monthly", TimeFrame: metric.Monthly, DataSource: "internal_events",
			Events: []metric.EventRule{{Event: "create_issue", Unique: event.UniqueUser}}},
		{KeyPath: "users_weekly", TimeFrame: metric.Weekly, DataSource: "internal_events",
			Events: []metric.EventRule{{Event: "create_issue", Unique: event.UniqueUser}}},
		{KeyPath: "issues_monthly", TimeFrame: metric.Monthly, DataSource: "internal_events",
			Events: []metric.EventRule{{Event: "create_issue"}}},
		{KeyPath: "plan", TimeFrame: metric.None, DataSource: "license",
			Value: func(context.Context) (any, error) { return "premium", nil }},
	}) {
		fmt.Println(r.KeyPath, r.Value, r.Err)
	}
	// Output:
	// users_monthly 3 <nil>
	// users_weekly 2 <nil>
	// issues_monthly 4 <nil>
	// plan premium <nil>
}

// Lookup shows which keys a metric reads.
func ExampleLookup() {
	now := time.Date(2021, 1, 13, 0, 0, 0, 0, time.UTC) // ISO 2021-W02
	l, _ := metric.Lookup(&metric.Descriptor{KeyPath: "k", TimeFrame: metric.Monthly, DataSource: "internal_events",
		Events: []metric.EventRule{{Event: "push", Unique: event.UniqueProject, Filter: event.Filter{{Property: "label", Value: "main"}}}}}, now)
	fmt.Println(l.Unique)
	for _, k := range l.Keys {
		fmt.Println(k)
	}
	// Output:
	// true
	// {hll_counters}_push-filter:[label:main]-project-2020-51
	// {hll_counters}_push-filter:[label:main]-project-2020-52
	// {hll_counters}_push-filter:[label:main]-project-2020-53
	// {hll_counters}_push-filter:[label:main]-project-2021-01
}
