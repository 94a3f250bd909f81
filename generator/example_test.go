package generator_test

import (
	"fmt"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
)

// Load returns the model of a clean set of definitions; time-frame lists
// expand into one metric per window.
func ExampleLoad() {
	set, err := generator.Load("internal/load/testdata/example/events", "internal/load/testdata/example/metrics/issues.yml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range set.Metrics {
		fmt.Println(m.KeyPath, m.TimeFrame, m.Events[0].Event, m.Events[0].Unique)
	}
	e := set.Event("create_issue")
	fmt.Println(e.Action, e.Identifiers, len(e.Metrics), "metrics count it")
	// Output:
	// counts.users_creating_issues_monthly 28d create_issue user.id
	// counts.users_creating_issues_weekly 7d create_issue user.id
	// create_issue [user project] 2 metrics count it
}

// Every problem of a run comes back at once, sorted, as path:line:col:
// message; diag.From recovers the list from the error.
func ExampleLoad_problems() {
	_, err := generator.Load("internal/load/testdata/example")
	list, _ := diag.From(err)
	for _, d := range list {
		fmt.Printf("%s [%s]\n", d, d.Rule)
	}
	// Output:
	// internal/load/testdata/example/metrics/broken.yml:7:12: milestone: 17.1 is a number; expected a string (quote it: "17.1") [schema]
	// internal/load/testdata/example/metrics/broken.yml:11:13: time_frame: "30d" is not one of 7d, 28d, all, none [schema]
	// internal/load/testdata/example/metrics/broken.yml:14:5: events[0].name: unknown event "create_isue"; no event definition has this action (did you mean "create_issue"?) [unknown-event]
}

// LoadResult reports counts and problems without failing, for reports.
func ExampleLoadResult() {
	res := generator.LoadResult("internal/load/testdata/example")
	fmt.Println(res.Files, "files,", res.Events, "event,", res.Metrics, "metrics,", len(res.Set.Metrics), "after expansion,", len(res.Diagnostics), "problems")
	// Output:
	// 3 files, 1 event, 2 metrics, 3 after expansion, 3 problems
}
