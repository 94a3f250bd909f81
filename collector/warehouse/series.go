package warehouse

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What the dashboards read: weekly series of a metric across instances,
// the latest values of every metric, instances, version adoption and the
// weekly counts of event records. An instance counts once a week: when it
// sent more than one ping in a week (a reinstall, a manual ping), its
// latest of that week is the one read, so no instance weighs double. (A
// metric's own series reads the latest ping of the week that has the
// metric, which is the same unless a later ping left it out.)

// Failed is the value a ping reports for a metric that failed.
const Failed = -1

// WeekStat is one ISO week of a metric over the instances whose week's
// ping has it.
type WeekStat struct {
	// Week is the ISO week, "2026-W47".
	Week string
	// Total is the sum of the values reported, failures left out.
	Total float64
	// Median is the median of those values, per instance; NaN when no
	// instance reported one.
	Median float64
	// Instances is how many instances reported a value (not -1).
	Instances int
	// Failed is how many instances reported -1.
	Failed int
}

// Group is a series of one value of a split (a version, a tier).
type Group struct {
	Name  string
	Weeks []WeekStat
}

// Series is a metric's weekly series: over every instance, and split by
// version and by tier (edition). Every series has the same weeks, those in
// which the source stored any ping, oldest first; a week in which no
// instance of a group reported the metric has zero instances.
type Series struct {
	KeyPath   string
	Weeks     []WeekStat
	ByVersion []Group // in version order (17.2 before 17.10)
	ByTier    []Group // by name
}

// latestPings is the SQL of a common table expression "latest": the ids,
// weeks, versions and editions of the last ping of each instance in each
// week, of source (the first placeholder), from the week of the second
// placeholder up to but not including the third.
func (w *Warehouse) latestPings() string {
	return fmt.Sprintf(`latest AS (
		SELECT id, uuid, week, version, edition FROM (
			SELECT id, uuid, week, version, edition,
				ROW_NUMBER() OVER (PARTITION BY uuid, week ORDER BY recorded_at DESC, id DESC) AS n
			FROM pings WHERE source = %s AND week >= %s AND week < %s
		) ranked WHERE n = 1)`, w.d.ph(1), w.d.ph(2), w.d.ph(3))
}

// Weeks are the bounds of a query over weeks: From and To are ISO weeks
// ("2026-W01"), From included and To excluded; "" leaves that end open.
type Weeks struct {
	From, To string
}

// args are the bounds as query arguments; an open end compares as a week
// before or after every week.
func (r Weeks) args() (string, string) {
	from, to := r.From, r.To
	if to == "" {
		to = "9999-W99"
	}
	return from, to
}

var nan = math.NaN()

// PingWeeks returns the weeks, oldest first, in which pings of source were
// stored, within r.
func (w *Warehouse) PingWeeks(ctx context.Context, source string, r Weeks) ([]string, error) {
	from, to := r.args()
	rows, err := w.db.QueryContext(ctx, fmt.Sprintf(`SELECT DISTINCT week FROM pings WHERE source = %s AND week >= %s AND week < %s ORDER BY week`,
		w.d.ph(1), w.d.ph(2), w.d.ph(3)), source, from, to)
	if err != nil {
		return nil, fmt.Errorf("warehouse: weeks: %w", err)
	}
	return scanStrings(rows)
}

func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// MetricTotals are the weekly totals of every metric, for the catalogue:
// by key path, one WeekStat per week of Weeks (Median is not computed
// there and is NaN).
type MetricTotals struct {
	Weeks    []string
	KeyPaths map[string][]WeekStat
}

// Totals returns the weekly totals and reporting instances of every
// metric in the pings of source within r.
func (w *Warehouse) Totals(ctx context.Context, source string, r Weeks) (*MetricTotals, error) {
	from, to := r.args()
	weeks, err := w.PingWeeks(ctx, source, r)
	if err != nil {
		return nil, err
	}
	out := &MetricTotals{Weeks: weeks, KeyPaths: map[string][]WeekStat{}}
	if len(weeks) == 0 {
		return out, nil
	}
	sums := `SUM(CASE WHEN v.value <> -1 THEN v.value ELSE 0 END) AS total,
			SUM(CASE WHEN v.value <> -1 THEN 1 ELSE 0 END) AS instances,
			SUM(CASE WHEN v.value = -1 THEN 1 ELSE 0 END) AS failed`
	q := `WITH ` + w.latestPings() + `
		SELECT v.key_path, l.week, ` + sums + `
		FROM latest l JOIN metric_values v ON v.ping_id = l.id
		GROUP BY v.key_path, l.week`
	args := []any{source, from, to}
	if w.d.name == Postgres {
		// The weeks' partitions of the values alone, not every week's,
		// and key paths joined to the sums, not to every value.
		first, err := ParseWeek(weeks[0])
		if err != nil {
			return nil, fmt.Errorf("warehouse: totals: %w", err)
		}
		last, err := ParseWeek(weeks[len(weeks)-1])
		if err != nil {
			return nil, fmt.Errorf("warehouse: totals: %w", err)
		}
		q = `WITH ` + w.latestPings() + `
		SELECT k.key_path, t.week, t.total, t.instances, t.failed FROM (
			SELECT v.key_id, l.week, ` + sums + `
			FROM latest l JOIN metric_key_values v ON v.ping_id = l.id
			WHERE v.week >= $4 AND v.week <= $5
			GROUP BY v.key_id, l.week) t
		JOIN metric_keys k ON k.id = t.key_id`
		args = append(args, weekNumber(first), weekNumber(last))
	}
	rows, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("warehouse: totals: %w", err)
	}
	defer rows.Close()
	index := make(map[string]int, len(weeks))
	for i, wk := range weeks {
		index[wk] = i
	}
	for rows.Next() {
		var kp, wk string
		var st WeekStat
		if err := rows.Scan(&kp, &wk, &st.Total, &st.Instances, &st.Failed); err != nil {
			return nil, fmt.Errorf("warehouse: totals: %w", err)
		}
		ws, ok := out.KeyPaths[kp]
		if !ok {
			ws = make([]WeekStat, len(weeks))
			for i := range ws {
				ws[i] = WeekStat{Week: weeks[i], Median: nan}
			}
			out.KeyPaths[kp] = ws
		}
		st.Week, st.Median = wk, nan
		ws[index[wk]] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: totals: %w", err)
	}
	return out, nil
}

// VersionWeek is how many instances ran a version in a week.
type VersionWeek struct {
	Week, Version string
	Instances     int
}

// VersionAdoption returns, per week of r and version, how many instances
// sent their week's ping from that version, by week then version order.
func (w *Warehouse) VersionAdoption(ctx context.Context, r Weeks) ([]VersionWeek, error) {
	from, to := r.args()
	rows, err := w.db.QueryContext(ctx, `WITH `+w.latestPings()+`
		SELECT week, version, COUNT(*) FROM latest GROUP BY week, version`, SourcePing, from, to)
	if err != nil {
		return nil, fmt.Errorf("warehouse: version adoption: %w", err)
	}
	defer rows.Close()
	var out []VersionWeek
	for rows.Next() {
		var v VersionWeek
		if err := rows.Scan(&v.Week, &v.Version, &v.Instances); err != nil {
			return nil, fmt.Errorf("warehouse: version adoption: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: version adoption: %w", err)
	}
	slices.SortFunc(out, func(a, b VersionWeek) int {
		if c := strings.Compare(a.Week, b.Week); c != 0 {
			return c
		}
		return CompareVersions(a.Version, b.Version)
	})
	return out, nil
}

// CompareVersions orders versions by their dot-separated numbers (17.2
// before 17.10), and text that is not a number as text.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := range min(len(as), len(bs)) {
		x, xerr := parseUint(as[i])
		y, yerr := parseUint(bs[i])
		if xerr == nil && yerr == nil {
			if x != y {
				return cmpInt(x, y)
			}
			continue
		}
		if c := strings.Compare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return cmpInt(len(as), len(bs))
}

// parseUint reads a version segment that is a number.
func parseUint(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err == nil && (n < 0 || s[0] == '+') {
		err = strconv.ErrSyntax
	}
	return n, err
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Instance is one instance as the instance list shows it.
type Instance struct {
	UUID, Hostname, Version, Edition string
	FirstSeen, LastSeen              time.Time
	// Problems are what the payload schema found wrong with its latest
	// ping.
	Problems []string
	// Failing are the key paths its latest ping reported -1 for, sorted.
	Failing []string
	// Errors are the errors of its latest metadata, by metric name.
	Errors map[string]string
}

// Instances lists the instances that sent pings (not the SaaS instance's
// computed ones), most recently seen first, with what went wrong in their
// latest ping.
func (w *Warehouse) Instances(ctx context.Context) ([]Instance, error) {
	// Each instance's latest ping is read from its end of the index by
	// instance and time, not by grouping every ping.
	latest := `JOIN pings p ON p.id = (SELECT q.id FROM pings q WHERE q.uuid = i.uuid AND q.source = ` + w.d.ph(1) + `
			ORDER BY q.recorded_at DESC LIMIT 1)`
	if w.d.name == Postgres {
		latest = `CROSS JOIN LATERAL (SELECT q.id, q.week, q.problems FROM pings q WHERE q.uuid = i.uuid AND q.source = $1
			ORDER BY q.recorded_at DESC LIMIT 1) p`
	}
	rows, err := w.db.QueryContext(ctx, `SELECT i.uuid, i.hostname, i.version, i.edition, i.first_seen, i.last_seen, p.id, p.week, p.problems,
			(SELECT m.metadata FROM ping_metadata m WHERE m.uuid = i.uuid ORDER BY m.recorded_at DESC LIMIT 1)
		FROM instances i `+latest+`
		ORDER BY i.last_seen DESC, i.uuid`, SourcePing)
	if err != nil {
		return nil, fmt.Errorf("warehouse: instances: %w", err)
	}
	defer rows.Close()
	var out []Instance
	pingIDs := map[int64]int{}
	weekPings := map[string][]int64{}
	for rows.Next() {
		var in Instance
		var first, last any
		var id int64
		var week, problems string
		var meta sql.NullString
		if err := rows.Scan(&in.UUID, &in.Hostname, &in.Version, &in.Edition, &first, &last, &id, &week, &problems, &meta); err != nil {
			return nil, fmt.Errorf("warehouse: instances: %w", err)
		}
		if in.FirstSeen, err = w.d.scanTS(first); err != nil {
			return nil, fmt.Errorf("warehouse: instances: %w", err)
		}
		if in.LastSeen, err = w.d.scanTS(last); err != nil {
			return nil, fmt.Errorf("warehouse: instances: %w", err)
		}
		if err := json.Unmarshal([]byte(problems), &in.Problems); err != nil {
			return nil, fmt.Errorf("warehouse: instances: problems of %s: %w", in.UUID, err)
		}
		in.Errors = metadataErrors(meta.String)
		pingIDs[id] = len(out)
		weekPings[week] = append(weekPings[week], id)
		out = append(out, in)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: instances: %w", err)
	}
	rows.Close()
	if err := w.failedMetrics(ctx, weekPings, func(id int64, keyPath string) {
		if i, ok := pingIDs[id]; ok {
			out[i].Failing = append(out[i].Failing, keyPath)
		}
	}); err != nil {
		return nil, err
	}
	for i := range out {
		slices.Sort(out[i].Failing)
	}
	return out, nil
}

// failedMetrics calls found with each metric that a ping of pings (their
// ids by week) reported failed (-1). Failed values are read through their
// own index by ping (migration 00006); on PostgreSQL one week at a time,
// from its partition alone, as latest pings fall in a week or two.
func (w *Warehouse) failedMetrics(ctx context.Context, pings map[string][]int64, found func(id int64, keyPath string)) error {
	type query struct {
		sql  string
		args []any
	}
	var queries []query
	if w.d.name == Postgres {
		for _, week := range slices.Sorted(maps.Keys(pings)) {
			wk, err := ParseWeek(week)
			if err != nil {
				return fmt.Errorf("warehouse: failed metrics: %w", err)
			}
			queries = append(queries, query{`SELECT v.ping_id, k.key_path FROM metric_key_values v JOIN metric_keys k ON k.id = v.key_id
				WHERE v.week = $1 AND v.value = -1 AND v.ping_id = ANY($2)`, []any{weekNumber(wk), pings[week]}})
		}
	} else if len(pings) > 0 {
		var all []int64
		for _, ids := range pings {
			all = append(all, ids...)
		}
		list, err := json.Marshal(all)
		if err != nil {
			return fmt.Errorf("warehouse: failed metrics: %w", err)
		}
		queries = append(queries, query{`SELECT v.ping_id, k.key_path FROM metric_key_values v JOIN metric_keys k ON k.id = v.key_id
			WHERE v.value = -1 AND v.ping_id IN (SELECT value FROM json_each(?))`, []any{string(list)}})
	}
	for _, q := range queries {
		if err := w.eachFailed(ctx, q.sql, q.args, found); err != nil {
			return err
		}
	}
	return nil
}

func (w *Warehouse) eachFailed(ctx context.Context, q string, args []any, found func(id int64, keyPath string)) error {
	rows, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("warehouse: failed metrics: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var kp string
		if err := rows.Scan(&id, &kp); err != nil {
			return fmt.Errorf("warehouse: failed metrics: %w", err)
		}
		found(id, kp)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("warehouse: failed metrics: %w", err)
	}
	return nil
}

// metadataErrors reads the errors of a metadata document; a document that
// does not decode has none.
func metadataErrors(doc string) map[string]string {
	var m struct {
		Metadata struct {
			Metrics []struct {
				Name  string `json:"name"`
				Error string `json:"error"`
			} `json:"metrics"`
		} `json:"metadata"`
	}
	if doc == "" || json.Unmarshal([]byte(doc), &m) != nil {
		return nil
	}
	var out map[string]string
	for _, e := range m.Metadata.Metrics {
		if e.Error != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[e.Name] = e.Error
		}
	}
	return out
}

// HasMetric reports whether any ping holds a value of the metric at
// keyPath.
func (w *Warehouse) HasMetric(ctx context.Context, keyPath string) (bool, error) {
	var one int
	err := w.db.QueryRowContext(ctx, `SELECT 1 FROM metric_values WHERE key_path = `+w.d.ph(1)+` LIMIT 1`, keyPath).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("warehouse: metric %s: %w", keyPath, err)
	}
	return true, nil
}

// PingWeek is one week's pings of a source: how many there are and their
// lowest and highest ids. The count changes whenever a ping of the week
// is stored, so that what was computed from the week can be kept until it
// does; the ids bound where the week's values lie.
type PingWeek struct {
	Week         string
	Pings        int
	MinID, MaxID int64
}

// PingWeekStamps returns the weeks of r with pings of source, oldest
// first, each with its count and lowest and highest ids.
func (w *Warehouse) PingWeekStamps(ctx context.Context, source string, r Weeks) ([]PingWeek, error) {
	from, to := r.args()
	rows, err := w.db.QueryContext(ctx, fmt.Sprintf(`SELECT week, COUNT(*), MIN(id), MAX(id) FROM pings WHERE source = %s AND week >= %s AND week < %s
		GROUP BY week ORDER BY week`, w.d.ph(1), w.d.ph(2), w.d.ph(3)), source, from, to)
	if err != nil {
		return nil, fmt.Errorf("warehouse: weeks: %w", err)
	}
	defer rows.Close()
	var out []PingWeek
	for rows.Next() {
		var p PingWeek
		if err := rows.Scan(&p.Week, &p.Pings, &p.MinID, &p.MaxID); err != nil {
			return nil, fmt.Errorf("warehouse: weeks: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// VersionFirst is the first week in which an instance sent a ping from a
// version.
type VersionFirst struct {
	Version, Week string
}

// VersionFirstWeeks returns the first week of every version the
// instances' pings name, in version order.
func (w *Warehouse) VersionFirstWeeks(ctx context.Context) ([]VersionFirst, error) {
	rows, err := w.db.QueryContext(ctx, `SELECT version, MIN(week) FROM pings WHERE source = `+w.d.ph(1)+` GROUP BY version`, SourcePing)
	if err != nil {
		return nil, fmt.Errorf("warehouse: versions: %w", err)
	}
	defer rows.Close()
	var out []VersionFirst
	for rows.Next() {
		var v VersionFirst
		if err := rows.Scan(&v.Version, &v.Week); err != nil {
			return nil, fmt.Errorf("warehouse: versions: %w", err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("warehouse: versions: %w", err)
	}
	slices.SortFunc(out, func(a, b VersionFirst) int { return CompareVersions(a.Version, b.Version) })
	return out, nil
}
