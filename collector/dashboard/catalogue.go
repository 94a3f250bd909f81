package dashboard

import (
	"context"
	"math"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator/model"
)

// entry is one metric of the catalogue.
type entry struct {
	KeyPath      string   `json:"key_path"`
	Description  string   `json:"description"`
	ProductGroup string   `json:"product_group"`
	Categories   []string `json:"product_categories"`
	DataSource   string   `json:"data_source"`
	Status       string   `json:"status"`
	TimeFrame    string   `json:"time_frame"`
	Tiers        []string `json:"tiers"`
	// Defined is false for a key path pings carry that no definition has.
	Defined bool `json:"defined"`
	// Week is the latest complete week with pings; Total and Instances
	// are the metric's there (sum over instances, how many reported it),
	// Failed how many reported -1.
	Week      string  `json:"week"`
	Total     float64 `json:"total"`
	Instances int     `json:"instances"`
	Failed    int     `json:"failed"`
	// Sparkline is the weekly totals up to Week, oldest first; null for a
	// week in which no instance reported the metric.
	Sparkline []*float64 `json:"sparkline"`
}

// filter is what the catalogue is narrowed to: words to search for in the
// key path and description (all must appear), and one value per facet
// ("" for any).
type filter struct {
	Q, Group, Category, Source, Status, TimeFrame, Tier string
}

// filterOf reads a filter from a request's query.
func filterOf(q url.Values) filter {
	return filter{Q: strings.TrimSpace(q.Get("q")), Group: q.Get("group"), Category: q.Get("category"), Source: q.Get("source"),
		Status: q.Get("status"), TimeFrame: q.Get("timeframe"), Tier: q.Get("tier")}
}

// match reports whether e passes f.
func (f filter) match(e *entry) bool {
	text := strings.ToLower(e.KeyPath + " " + e.Description)
	for word := range strings.FieldsSeq(strings.ToLower(f.Q)) {
		if !strings.Contains(text, word) {
			return false
		}
	}
	return (f.Group == "" || e.ProductGroup == f.Group) &&
		(f.Category == "" || slices.Contains(e.Categories, f.Category)) &&
		(f.Source == "" || e.DataSource == f.Source) &&
		(f.Status == "" || e.Status == f.Status) &&
		(f.TimeFrame == "" || e.TimeFrame == f.TimeFrame) &&
		(f.Tier == "" || slices.Contains(e.Tiers, f.Tier))
}

// facets are the values each filter offers, from the definitions.
type facets struct {
	Groups, Categories, Sources, Statuses, TimeFrames, Tiers []string
}

func facetsOf(entries []*entry) facets {
	var f facets
	add := func(list *[]string, vs ...string) {
		for _, v := range vs {
			if v != "" && !slices.Contains(*list, v) {
				*list = append(*list, v)
			}
		}
	}
	for _, e := range entries {
		add(&f.Groups, e.ProductGroup)
		add(&f.Categories, e.Categories...)
		add(&f.Sources, e.DataSource)
		add(&f.Statuses, e.Status)
		add(&f.TimeFrames, e.TimeFrame)
		add(&f.Tiers, e.Tiers...)
	}
	for _, l := range []*[]string{&f.Groups, &f.Categories, &f.Sources, &f.Statuses, &f.TimeFrames, &f.Tiers} {
		slices.Sort(*l)
	}
	return f
}

// definitionEntry is the catalogue's view of a definition.
func definitionEntry(m *model.Metric) *entry {
	return &entry{
		KeyPath: m.KeyPath, Description: m.Description, ProductGroup: m.ProductGroup,
		Categories: orEmpty(m.ProductCategories), DataSource: m.DataSource, Status: string(m.Status),
		TimeFrame: string(m.TimeFrame), Tiers: orEmpty(m.Tiers), Defined: true,
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// weekTotals are every metric's totals of one week, and the stamp of the
// week's pings they were computed from.
type weekTotals struct {
	stamp    warehouse.PingWeek
	keyPaths map[string]warehouse.WeekStat
}

// totalsCache keeps the weekly totals of the catalogue's weeks: summing
// every value of every metric is the catalogue's whole cost, and a week's
// totals change only when a ping of it is stored, which its stamp tells.
type totalsCache struct {
	mu    sync.Mutex // held while computing, so concurrent requests wait for one computation
	weeks map[string]weekTotals
}

// totals returns the totals of the last n weeks with pings before the
// current week, oldest first, computing those of the weeks whose pings
// changed since they were last computed.
func (d *Dashboard) totals(ctx context.Context, n int) ([]weekTotals, error) {
	stamps, err := d.w.PingWeekStamps(ctx, warehouse.SourcePing, warehouse.Weeks{To: d.currentWeek().String()})
	if err != nil {
		return nil, err
	}
	if len(stamps) > n {
		stamps = stamps[len(stamps)-n:]
	}
	c := &d.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	var stale []string
	for _, st := range stamps {
		if c.weeks[st.Week].stamp != st {
			stale = append(stale, st.Week)
		}
	}
	if len(stale) > 0 {
		last, err := warehouse.ParseWeek(stale[len(stale)-1])
		if err != nil {
			return nil, err
		}
		tot, err := d.w.Totals(ctx, warehouse.SourcePing, warehouse.Weeks{From: stale[0], To: last.Add(1).String()})
		if err != nil {
			return nil, err
		}
		fresh := map[string]map[string]warehouse.WeekStat{}
		for _, wk := range tot.Weeks {
			fresh[wk] = map[string]warehouse.WeekStat{}
		}
		for kp, stats := range tot.KeyPaths {
			for _, st := range stats {
				if st.Instances > 0 || st.Failed > 0 {
					fresh[st.Week][kp] = st
				}
			}
		}
		for _, st := range stamps {
			if kps, ok := fresh[st.Week]; ok {
				c.weeks[st.Week] = weekTotals{stamp: st, keyPaths: kps}
			}
		}
	}
	out := make([]weekTotals, len(stamps))
	keep := make(map[string]weekTotals, len(stamps))
	for i, st := range stamps {
		out[i] = c.weeks[st.Week]
		keep[st.Week] = out[i]
	}
	c.weeks = keep // weeks that left the window
	return out, nil
}

// catalogue is every metric of the definitions, and every key path the
// pings carry that none defines, by key path, with their latest values.
func (d *Dashboard) catalogue(ctx context.Context) ([]*entry, error) {
	byKey := map[string]*entry{}
	if d.opt.Set != nil {
		for _, m := range d.opt.Set.Metrics {
			byKey[m.KeyPath] = definitionEntry(m)
		}
	}
	weeks, err := d.totals(ctx, d.opt.SparklineWeeks)
	if err != nil {
		return nil, err
	}
	for i, wt := range weeks {
		for kp, st := range wt.keyPaths {
			e := byKey[kp]
			if e == nil {
				e = &entry{KeyPath: kp, Status: "undefined", Categories: []string{}, Tiers: []string{}}
				byKey[kp] = e
			}
			if e.Sparkline == nil {
				e.Sparkline = make([]*float64, len(weeks))
			}
			if st.Instances > 0 {
				e.Sparkline[i] = &st.Total
			}
		}
	}
	if len(weeks) > 0 {
		last := weeks[len(weeks)-1]
		for _, e := range byKey {
			if e.Sparkline == nil {
				continue // not in any week: no value to show
			}
			st := last.keyPaths[e.KeyPath]
			e.Week, e.Total, e.Instances, e.Failed = last.stamp.Week, st.Total, st.Instances, st.Failed
		}
	}
	out := make([]*entry, 0, len(byKey))
	for _, e := range byKey {
		if e.Sparkline == nil {
			e.Sparkline = []*float64{}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *entry) int { return strings.Compare(a.KeyPath, b.KeyPath) })
	return out, nil
}

// sparkline is the SVG polyline points of a sparkline in a width × height
// box; a week without a value breaks the line, so it is one polyline per
// run of values.
func sparkline(vals []*float64, width, height float64) []string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vals {
		if v != nil {
			lo, hi = min(lo, *v), max(hi, *v)
		}
	}
	if math.IsInf(lo, 1) {
		return nil
	}
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	step := width / float64(max(len(vals)-1, 1))
	var out []string
	var cur strings.Builder
	for i, v := range vals {
		if v == nil {
			if cur.Len() > 0 {
				out = append(out, cur.String())
				cur.Reset()
			}
			continue
		}
		if cur.Len() > 0 {
			cur.WriteByte(' ')
		}
		x := float64(i) * step
		y := 1 + (height-2)*(1-(*v-lo)/(hi-lo))
		cur.WriteString(formatCoord(x) + "," + formatCoord(y))
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}
