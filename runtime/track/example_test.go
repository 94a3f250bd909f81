package track_test

import (
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/track"
)

// An event as the generator describes it: its total, all time and weekly,
// and a weekly count of distinct users.
var issueCreated = &event.Descriptor{
	Name: "issue_created",
	Updates: []event.Update{
		{Kind: event.Total, Key: keys.Counter("issue_created", nil), AllTime: true, Weekly: true},
		{Kind: event.UniqueCount, Unique: event.UniqueUser, Key: keys.Unique("issue_created", nil, event.UniqueUser), Weekly: true},
	},
	Always: 0b11,
}

func Example() {
	now := func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }
	ms := memstore.New(memstore.Options{Now: now})
	tr := track.New(track.Options{Store: ms, Now: now})
	ctx := track.NewContext(context.Background(), tr)

	// What a generated TrackIssueCreated does, four times by two users.
	for _, user := range []event.UserID{1, 2, 1, 1} {
		rec := event.Record{User: user}
		track.From(ctx).Track(ctx, issueCreated, &rec)
	}
	if err := tr.Close(ctx); err != nil {
		fmt.Println(err)
	}

	total, _ := ms.Get("{event_counters}_issue_created")
	weekly, _ := ms.Get("{event_counters}_issue_created-2026-48")
	fmt.Println("total", total, "this week", weekly)
	fmt.Println("distinct users", ms.Count("{hll_counters}_issue_created-user-2026-48"))
	s := tr.Stats()
	fmt.Println("tracked", s.Tracked, "flushed", s.Flushed, "dropped", s.Dropped)
	// Output:
	// total 4 this week 4
	// distinct users 2
	// tracked 4 flushed 4 dropped 0
}

// Errors never reach the code that tracks; a handler hears about them, at
// most once a minute for each kind by default.
func ExampleOptions_errorHandler() {
	tr := track.New(track.Options{
		MaxPendingBytes: 1, // nothing fits: every event is dropped
		FlushInterval:   -1,
		ErrorHandler:    func(err error) { fmt.Println("tracking:", err) },
	})
	ctx := context.Background()
	tr.Track(ctx, issueCreated, &event.Record{User: 1})
	tr.Flush(ctx)
	fmt.Println("dropped", tr.Stats().Dropped)
	// Output:
	// tracking: track: events dropped: 1 events since the last report: pending work reached 1 bytes, or tracked after Close
	// dropped 1
}
