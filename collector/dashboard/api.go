package dashboard

import (
	"context"
	"encoding/csv"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator/model"
)

// The JSON API. Every handler reads its parameters, answers 400 for a bad
// one and 404 for an unknown metric or event, and gives its table as CSV
// for ?format=csv.

// weekJSON is one week of a metric's series.
type weekJSON struct {
	Week  string  `json:"week"`
	Total float64 `json:"total"`
	// Median is null in a week no instance reported the metric.
	Median    *float64 `json:"median"`
	Instances int      `json:"instances"`
	Failed    int      `json:"failed"`
}

func weeksJSON(ws []warehouse.WeekStat) []weekJSON {
	out := make([]weekJSON, len(ws))
	for i, w := range ws {
		out[i] = weekJSON{Week: w.Week, Total: w.Total, Median: nullable(w.Median), Instances: w.Instances, Failed: w.Failed}
	}
	return out
}

// nullable is v, or nil for NaN (JSON has no NaN).
func nullable(v float64) *float64 {
	if math.IsNaN(v) {
		return nil
	}
	return &v
}

type seriesJSON struct {
	KeyPath string     `json:"key_path"`
	Weeks   []weekJSON `json:"weeks"`
}

type groupJSON struct {
	Name  string     `json:"name"`
	Weeks []weekJSON `json:"weeks"`
}

type splitJSON struct {
	KeyPath string      `json:"key_path"`
	By      string      `json:"by"`
	Groups  []groupJSON `json:"groups"`
}

// format is the answer's format: "json" (default) or "csv".
func format(r *http.Request) (string, error) {
	switch f := r.URL.Query().Get("format"); f {
	case "", "json":
		return "json", nil
	case "csv":
		return "csv", nil
	default:
		return "", badRequest("format %q: want json or csv", f)
	}
}

// weeksOf reads the from and to parameters, ISO weeks bounding a series:
// from included, to excluded.
func weeksOf(q url.Values) (warehouse.Weeks, error) {
	var r warehouse.Weeks
	for _, p := range []struct {
		name string
		dst  *string
	}{{"from", &r.From}, {"to", &r.To}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		if _, err := warehouse.ParseWeek(v); err != nil {
			return r, badRequest("%s %q: want an ISO week such as 2026-W07", p.name, v)
		}
		*p.dst = v
	}
	if r.From != "" && r.To != "" && r.From >= r.To {
		return r, badRequest("from %s is not before to %s", r.From, r.To)
	}
	return r, nil
}

// definition is the definition of the metric at keyPath; nil when none has
// it.
func (d *Dashboard) definition(keyPath string) *model.Metric {
	if d.opt.Set == nil {
		return nil
	}
	for _, m := range d.opt.Set.Metrics {
		if m.KeyPath == keyPath {
			return m
		}
	}
	return nil
}

// knownMetric checks that a metric is defined or in the warehouse.
func (d *Dashboard) knownMetric(ctx context.Context, keyPath string) error {
	if d.definition(keyPath) != nil {
		return nil
	}
	ok, err := d.w.HasMetric(ctx, keyPath)
	if err != nil {
		return err
	}
	if !ok {
		return notFound("no metric %q: no definition has it and no ping reported it", keyPath)
	}
	return nil
}

// seriesRequest reads what every metric endpoint takes: the key path,
// which must be known, the weeks and the format.
func (d *Dashboard) seriesRequest(r *http.Request) (keyPath string, weeks warehouse.Weeks, f string, err error) {
	keyPath = r.PathValue("key_path")
	if f, err = format(r); err != nil {
		return
	}
	if weeks, err = weeksOf(r.URL.Query()); err != nil {
		return
	}
	err = d.knownMetric(r.Context(), keyPath)
	return
}

func (d *Dashboard) apiSeries(w http.ResponseWriter, r *http.Request) {
	d.serveSeries(w, r, warehouse.SourcePing)
}

// apiSaaS is the series of the SaaS instance, computed in the warehouse
// from its records.
func (d *Dashboard) apiSaaS(w http.ResponseWriter, r *http.Request) {
	d.serveSeries(w, r, warehouse.SourceWarehouse)
}

func (d *Dashboard) serveSeries(w http.ResponseWriter, r *http.Request, source string) {
	kp, weeks, f, err := d.seriesRequest(r)
	if err != nil {
		apiError(w, err)
		return
	}
	s, err := d.w.MetricSeries(r.Context(), kp, source, weeks)
	if err != nil {
		apiError(w, err)
		return
	}
	if f == "csv" {
		writeCSV(w, kp+"-"+source+".csv", append([][]string{weekHeader}, weekRows("", s.Weeks)...))
		return
	}
	writeJSON(w, seriesJSON{KeyPath: kp, Weeks: weeksJSON(s.Weeks)})
}

var weekHeader = []string{"week", "total", "median", "instances", "failed"}

// weekRows are the CSV rows of weeks, each led by group when it is not "".
func weekRows(group string, ws []warehouse.WeekStat) [][]string {
	out := make([][]string, len(ws))
	for i, w := range ws {
		row := []string{w.Week, num(w.Total), num(w.Median), strconv.Itoa(w.Instances), strconv.Itoa(w.Failed)}
		if group != "" {
			row = append([]string{group}, row...)
		}
		out[i] = row
	}
	return out
}

// num is a number as CSV has it: "" for none.
func num(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func (d *Dashboard) apiSplit(w http.ResponseWriter, r *http.Request) {
	kp, weeks, f, err := d.seriesRequest(r)
	by := r.URL.Query().Get("by")
	if err == nil && by != "version" && by != "tier" {
		err = badRequest("by %q: want version or tier", by)
	}
	if err != nil {
		apiError(w, err)
		return
	}
	s, err := d.w.MetricSeries(r.Context(), kp, warehouse.SourcePing, weeks)
	if err != nil {
		apiError(w, err)
		return
	}
	groups := s.ByVersion
	if by == "tier" {
		groups = s.ByTier
	}
	if f == "csv" {
		rows := [][]string{append([]string{by}, weekHeader...)}
		for _, g := range groups {
			rows = append(rows, weekRows(orNone(g.Name), g.Weeks)...)
		}
		writeCSV(w, kp+"-by-"+by+".csv", rows)
		return
	}
	writeJSON(w, splitOf(kp, by, groups))
}

// splitOf is the answer of /split.
func splitOf(kp, by string, groups []warehouse.Group) splitJSON {
	out := splitJSON{KeyPath: kp, By: by, Groups: make([]groupJSON, len(groups))}
	for i, g := range groups {
		out.Groups[i] = groupJSON{Name: g.Name, Weeks: weeksJSON(g.Weeks)}
	}
	return out
}

// orNone names an empty group.
func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func (d *Dashboard) apiCompare(w http.ResponseWriter, r *http.Request) {
	kp, _, f, err := d.seriesRequest(r)
	if err != nil {
		apiError(w, err)
		return
	}
	c, err := d.compare(r.Context(), kp, r.URL.Query())
	if err != nil {
		apiError(w, err)
		return
	}
	if f == "csv" {
		rows := [][]string{{"side", "from", "to", "weeks", "mean_total", "mean_median"}}
		for _, s := range []struct {
			name string
			p    period
		}{{"before", c.Before}, {"after", c.After}} {
			rows = append(rows, []string{s.name, s.p.From, s.p.To, strconv.Itoa(s.p.Weeks), numPtr(s.p.Total), numPtr(s.p.Median)})
		}
		writeCSV(w, kp+"-before-after.csv", rows)
		return
	}
	writeJSON(w, c)
}

func numPtr(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

func (d *Dashboard) apiCatalogue(w http.ResponseWriter, r *http.Request) {
	f, err := format(r)
	if err != nil {
		apiError(w, err)
		return
	}
	all, err := d.catalogue(r.Context())
	if err != nil {
		apiError(w, err)
		return
	}
	flt := filterOf(r.URL.Query())
	entries := slices.DeleteFunc(all, func(e *entry) bool { return !flt.match(e) })
	if f == "csv" {
		rows := [][]string{{"key_path", "description", "product_group", "data_source", "status", "time_frame", "week", "total", "instances", "failed"}}
		for _, e := range entries {
			rows = append(rows, []string{e.KeyPath, e.Description, e.ProductGroup, e.DataSource, e.Status, e.TimeFrame, e.Week,
				num(e.Total), strconv.Itoa(e.Instances), strconv.Itoa(e.Failed)})
		}
		writeCSV(w, "metrics.csv", rows)
		return
	}
	writeJSON(w, map[string]any{"metrics": entries})
}

// instanceJSON is one instance of /api/instances.
type instanceJSON struct {
	UUID      string            `json:"uuid"`
	Hostname  string            `json:"hostname"`
	Version   string            `json:"version"`
	Tier      string            `json:"tier"`
	FirstSeen time.Time         `json:"first_seen"`
	LastSeen  time.Time         `json:"last_seen"`
	Problems  []string          `json:"problems"`
	Failing   []string          `json:"failing"`
	Errors    map[string]string `json:"errors"`
}

func (d *Dashboard) apiInstances(w http.ResponseWriter, r *http.Request) {
	f, err := format(r)
	if err != nil {
		apiError(w, err)
		return
	}
	ins, err := d.w.Instances(r.Context())
	if err != nil {
		apiError(w, err)
		return
	}
	if f == "csv" {
		rows := [][]string{{"uuid", "hostname", "version", "tier", "first_seen", "last_seen", "problems", "failing", "errors"}}
		for _, in := range ins {
			rows = append(rows, []string{in.UUID, in.Hostname, in.Version, in.Edition, in.FirstSeen.Format(time.RFC3339),
				in.LastSeen.Format(time.RFC3339), strconv.Itoa(len(in.Problems)), strconv.Itoa(len(in.Failing)), strconv.Itoa(len(in.Errors))})
		}
		writeCSV(w, "instances.csv", rows)
		return
	}
	out := make([]instanceJSON, len(ins))
	for i, in := range ins {
		out[i] = instanceJSON{UUID: in.UUID, Hostname: in.Hostname, Version: in.Version, Tier: in.Edition, FirstSeen: in.FirstSeen,
			LastSeen: in.LastSeen, Problems: orEmpty(in.Problems), Failing: orEmpty(in.Failing), Errors: in.Errors}
		if out[i].Errors == nil {
			out[i].Errors = map[string]string{}
		}
	}
	writeJSON(w, map[string]any{"instances": out})
}

// versionWeekJSON is how many instances ran a version in a week.
type versionWeekJSON struct {
	Week      string `json:"week"`
	Instances int    `json:"instances"`
}

type versionJSON struct {
	Name  string            `json:"name"`
	First string            `json:"first_week"`
	Weeks []versionWeekJSON `json:"weeks"`
}

// adoption is the instances of each version in every week, oldest
// version first, each with the week it first appeared in.
func (d *Dashboard) adoption(ctx context.Context, weeks warehouse.Weeks) ([]versionJSON, error) {
	vw, err := d.w.VersionAdoption(ctx, weeks)
	if err != nil {
		return nil, err
	}
	all, err := d.w.PingWeeks(ctx, warehouse.SourcePing, weeks)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, wk := range all {
		index[wk] = i
	}
	byName := map[string]*versionJSON{}
	var out []*versionJSON
	for _, v := range vw {
		g := byName[v.Version]
		if g == nil {
			g = &versionJSON{Name: v.Version, First: v.Week, Weeks: make([]versionWeekJSON, len(all))}
			for i := range g.Weeks {
				g.Weeks[i].Week = all[i]
			}
			byName[v.Version] = g
			out = append(out, g)
		}
		g.Weeks[index[v.Week]].Instances = v.Instances
	}
	slices.SortFunc(out, func(a, b *versionJSON) int { return warehouse.CompareVersions(a.Name, b.Name) })
	res := make([]versionJSON, len(out))
	for i, g := range out {
		res[i] = *g
	}
	return res, nil
}

func (d *Dashboard) apiVersions(w http.ResponseWriter, r *http.Request) {
	f, err := format(r)
	if err != nil {
		apiError(w, err)
		return
	}
	weeks, err := weeksOf(r.URL.Query())
	if err != nil {
		apiError(w, err)
		return
	}
	vs, err := d.adoption(r.Context(), weeks)
	if err != nil {
		apiError(w, err)
		return
	}
	if f == "csv" {
		rows := [][]string{{"version", "week", "instances"}}
		for _, v := range vs {
			for _, wk := range v.Weeks {
				rows = append(rows, []string{orNone(v.Name), wk.Week, strconv.Itoa(wk.Instances)})
			}
		}
		writeCSV(w, "versions.csv", rows)
		return
	}
	writeJSON(w, map[string]any{"versions": vs})
}

// writeCSV answers rows as a CSV file to download.
func writeCSV(w http.ResponseWriter, name string, rows [][]string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+csvName(name)+`"`)
	cw := csv.NewWriter(w)
	cw.WriteAll(rows) //nolint:errcheck // the client went away
}

// csvName keeps a file name to characters that need no quoting.
func csvName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}
