package diff_test

import (
	"fmt"

	"github.com/usagekit/usagekit/generator/internal/diff"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

func ExampleCompare() {
	base := &model.Set{Metrics: []*model.Metric{{
		Pos: model.Pos{File: "metrics/users.yml", Line: 1, Col: 1}, File: "metrics/users.yml",
		KeyPath: "counts.users", Status: metric.Active, TimeFrame: metric.Weekly,
		Events: []metric.EventRule{{Event: "page_viewed", Unique: event.UniqueUser}},
	}}}
	head := &model.Set{Metrics: []*model.Metric{{
		Pos: model.Pos{File: "metrics/users.yml", Line: 1, Col: 1}, File: "metrics/users.yml",
		KeyPath: "counts.users", Status: metric.Active, TimeFrame: metric.Monthly,
		Events: []metric.EventRule{{Event: "page_viewed", Unique: event.UniqueUser}},
	}}}
	for _, d := range diff.Compare(base, head) {
		fmt.Println(d.Rule)
		fmt.Println(d)
	}
	// Output:
	// time-frame-changed
	// metrics/users.yml:1:1: time_frame of counts.users changed from 7d to 28d: the series would silently change meaning; add a new key_path and remove this one
}
