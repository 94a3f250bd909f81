package record_test

import (
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/track"
)

// A tracker with a record pipeline makes one record per Track call; here
// the sink prints what each record carries.
func Example() {
	sink := record.SinkFunc(func(_ context.Context, b *record.Batch) error {
		for i := range b.Len() {
			r := b.Record(i)
			fmt.Println(r.Event, r.OccurredAt.Format(time.RFC3339), "user", r.Identifiers.User[:16]+"…")
			for _, p := range r.Properties {
				fmt.Printf("  %s = %v (%T)\n", p.Name, p.Value.Any(), p.Value.Any())
			}
		}
		return nil
	})
	records, err := record.New(sink, record.Options{Secret: []byte("an example secret of 32 bytes..."), FlushInterval: -1})
	if err != nil {
		fmt.Println(err)
		return
	}
	tracker := track.New(track.Options{Records: records,
		Now: func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }})
	// What a generated TrackCreateIssue does:
	createIssue := &event.Descriptor{Name: "create_issue", Updates: []event.Update{{Kind: event.Total, Key: "{event_counters}_create_issue", AllTime: true}}, Always: 1}
	r := event.Record{User: 42, Label: "incident"}
	if tracker.WantsCustom() {
		r.Custom = []event.Prop{{Name: "weight", Value: event.IntValue(2)}}
	}
	tracker.Track(context.Background(), createIssue, &r)
	tracker.Close(context.Background())
	// Output:
	// create_issue 2026-11-25T10:00:00Z user b36beb4bd0d92302…
	//   label = incident (string)
	//   weight = 2 (int64)
}
