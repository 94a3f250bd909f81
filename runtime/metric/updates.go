package metric

import (
	"slices"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
)

// Updates derives the Redis updates that tracking the event named action
// performs, from every metric of ds that reads it: update 0 is the
// unfiltered total, all time and weekly, which every event keeps; then, in
// the order of ds and of their rules, each distinct filtered total, sum and
// unique key, with the windows its metrics read. Metrics that are not
// computed (removed ones) add nothing. Generated code holds the result as a
// literal; the engine reads what it writes because both take the key from
// EventRule.Key.
func Updates(action string, ds []*Descriptor) []event.Update {
	ups := []event.Update{{Kind: event.Total, Key: keys.Counter(action, nil), AllTime: true, Weekly: true}}
	for _, d := range ds {
		if !d.Status.Computed() || d.Application {
			continue
		}
		for _, r := range d.Events {
			if r.Event != action {
				continue
			}
			u := event.Update{
				Kind: r.Kind(), Unique: r.Unique, Filter: r.Filter, Key: r.Key(),
				AllTime: d.TimeFrame == AllTime, Weekly: d.TimeFrame.Windowed(),
			}
			i := slices.IndexFunc(ups, func(x event.Update) bool { return x.Kind == u.Kind && x.Key == u.Key })
			if i < 0 {
				ups = append(ups, u)
				continue
			}
			ups[i].AllTime = ups[i].AllTime || u.AllTime
			ups[i].Weekly = ups[i].Weekly || u.Weekly
		}
	}
	return ups
}
