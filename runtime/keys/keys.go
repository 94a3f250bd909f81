// Package keys builds the Redis keys events are counted under. The scheme is
// GitLab's, so data written by either system reads the same:
//
//	{event_counters}_<event>[-filter:[k:v,...]]                       all-time total
//	{event_counters}_<event>[-filter:[k:v,...]]-2024-07               weekly total
//	{event_sums}_<event>-operator:sum(value)[-filter:[...]][-2024-07] sums
//	{hll_counters}_<event>[-filter:[...]]-<attribute>-2024-07         weekly uniques
//
// The braces are Redis Cluster hash tags: each kind lives in one slot, so one
// PFCOUNT can union any number of unique keys.
package keys

import (
	"strconv"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

// Key prefixes, one hash tag per kind.
const (
	CounterPrefix = "{event_counters}_"
	SumPrefix     = "{event_sums}_"
	UniquePrefix  = "{hll_counters}_"
)

// sumOperator is the part of a sum's key that names its operator.
const sumOperator = "-operator:sum(value)"

// WeeklyExpiry is how long weekly keys live: long enough for the 28-day
// window (four complete weeks) plus the current week, with a margin.
const WeeklyExpiry = 6 * 7 * 24 * time.Hour

// withFilter appends "-filter:[k1:v1,k2:v2]" to path when the filter has
// terms. The filter is sorted already (event.NewFilter).
func withFilter(path string, filter event.Filter) string {
	if len(filter) == 0 {
		return path
	}
	return path + "-filter:[" + filter.String() + "]"
}

// Counter is the total-count key without week suffix.
func Counter(name string, filter event.Filter) string {
	return CounterPrefix + withFilter(name, filter)
}

// Sum is the sum(value) key without week suffix. The operator comes before
// the filter, as in GitLab's keys.
func Sum(name string, filter event.Filter) string {
	return SumPrefix + withFilter(name+sumOperator, filter)
}

// Unique is the HyperLogLog key without week suffix: the attribute's key
// part (user, project, namespace, label, property, value) after the filter.
func Unique(name string, filter event.Filter, u event.Unique) string {
	return UniquePrefix + withFilter(name, filter) + "-" + u.KeyPart()
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

// String is the week as ISO 8601 writes it, "2024-W07".
func (w Week) String() string {
	s := strconv.Itoa(w.Year) + "-W"
	if w.Week < 10 {
		s += "0"
	}
	return s + strconv.Itoa(w.Week)
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

// Last returns the n complete weeks before the week of now, oldest first:
// the current week never counts.
func Last(n int, now time.Time) []Week {
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
