package dashboard

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/runtime/keys"
)

// period is one side of a before/after comparison: the weeks from From to
// To (both included) that have pings, and the means of the weekly total
// and median over them; null when there is no week to average.
type period struct {
	From   string   `json:"from"`
	To     string   `json:"to"`
	Weeks  int      `json:"weeks"`
	Total  *float64 `json:"total"`
	Median *float64 `json:"median"`
}

// comparison is the mean of N weeks before a week against the mean of N
// weeks from it on. The week is that of a date, or the first in which any
// instance ran a version.
type comparison struct {
	KeyPath string `json:"key_path"`
	Date    string `json:"date,omitempty"`
	Version string `json:"version,omitempty"`
	At      string `json:"at"`
	N       int    `json:"n"`
	Before  period `json:"before"`
	After   period `json:"after"`
	// TotalChange and MedianChange are in percent of before; null when
	// before is zero or missing.
	TotalChange  *float64 `json:"total_change_percent"`
	MedianChange *float64 `json:"median_change_percent"`
}

// maxCompareWeeks bounds N: a year on each side.
const maxCompareWeeks = 52

// compareParams reads the comparison's parameters: date (YYYY-MM-DD) or
// version, and weeks (N, default 4).
func compareParams(q url.Values) (date, version string, n int, err error) {
	date, version = q.Get("date"), q.Get("version")
	n = 4
	if v := q.Get("weeks"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 || n > maxCompareWeeks {
			return "", "", 0, badRequest("weeks %q: want a whole number from 1 to %d", v, maxCompareWeeks)
		}
	}
	switch {
	case date != "" && version != "":
		return "", "", 0, badRequest("give a date or a version, not both")
	case date == "" && version == "":
		return "", "", 0, badRequest("give a date (YYYY-MM-DD) or a version to compare around")
	case date != "":
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return "", "", 0, badRequest("date %q: want YYYY-MM-DD", date)
		}
	}
	return date, version, n, nil
}

// compare computes the before/after comparison the query asks for.
func (d *Dashboard) compare(ctx context.Context, keyPath string, q url.Values) (*comparison, error) {
	date, version, n, err := compareParams(q)
	if err != nil {
		return nil, err
	}
	c := &comparison{KeyPath: keyPath, Date: date, Version: version, N: n}
	var at keys.Week
	if date != "" {
		t, _ := time.Parse(time.DateOnly, date)
		at = keys.WeekOf(t)
	} else {
		vs, err := d.w.VersionFirstWeeks(ctx)
		if err != nil {
			return nil, err
		}
		first := ""
		for _, v := range vs {
			if v.Version == version {
				first = v.Week
			}
		}
		if first == "" {
			return nil, badRequest("version %q: no instance has sent a ping from it", version)
		}
		if at, err = warehouse.ParseWeek(first); err != nil {
			return nil, err
		}
	}
	c.At = at.String()
	s, err := d.w.MetricSeries(ctx, keyPath, warehouse.SourcePing, warehouse.Weeks{From: at.Add(-n).String(), To: at.Add(n).String()})
	if err != nil {
		return nil, err
	}
	c.Before = mean(s.Weeks, at.Add(-n), at.Add(-1))
	c.After = mean(s.Weeks, at, at.Add(n-1))
	c.TotalChange = change(c.Before.Total, c.After.Total)
	c.MedianChange = change(c.Before.Median, c.After.Median)
	return c, nil
}

// mean averages the weeks of ws from from to to (both included) that
// have pings.
func mean(ws []warehouse.WeekStat, from, to keys.Week) period {
	p := period{From: from.String(), To: to.String()}
	var total, median float64
	medians := 0
	for _, w := range ws {
		if w.Week < p.From || w.Week > p.To {
			continue
		}
		p.Weeks++
		total += w.Total
		if !math.IsNaN(w.Median) {
			median += w.Median
			medians++
		}
	}
	if p.Weeks > 0 {
		t := total / float64(p.Weeks)
		p.Total = &t
	}
	if medians > 0 {
		m := median / float64(medians)
		p.Median = &m
	}
	return p
}

// change is the change from before to after in percent, rounded to a
// tenth; nil when there is nothing to divide by.
func change(before, after *float64) *float64 {
	if before == nil || after == nil || *before == 0 {
		return nil
	}
	c := math.Round((*after-*before) / *before * 1000) / 10
	return &c
}
