package generated_test

import (
	"context"
	"testing"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/track/tracktest"
)

// createIssue stands for application code: it does its work and tracks the
// event with the generated function.
func createIssue(ctx context.Context, user event.UserID, project event.ProjectID, ns event.NamespaceID, confidential bool) {
	generated.TrackCreateIssue(ctx, user, project, ns, generated.CreateIssueProperties{
		Label: "incident", Property: "web", Confidential: confidential, Weight: 2,
	})
}

// TestApplicationCreateIssue is how an application tests its tracking with
// the kit and the generated code: no Redis, no clock games.
func TestApplicationCreateIssue(t *testing.T) {
	rec := tracktest.New(t)
	ctx := rec.Context(context.Background())
	metrics := generated.Metrics(nil)

	rec.AssertMetricChange(t, tracktest.Metric(t, metrics, "counts.count_total_confidential_issues"), 1, func() {
		createIssue(ctx, 1, 10, 100, true) // the application's code, which calls generated.TrackCreateIssue
		createIssue(ctx, 1, 10, 100, false)
	})
	rec.AssertTracked(t, "create_issue", tracktest.User(1), tracktest.Project(10), tracktest.Namespace(100),
		tracktest.Label("incident"), tracktest.Property("web"), tracktest.Custom("confidential", true), tracktest.Custom("weight", int64(2)))
	rec.AssertTrackedTimes(t, "create_issue", 2)
	rec.AssertNotTracked(t, "close_issue")

	// Each round adds one new user to the issue actions of the week and of
	// the month; user 1 is already counted, and so is the previous round's.
	for i, key := range []string{
		"redis_hll_counters.count_distinct_user_id_from_issue_actions_weekly",
		"redis_hll_counters.count_distinct_user_id_from_issue_actions_monthly",
	} {
		rec.AssertMetricChange(t, tracktest.Metric(t, metrics, key), 1, func() {
			createIssue(ctx, 1, 10, 100, false)
			createIssue(ctx, event.UserID(2+i), 10, 100, false)
		})
	}
	rec.AssertMetricChange(t, tracktest.Metric(t, metrics, "counts.count_total_create_issue"), 6, func() {
		for range 6 {
			createIssue(ctx, 3, 10, 100, false)
		}
	})
}
