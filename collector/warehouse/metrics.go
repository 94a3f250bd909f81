package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/metric"
)

// ErrNotEventMetric is reported for a metric the warehouse cannot compute
// from records: it is not an internal_events metric.
var ErrNotEventMetric = errors.New("warehouse: not an event metric")

// EventMetrics computes the event metrics of ds from the records, at time
// now, with the runtime's windows (metric.TimeFrame.Window: 7d the last
// complete ISO week, 28d the last four, all every record up to now).
// Totals count the records that match a rule, sums add their value
// property, unique counts count distinct values of the attribute over
// every rule and week — exactly where Redis's HyperLogLogs estimate (on
// PostgreSQL by their 64-bit hashes: a collision among a million values
// has a chance of 3 in 100 million). A metric that is not an event
// metric, or that fails, has its error in its result; the others are
// computed all the same.
func (w *Warehouse) EventMetrics(ctx context.Context, ds []*metric.Descriptor, now time.Time) []metric.Result {
	out := make([]metric.Result, len(ds))
	for i, d := range ds {
		start := time.Now()
		out[i].KeyPath = d.KeyPath
		out[i].Value, out[i].Err = w.eventMetric(ctx, d, now)
		out[i].Elapsed = time.Since(start)
	}
	return out
}

func (w *Warehouse) eventMetric(ctx context.Context, d *metric.Descriptor, now time.Time) (any, error) {
	q, args, float, err := w.metricQuery(d, now)
	if err != nil {
		return nil, err
	}
	var v sql.NullFloat64
	if err := w.db.QueryRowContext(ctx, q, args...).Scan(&v); err != nil {
		return nil, fmt.Errorf("%s: %w", d.KeyPath, err)
	}
	if float {
		return v.Float64, nil
	}
	return int64(math.Round(v.Float64)), nil
}

// metricQuery is the SQL computing d: one aggregate over the records of
// the window that match any of its rules.
func (w *Warehouse) metricQuery(d *metric.Descriptor, now time.Time) (string, []any, bool, error) {
	if d.DataSource != "internal_events" || len(d.Events) == 0 || d.Application {
		return "", nil, false, fmt.Errorf("%s: %w (data_source %s)", d.KeyPath, ErrNotEventMetric, d.DataSource)
	}
	if !d.TimeFrame.Counts() {
		return "", nil, false, fmt.Errorf("%s: %w: time frame %q counts no events", d.KeyPath, metric.ErrBadMetric, d.TimeFrame)
	}
	b := &queryBuilder{d: w.d}
	kind := d.Events[0].Kind()
	var agg string
	switch kind {
	case event.Total:
		agg = "COUNT(*)"
	case event.Sum:
		agg = "SUM(" + w.d.propNum(b.arg(w.d.propKey("value"))) + ")"
	case event.UniqueCount:
		agg = w.d.countDistinct(b.unique(d.Events[0].Unique))
	}
	var rules []string
	for _, r := range d.Events {
		if r.Kind() != kind {
			return "", nil, false, fmt.Errorf("%s: %w: unique and total rules mixed", d.KeyPath, metric.ErrBadMetric)
		}
		if kind == event.UniqueCount && r.Unique != d.Events[0].Unique {
			return "", nil, false, fmt.Errorf("%s: %w: rules count unique %s and %s", d.KeyPath, metric.ErrBadMetric, d.Events[0].Unique, r.Unique)
		}
		rules = append(rules, b.rule(r))
	}
	where := "(" + strings.Join(rules, " OR ") + ")"
	if weeks := d.TimeFrame.Window(now); weeks != nil {
		from, to := weeks[0].Monday(), weeks[len(weeks)-1].Monday().AddDate(0, 0, 7)
		where += " AND occurred_at >= " + b.arg(w.d.ts(from)) + " AND occurred_at < " + b.arg(w.d.ts(to))
	} else {
		where += " AND occurred_at <= " + b.arg(w.d.ts(now))
	}
	if kind == event.UniqueCount {
		where += " AND " + b.unique(d.Events[0].Unique) + " IS NOT NULL"
	}
	return "SELECT " + agg + " FROM records WHERE " + where, b.args, kind == event.Sum, nil
}

// queryBuilder collects a query's arguments as it writes their
// placeholders.
type queryBuilder struct {
	d    dialect
	args []any
}

func (b *queryBuilder) arg(v any) string {
	b.args = append(b.args, v)
	return b.d.ph(len(b.args))
}

// unique is the SQL of the attribute a unique count counts.
func (b *queryBuilder) unique(u event.Unique) string {
	switch u {
	case event.UniqueUser:
		return "user_id"
	case event.UniqueProject:
		return "project_id"
	case event.UniqueNamespace:
		return "namespace_id"
	}
	return b.d.propText(b.arg(b.d.propKey(u.Property())))
}

// rule is the condition that a record counts for r: its event, and every
// term of its filter.
func (b *queryBuilder) rule(r metric.EventRule) string {
	conds := []string{"event = " + b.arg(r.Event)}
	for _, t := range r.Filter {
		conds = append(conds, b.term(t))
	}
	return "(" + strings.Join(conds, " AND ") + ")"
}

// term is the condition that a record's property equals a filter value.
// Filter values are canonical text; the record holds the typed value, so a
// term matches a string of that text, a number equal to it, or the boolean
// it names — which of them a property can be was settled by validation.
func (b *queryBuilder) term(t event.FilterTerm) string {
	d, key := b.d, b.d.propKey(t.Property)
	alts := []string{"(" + d.propIs(b.arg(key), "string") + " AND " + d.propText(b.arg(key)) + " = " + b.arg(t.Value) + ")"}
	if f, err := strconv.ParseFloat(t.Value, 64); err == nil {
		alts = append(alts, "("+d.propIs(b.arg(key), "number")+" AND "+d.propNum(b.arg(key))+" = "+b.arg(f)+")")
	}
	if t.Value == "true" || t.Value == "false" {
		alts = append(alts, "("+d.propBool(b.arg(key), b.arg(t.Value))+")")
	}
	return "(" + strings.Join(alts, " OR ") + ")"
}
