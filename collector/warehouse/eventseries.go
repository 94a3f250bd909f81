package warehouse

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/usagekit/usagekit/runtime/keys"
)

// ErrBadWeek is returned for text that is not an ISO week ("2026-W47").
var ErrBadWeek = errors.New("warehouse: not an ISO week")

// ParseWeek reads an ISO week as keys.Week.String writes it, "2026-W07".
func ParseWeek(s string) (keys.Week, error) {
	year, week, ok := strings.Cut(s, "-W")
	y, yerr := strconv.Atoi(year)
	n, nerr := strconv.Atoi(week)
	if !ok || yerr != nil || nerr != nil || len(year) != 4 || len(week) != 2 || n < 1 || n > 53 {
		return keys.Week{}, fmt.Errorf("%w: %q (want YYYY-Www, as 2026-W07)", ErrBadWeek, s)
	}
	w := keys.Week{Year: y, Week: n}
	if keys.WeekOf(w.Monday()) != w {
		return keys.Week{}, fmt.Errorf("%w: %q: %d has no week %d", ErrBadWeek, s, y, n)
	}
	return w, nil
}

// EventWeek is one ISO week of an event's records.
type EventWeek struct {
	Week string
	// Count is how many records there were; Users how many distinct users
	// (pseudonyms or ids) they name.
	Count, Users int
}

// EventGroup is the weeks of the records whose property has one value.
type EventGroup struct {
	// Value is the property's value as text ("true", "3", "web"); "" for
	// records without it.
	Value string
	Weeks []EventWeek
}

// EventSeries is an event's weekly records: all of them, and split by the
// value of one property when one was asked for. Every series has the same
// weeks, each ISO week from the first with a record to the last, oldest
// first.
type EventSeries struct {
	Event, Property string
	Weeks           []EventWeek
	ByValue         []EventGroup // by value
}

// weekExpr is the SQL of the ISO week of a record's occurred_at.
func (w *Warehouse) weekExpr() string {
	if w.d.name == Postgres {
		return `to_char(occurred_at AT TIME ZONE 'UTC', 'IYYY-"W"IW')`
	}
	return `strftime('%G-W%V', occurred_at)`
}

// propValueExpr is the SQL of property name's value as text, the same
// text on both databases (SQLite's json_extract gives booleans as 1 and 0).
func (b *queryBuilder) propValueExpr(name string) string {
	d, key := b.d, b.d.propKey(name)
	if d.name == Postgres {
		return d.propText(b.arg(key))
	}
	return "CASE json_type(properties, " + b.arg(key) + ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(json_extract(properties, " + b.arg(key) + ") AS TEXT) END"
}

// EventSeries returns the weekly counts and distinct users of the records
// of event in the weeks of r, and, when property is not "", the same split
// by the property's value. Which properties an event has is the
// definitions' business: an undeclared one gives one group, "".
func (w *Warehouse) EventSeries(ctx context.Context, event, property string, r Weeks) (*EventSeries, error) {
	// The value's placeholder comes first: PostgreSQL numbers them in
	// the order the query text has them.
	b := &queryBuilder{d: w.d}
	value := "''"
	if property != "" {
		value = "COALESCE(" + b.propValueExpr(property) + ", '')"
	}
	where := "event = " + b.arg(event)
	for _, bound := range []struct{ week, op string }{{r.From, ">="}, {r.To, "<"}} {
		if bound.week == "" {
			continue
		}
		wk, err := ParseWeek(bound.week)
		if err != nil {
			return nil, err
		}
		where += " AND occurred_at " + bound.op + " " + b.arg(w.d.ts(wk.Monday()))
	}
	q := "SELECT " + w.weekExpr() + ", " + value + ", COUNT(*), COUNT(DISTINCT user_id) FROM records WHERE " + where + " GROUP BY 1, 2"
	rows, err := w.db.QueryContext(ctx, q, b.args...)
	if err != nil {
		return nil, fmt.Errorf("warehouse: records of %s: %w", event, err)
	}
	defer rows.Close()
	type cell struct {
		week, value  string
		count, users int
	}
	var cells []cell
	for rows.Next() {
		var c cell
		if err := rows.Scan(&c.week, &c.value, &c.count, &c.users); err != nil {
			return nil, fmt.Errorf("warehouse: records of %s: %w", event, err)
		}
		cells = append(cells, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: records of %s: %w", event, err)
	}
	out := &EventSeries{Event: event, Property: property}
	if len(cells) == 0 {
		return out, nil
	}
	// Distinct users of a week are not the sum over values (a user may
	// send two values), so the all-records series is its own query when
	// split.
	totals := cells
	if property != "" {
		all, err := w.EventSeries(ctx, event, "", r)
		if err != nil {
			return nil, err
		}
		totals = totals[:0:0]
		for _, ew := range all.Weeks {
			totals = append(totals, cell{week: ew.Week, count: ew.Count, users: ew.Users})
		}
	}
	first, last := cells[0].week, cells[0].week
	for _, c := range cells {
		first, last = min(first, c.week), max(last, c.week)
	}
	weeks, err := weekRange(first, last)
	if err != nil {
		return nil, err
	}
	index := make(map[string]int, len(weeks))
	for i, wk := range weeks {
		index[wk] = i
	}
	blank := func() []EventWeek {
		ws := make([]EventWeek, len(weeks))
		for i := range ws {
			ws[i].Week = weeks[i]
		}
		return ws
	}
	out.Weeks = blank()
	for _, c := range totals {
		if i, ok := index[c.week]; ok {
			out.Weeks[i] = EventWeek{Week: c.week, Count: c.count, Users: c.users}
		}
	}
	if property == "" {
		return out, nil
	}
	byValue := map[string][]EventWeek{}
	for _, c := range cells {
		ws, ok := byValue[c.value]
		if !ok {
			ws = blank()
			byValue[c.value] = ws
		}
		ws[index[c.week]] = EventWeek{Week: c.week, Count: c.count, Users: c.users}
	}
	for _, v := range slices.Sorted(maps.Keys(byValue)) {
		out.ByValue = append(out.ByValue, EventGroup{Value: v, Weeks: byValue[v]})
	}
	return out, nil
}

// weekRange is every ISO week from first to last, both included.
func weekRange(first, last string) ([]string, error) {
	a, err := ParseWeek(first)
	if err != nil {
		return nil, err
	}
	b, err := ParseWeek(last)
	if err != nil {
		return nil, err
	}
	var out []string
	for wk := a; !wk.Monday().After(b.Monday()); wk = wk.Add(1) {
		out = append(out, wk.String())
	}
	return out, nil
}

// EventCount is how many records of an event the warehouse holds, and
// when the last occurred.
type EventCount struct {
	Event string
	Count int
	Last  time.Time
}

// EventCounts lists the events of the stored records with their counts,
// by event.
func (w *Warehouse) EventCounts(ctx context.Context) ([]EventCount, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT event, COUNT(*), MAX(occurred_at) FROM records GROUP BY event ORDER BY event`)
	if err != nil {
		return nil, fmt.Errorf("warehouse: events: %w", err)
	}
	defer rows.Close()
	var out []EventCount
	for rows.Next() {
		var e EventCount
		var last any
		if err := rows.Scan(&e.Event, &e.Count, &last); err != nil {
			return nil, fmt.Errorf("warehouse: events: %w", err)
		}
		if e.Last, err = w.d.scanTS(last); err != nil {
			return nil, fmt.Errorf("warehouse: events: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
