package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// A metric's series is kept, week by week, in metric_weeks: reading it
// from the values means reading every instance's value of every week
// (100,000 rows for 1,000 instances over two years), while a week's stats
// change only when a ping of that week is stored. Each kept week carries
// the stamp of the pings it was computed from; a week whose pings' stamp
// differs (the current week, as pings arrive) is computed again from its
// values alone, and kept in its turn.

// The splits of a week's stats, as metric_weeks names them; "" is the
// stats over every instance.
const (
	splitVersion = "version"
	splitTier    = "tier"
)

// weekStats are one week of a metric: over every instance and by version
// and by tier, computed from the week's pings of stamp.
type weekStats struct {
	stamp     PingWeek
	all       WeekStat
	byVersion map[string]WeekStat
	byTier    map[string]WeekStat
}

// MetricSeries returns the weekly series of the metric at keyPath in the
// pings of source (SourcePing for the instances' pings, SourceWarehouse for
// the SaaS instance's computed ones) in the weeks of r. A key path no ping
// has gives weeks with zero instances.
func (w *Warehouse) MetricSeries(ctx context.Context, keyPath, source string, r Weeks) (*Series, error) {
	// The stamps are read before the values: a ping stored in between is
	// then left out of the values by its id, or counted in them and not
	// in the stamp, so that its week is computed again; never kept as if
	// it had been read.
	stamps, err := w.PingWeekStamps(ctx, source, r)
	if err != nil {
		return nil, err
	}
	if len(stamps) == 0 {
		return &Series{KeyPath: keyPath}, nil // no ping of the source: nothing to read
	}
	weeks, err := w.keptWeeks(ctx, keyPath, source, stamps[0].Week, stamps[len(stamps)-1].Week)
	if err != nil {
		return nil, err
	}
	var stale []PingWeek
	for _, st := range stamps {
		if ws, ok := weeks[st.Week]; !ok || ws.stamp != st {
			stale = append(stale, st)
		}
	}
	if len(stale) > 0 {
		fresh, err := w.computeWeeks(ctx, keyPath, source, stale)
		if err != nil {
			return nil, err
		}
		maps.Copy(weeks, fresh)
		// The series is read whether or not it can be kept (a read-only
		// replica, a lock timeout): the next read computes it again.
		if err := w.keepWeeks(ctx, keyPath, source, stamps, stale, weeks); err != nil && w.onError != nil {
			w.onError(err)
		}
	}
	return seriesOf(keyPath, stamps, weeks), nil
}

// KeepSeries reads the series of each key path in the pings of source,
// so that the weeks changed since the last read are computed and kept
// before anyone asks: a metric's first read is then as fast as its next.
// What cannot be kept goes to the ErrorHandler, as for any read.
func (w *Warehouse) KeepSeries(ctx context.Context, source string, keyPaths []string) error {
	for _, kp := range keyPaths {
		if _, err := w.MetricSeries(ctx, kp, source, Weeks{}); err != nil {
			return err
		}
	}
	return nil
}

// keptWeeks reads the kept weeks of a metric from first to last, by week.
func (w *Warehouse) keptWeeks(ctx context.Context, keyPath, source, first, last string) (map[string]*weekStats, error) {
	d := w.d
	rows, err := w.db.QueryContext(ctx, fmt.Sprintf(`SELECT week, split, grp, total, median, instances, failed, pings, min_id, max_id
		FROM metric_weeks WHERE key_path = %s AND source = %s AND week >= %s AND week <= %s`, d.ph(1), d.ph(2), d.ph(3), d.ph(4)),
		keyPath, source, first, last)
	if err != nil {
		return nil, fmt.Errorf("warehouse: series of %s: kept weeks: %w", keyPath, err)
	}
	defer rows.Close()
	out := map[string]*weekStats{}
	for rows.Next() {
		var split, grp string
		var st WeekStat
		var median sql.NullFloat64
		var stamp PingWeek
		if err := rows.Scan(&st.Week, &split, &grp, &st.Total, &median, &st.Instances, &st.Failed, &stamp.Pings, &stamp.MinID, &stamp.MaxID); err != nil {
			return nil, fmt.Errorf("warehouse: series of %s: kept weeks: %w", keyPath, err)
		}
		st.Median = nan
		if median.Valid {
			st.Median = median.Float64
		}
		stamp.Week = st.Week
		ws := out[st.Week]
		if ws == nil {
			ws = newWeekStats(stamp)
			out[st.Week] = ws
		}
		if ws.stamp != stamp {
			ws.stamp = PingWeek{} // rows of two computations: computed again
		}
		switch split {
		case "":
			ws.all = st
		case splitVersion:
			ws.byVersion[grp] = st
		case splitTier:
			ws.byTier[grp] = st
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: series of %s: kept weeks: %w", keyPath, err)
	}
	return out, nil
}

func newWeekStats(stamp PingWeek) *weekStats {
	return &weekStats{
		stamp:     stamp,
		all:       WeekStat{Week: stamp.Week, Median: nan},
		byVersion: map[string]WeekStat{},
		byTier:    map[string]WeekStat{},
	}
}

// accumulator sums one week's values of a group, keeping them for their
// median.
type accumulator struct {
	stat WeekStat
	vals []float64
}

func (a *accumulator) add(v float64) {
	if v == Failed {
		a.stat.Failed++
		return
	}
	a.stat.Instances++
	a.stat.Total += v
	a.vals = append(a.vals, v)
}

// weekStat is the accumulated stat of week, with its median.
func (a *accumulator) weekStat(week string) WeekStat {
	st := a.stat
	st.Week, st.Median = week, median(a.vals)
	return st
}

// observation is one instance's value of a metric in one week: the week's
// index in the weeks computed, and its version and tier as indexes of the
// names met so far, so that 100,000 of them hold no strings.
type observation struct {
	wk, version, tier int32
	value             float64
}

// computeWeeks computes the weeks of stale (oldest first) of a metric
// from its values: an instance's latest ping of a week that has the
// metric is the one read.
func (w *Warehouse) computeWeeks(ctx context.Context, keyPath, source string, stale []PingWeek) (map[string]*weekStats, error) {
	index := make(map[string]int32, len(stale))
	lo, hi := stale[0].MinID, stale[0].MaxID
	for i, st := range stale {
		index[st.Week] = int32(i)
		lo, hi = min(lo, st.MinID), max(hi, st.MaxID)
	}
	// The weeks and ids bound the scan of the metric's values to the stale
	// weeks' pings: the current week alone is a thousand rows, not every
	// week's.
	d := w.d
	q := fmt.Sprintf(`SELECT p.id, p.week, p.uuid, p.recorded_at, p.version, p.edition, v.value FROM metric_key_values v JOIN pings p ON p.id = v.ping_id
		WHERE v.key_id = (SELECT id FROM metric_keys WHERE key_path = %s) AND v.ping_id >= %s AND v.ping_id <= %s
			AND p.source = %s AND p.week >= %s AND p.week <= %s`,
		d.ph(1), d.ph(2), d.ph(3), d.ph(4), d.ph(5), d.ph(6))
	args := []any{keyPath, lo, hi, source, stale[0].Week, stale[len(stale)-1].Week}
	if d.name == Postgres {
		// The weeks' partitions alone (SQLite finds the ids in its
		// primary key, key then ping).
		first, err := ParseWeek(stale[0].Week)
		if err != nil {
			return nil, fmt.Errorf("warehouse: series of %s: %w", keyPath, err)
		}
		last, err := ParseWeek(stale[len(stale)-1].Week)
		if err != nil {
			return nil, fmt.Errorf("warehouse: series of %s: %w", keyPath, err)
		}
		q += ` AND v.week >= $7 AND v.week <= $8`
		args = append(args, weekNumber(first), weekNumber(last))
	}
	rows, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("warehouse: series of %s: %w", keyPath, err)
	}
	defer rows.Close()
	// latest[instance][week] is 1 + the position in obs of the
	// instance's latest value of the week, with its time in at.
	var instances, versions, tiers interner
	var latest [][]int32
	var at []time.Time
	var obs []observation
	for rows.Next() {
		var id int64
		var week, uuid, version, tier string
		var o observation
		var ts any
		if err := rows.Scan(&id, &week, &uuid, &ts, &version, &tier, &o.value); err != nil {
			return nil, fmt.Errorf("warehouse: series of %s: %w", keyPath, err)
		}
		wk, ok := index[week]
		if !ok || id < stale[wk].MinID || id > stale[wk].MaxID {
			continue // a week kept already, or a ping stored since the stamps were read
		}
		t, err := d.scanTS(ts)
		if err != nil {
			return nil, fmt.Errorf("warehouse: series of %s: %w", keyPath, err)
		}
		o.wk, o.version, o.tier = wk, versions.id(version), tiers.id(tier)
		in := instances.id(uuid)
		if int(in) == len(latest) {
			latest = append(latest, make([]int32, len(stale)))
		}
		if pos := latest[in][wk]; pos > 0 {
			if t.After(at[pos-1]) {
				obs[pos-1], at[pos-1] = o, t // a later ping of the instance in the same week
			}
			continue
		}
		obs, at = append(obs, o), append(at, t)
		latest[in][wk] = int32(len(obs))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: series of %s: %w", keyPath, err)
	}
	all := make([]accumulator, len(stale))
	byVersion := make([]map[int32]*accumulator, len(stale))
	byTier := make([]map[int32]*accumulator, len(stale))
	group := func(m *map[int32]*accumulator, g int32) *accumulator {
		if *m == nil {
			*m = map[int32]*accumulator{}
		}
		a := (*m)[g]
		if a == nil {
			a = &accumulator{}
			(*m)[g] = a
		}
		return a
	}
	for _, o := range obs {
		all[o.wk].add(o.value)
		group(&byVersion[o.wk], o.version).add(o.value)
		group(&byTier[o.wk], o.tier).add(o.value)
	}
	out := make(map[string]*weekStats, len(stale))
	for i, st := range stale {
		ws := newWeekStats(st)
		ws.all = all[i].weekStat(st.Week)
		for g, a := range byVersion[i] {
			ws.byVersion[versions.names[g]] = a.weekStat(st.Week)
		}
		for g, a := range byTier[i] {
			ws.byTier[tiers.names[g]] = a.weekStat(st.Week)
		}
		out[st.Week] = ws
	}
	return out, nil
}

// keepRows is how many rows of metric_weeks one INSERT carries: 12
// arguments each, under SQLite's limit of 32,766.
const keepRows = 500

// keepWeeks keeps the weeks of stamps from the first stale week to the
// last, in one transaction that replaces what was kept of them.
func (w *Warehouse) keepWeeks(ctx context.Context, keyPath, source string, stamps, stale []PingWeek, weeks map[string]*weekStats) error {
	first, last := stale[0].Week, stale[len(stale)-1].Week
	var args []any
	for _, st := range stamps {
		if st.Week < first || st.Week > last {
			continue
		}
		ws := weeks[st.Week]
		row := func(split, grp string, s WeekStat) {
			var median any
			if s.Median == s.Median { // not NaN
				median = s.Median
			}
			args = append(args, keyPath, source, st.Week, split, grp, s.Total, median, s.Instances, s.Failed, st.Pings, st.MinID, st.MaxID)
		}
		row("", "", ws.all)
		for _, name := range slices.Sorted(maps.Keys(ws.byVersion)) {
			row(splitVersion, name, ws.byVersion[name])
		}
		for _, name := range slices.Sorted(maps.Keys(ws.byTier)) {
			row(splitTier, name, ws.byTier[name])
		}
	}
	const cols = 12
	d := w.d
	err := w.inTx(ctx, func(tx *sql.Tx) error {
		if d.name == Postgres {
			// Two readers computing the same metric keep it one after
			// the other, not interleaved; SQLite has one writer anyway.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, "metric_weeks "+source+" "+keyPath); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`DELETE FROM metric_weeks WHERE key_path = %s AND source = %s AND week >= %s AND week <= %s`,
			d.ph(1), d.ph(2), d.ph(3), d.ph(4)), keyPath, source, first, last); err != nil {
			return err
		}
		for len(args) > 0 {
			n := min(len(args)/cols, keepRows)
			var b strings.Builder
			b.WriteString(`INSERT INTO metric_weeks (key_path, source, week, split, grp, total, median, instances, failed, pings, min_id, max_id) VALUES `)
			for i := range n {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("(" + d.list(i*cols+1, cols) + ")")
			}
			if _, err := tx.ExecContext(ctx, b.String(), args[:n*cols]...); err != nil {
				return err
			}
			args = args[n*cols:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("warehouse: keeping the series of %s from %s to %s: %w", keyPath, first, last, err)
	}
	return nil
}

// seriesOf assembles the series of the weeks of stamps.
func seriesOf(keyPath string, stamps []PingWeek, weeks map[string]*weekStats) *Series {
	s := &Series{KeyPath: keyPath, Weeks: make([]WeekStat, len(stamps))}
	versions, tiers := map[string]bool{}, map[string]bool{}
	for i, st := range stamps {
		ws := weeks[st.Week]
		s.Weeks[i] = ws.all
		for name := range ws.byVersion {
			versions[name] = true
		}
		for name := range ws.byTier {
			tiers[name] = true
		}
	}
	groups := func(names map[string]bool, of func(*weekStats) map[string]WeekStat) []Group {
		out := make([]Group, 0, len(names))
		for name := range names {
			g := Group{Name: name, Weeks: make([]WeekStat, len(stamps))}
			for i, st := range stamps {
				stat, ok := of(weeks[st.Week])[name]
				if !ok {
					stat = WeekStat{Week: st.Week, Median: nan}
				}
				g.Weeks[i] = stat
			}
			out = append(out, g)
		}
		return out
	}
	s.ByVersion = groups(versions, func(ws *weekStats) map[string]WeekStat { return ws.byVersion })
	s.ByTier = groups(tiers, func(ws *weekStats) map[string]WeekStat { return ws.byTier })
	slices.SortFunc(s.ByVersion, func(a, b Group) int {
		if c := CompareVersions(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name) // "17.0" and "17.00"
	})
	slices.SortFunc(s.ByTier, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return s
}

// median is the middle value, or the mean of the two middle ones; NaN of
// none. It sorts vals.
func median(vals []float64) float64 {
	n := len(vals)
	if n == 0 {
		return nan
	}
	slices.Sort(vals)
	if n%2 == 1 {
		return vals[n/2]
	}
	return (vals[n/2-1] + vals[n/2]) / 2
}

// interner numbers names in the order they are first met.
type interner struct {
	index map[string]int32
	names []string
}

func (in *interner) id(name string) int32 {
	if i, ok := in.index[name]; ok {
		return i
	}
	if in.index == nil {
		in.index = map[string]int32{}
	}
	i := int32(len(in.names))
	in.index[name] = i
	in.names = append(in.names, name)
	return i
}
