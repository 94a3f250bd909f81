package ping_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/ping"
	"github.com/usagekit/usagekit/runtime/store/memstore"
)

// A payload nests values by key_path, carries the instance facts at the top
// level, and reports a failing metric as -1 with its error in the metadata.
func ExamplePinger_Build() {
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	p := ping.New(ping.Options{
		Engine:   metric.NewEngine(metric.EngineOptions{Store: memstore.New(memstore.Options{}), Now: now}),
		Instance: ping.Instance{UUID: "5f1e...", Hostname: "forge.example.com", Version: "2.3.0"},
		Metrics: []*metric.Descriptor{
			{KeyPath: "counts.issues_monthly", TimeFrame: metric.Monthly, DataSource: "internal_events", Status: metric.Active,
				DataCategory: ping.Optional, Events: []metric.EventRule{{Event: "create_issue"}}},
			{KeyPath: "settings.plan", TimeFrame: metric.None, DataSource: "license", Status: metric.Active, DataCategory: ping.Subscription,
				Value: func(context.Context) (any, error) { return nil, errors.New("no license") }},
			{KeyPath: "counts.old", TimeFrame: metric.AllTime, DataSource: "internal_events", Status: metric.Removed,
				Events: []metric.EventRule{{Event: "create_issue"}}},
		},
	})
	pl, _ := p.Build(context.Background())
	b, _ := json.MarshalIndent(pl, "", "  ")
	fmt.Println(string(b))
	for _, m := range pl.Metrics {
		if m.Error != "" {
			fmt.Println(m.Name, "failed:", m.Error)
		}
	}
	// Output:
	// {
	//   "counts": {
	//     "issues_monthly": 0
	//   },
	//   "hostname": "forge.example.com",
	//   "recorded_at": "2026-11-25T12:00:00Z",
	//   "settings": {
	//     "plan": -1
	//   },
	//   "uuid": "5f1e...",
	//   "version": "2.3.0"
	// }
	// settings.plan failed: no license
}

// Every instance sends at its own time of the week, derived from its UUID.
func ExampleSlotOf() {
	s := ping.SlotOf("7b0e4a64-7d1c-4a1e-9a59-3d3c1f0a9b11")
	fmt.Println(s)
	fmt.Println(s.Next(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)))
	// Output:
	// Monday 09:42 UTC
	// 2026-11-30 09:42:00 +0000 UTC
}
