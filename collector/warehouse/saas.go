package warehouse

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/metric"
)

// StoreComputedPing computes the event metrics of ds from the records at
// time now and stores them as a ping of the instance uuid (the SaaS
// instance, whose events arrive as records rather than counts), recorded at
// the start of now's ISO week: one such ping a week, beside the pings
// instances send, and computing it again in the same week stores nothing
// new. Metrics the records cannot give (not event metrics) are left out;
// one that fails reports -1, as in a ping.
func (w *Warehouse) StoreComputedPing(ctx context.Context, uuid, version string, ds []*metric.Descriptor, now time.Time) (Stored, error) {
	var events []*metric.Descriptor
	for _, d := range ds {
		if d.DataSource == "internal_events" && len(d.Events) > 0 && !d.Application && d.Status.Computed() {
			events = append(events, d)
		}
	}
	at := keys.WeekOf(now).Monday()
	doc := map[string]any{"uuid": uuid, "recorded_at": at.Format(time.RFC3339), "version": version}
	var problems []string
	for _, r := range w.EventMetrics(ctx, events, now) {
		v := r.Value
		if r.Err != nil {
			v = -1
			problems = append(problems, fmt.Sprintf("%s: %v", r.KeyPath, r.Err))
		}
		if err := nest(doc, r.KeyPath, v); err != nil {
			return Stored{}, err
		}
	}
	payload, err := json.Marshal(doc)
	if err != nil {
		return Stored{}, fmt.Errorf("warehouse: encoding the computed ping: %w", err)
	}
	return w.StorePing(ctx, Ping{Payload: payload, Problems: problems, Source: SourceWarehouse})
}

// nest sets a value at a dotted key path of a document of nested maps.
func nest(doc map[string]any, keyPath string, v any) error {
	segs := strings.Split(keyPath, ".")
	cur := doc
	for _, s := range segs[:len(segs)-1] {
		next, ok := cur[s].(map[string]any)
		if !ok {
			if _, taken := cur[s]; taken {
				return fmt.Errorf("warehouse: key path %s: %s is a value and a group", keyPath, s)
			}
			next = map[string]any{}
			cur[s] = next
		}
		cur = next
	}
	cur[segs[len(segs)-1]] = v
	return nil
}
