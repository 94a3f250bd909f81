// Package keys builds the Redis keys events are counted under. The scheme is
// GitLab's, so data written by either system reads the same:
//
//	{event_counters}_<event>[-filter:[k:v,...]]                 all-time total
//	{event_counters}_<event>[-filter:[k:v,...]]-2024-07         weekly total
//	{event_sums}_<event>[-filter:[...]]-operator:sum(value)[-2024-07]
//	{hll_counters}_<event>[-filter:[...]]-<attribute>-2024-07   weekly uniques
//
// The braces are Redis Cluster hash tags: each kind lives in one slot, so one
// PFCOUNT can union any number of unique keys.
package keys

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

// Key prefixes, one hash tag per kind.
const (
	CounterPrefix = "{event_counters}_"
	SumPrefix     = "{event_sums}_"
	UniquePrefix  = "{hll_counters}_"
)

// WeeklyExpiry is how long weekly keys live: long enough for the 28-day
// window (four complete weeks) plus the current week, with a margin.
const WeeklyExpiry = 6 * 7 * 24 * time.Hour

// FilterTerm is one key:value condition of a rule's filter.
type FilterTerm struct {
	Key   string
	Value string
}

// Path is the event part of a key: the event name and, when the rule has a
// filter, "-filter:[k1:v1,k2:v2]" with keys sorted and no spaces.
func Path(event string, filter []FilterTerm) string {
	if len(filter) == 0 {
		return event
	}
	f := slices.Clone(filter)
	slices.SortFunc(f, func(a, b FilterTerm) int { return strings.Compare(a.Key, b.Key) })
	var b strings.Builder
	b.WriteString(event)
	b.WriteString("-filter:[")
	for i, t := range f {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(t.Key)
		b.WriteByte(':')
		b.WriteString(t.Value)
	}
	b.WriteByte(']')
	return b.String()
}

// Counter is the total-count key without week suffix.
func Counter(event string, filter []FilterTerm) string {
	return CounterPrefix + Path(event, filter)
}

// Sum is the sum(value) key without week suffix.
func Sum(event string, filter []FilterTerm) string {
	return SumPrefix + Path(event, filter) + "-operator:sum(value)"
}

// Unique is the HyperLogLog key without week suffix. attribute is the
// definition's unique value (user.id, project.id, namespace.id, label,
// property, value); the ".id" suffix is dropped as GitLab does.
func Unique(event string, filter []FilterTerm, attribute string) string {
	return UniquePrefix + Path(event, filter) + "-" + strings.TrimSuffix(attribute, ".id")
}

// Week is an ISO 8601 week.
type Week struct {
	Year int
	Week int
}

// WeekOf returns the ISO week containing t, in UTC.
func WeekOf(t time.Time) Week {
	y, w := t.UTC().ISOWeek()
	return Week{Year: y, Week: w}
}

// Suffix is "-YYYY-WW", the part appended to weekly keys.
func (w Week) Suffix() string {
	return string(w.AppendSuffix(make([]byte, 0, 8)))
}

// AppendSuffix appends "-YYYY-WW" to b without allocating beyond b's growth.
func (w Week) AppendSuffix(b []byte) []byte {
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(w.Year), 10)
	b = append(b, '-')
	if w.Week < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(w.Week), 10)
}

// Monday returns 00:00 UTC on the Monday that starts w.
func (w Week) Monday() time.Time {
	// January 4th is always in week 1.
	jan4 := time.Date(w.Year, time.January, 4, 0, 0, 0, 0, time.UTC)
	offset := (int(jan4.Weekday()) + 6) % 7 // days since Monday
	return jan4.AddDate(0, 0, -offset+(w.Week-1)*7)
}

// Add returns the week n weeks after w (n may be negative).
func (w Week) Add(n int) Week {
	return WeekOf(w.Monday().AddDate(0, 0, 7*n))
}

// Window returns the complete weeks a time frame covers at time now: 7d is
// the last complete ISO week, 28d the last four, oldest first. The current
// week never counts. Other time frames have no weeks.
func Window(timeFrame string, now time.Time) []Week {
	var n int
	switch timeFrame {
	case "7d":
		n = 1
	case "28d":
		n = 4
	default:
		return nil
	}
	cur := WeekOf(now)
	out := make([]Week, n)
	for i := range n {
		out[i] = cur.Add(i - n)
	}
	return out
}

// Weekly returns key with each week's suffix, in the order of weeks.
func Weekly(key string, weeks []Week) []string {
	out := make([]string, len(weeks))
	for i, w := range weeks {
		out[i] = key + w.Suffix()
	}
	return out
}
