package emit

import (
	"slices"

	"github.com/usagekit/usagekit/runtime/event"
)

// always is the mask of the updates that apply to every record.
func always(ups []event.Update) uint64 {
	var m uint64
	for i, u := range ups {
		if len(u.Filter) == 0 && i < event.MaxUpdates {
			m |= 1 << i
		}
	}
	return m
}

// filterGroup is the updates sharing one filter, so generated code tests
// each distinct filter once.
type filterGroup struct {
	filter event.Filter
	mask   uint64
}

// filterGroups groups the filtered updates by filter, in order of first
// update.
func filterGroups(ups []event.Update) []filterGroup {
	var out []filterGroup
	var seen []string
	for i, u := range ups {
		if len(u.Filter) == 0 || i >= event.MaxUpdates {
			continue
		}
		text := u.Filter.String()
		j := slices.Index(seen, text)
		if j < 0 {
			seen = append(seen, text)
			out = append(out, filterGroup{filter: u.Filter})
			j = len(out) - 1
		}
		out[j].mask |= 1 << i
	}
	return out
}
