package dashboard

import (
	"bytes"
	"errors"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator/model"
)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"num":       humanNum,
	"numPtr":    func(v *float64) string { return humanNumPtr(v) },
	"sparkline": func(vals []*float64) []string { return sparkline(vals, 100, 24) },
	"join":      strings.Join,
	"wbr":       wbr,
	"pathEscape": func(s string) string {
		return url.PathEscape(s)
	},
	// compareQuery is the query of a comparison's CSV; jsonQuery makes it
	// the JSON's. Typed as URLs, so the template keeps their & and =.
	"compareQuery": func(c *comparison) template.URL {
		q := url.Values{"weeks": {strconv.Itoa(c.N)}, "format": {"csv"}}
		if c.Date != "" {
			q.Set("date", c.Date)
		} else {
			q.Set("version", c.Version)
		}
		return template.URL(q.Encode())
	},
	"jsonQuery": func(q template.URL) template.URL {
		return template.URL(strings.Replace(string(q), "format=csv", "format=json", 1))
	},
	"signed": func(v *float64) string {
		if v == nil {
			return "n/a"
		}
		s := strconv.FormatFloat(*v, 'f', 1, 64) + " %"
		if *v > 0 {
			s = "+" + s
		}
		return s
	},
	"changeClass": func(v *float64) string {
		switch {
		case v == nil || *v == 0:
			return "flat"
		case *v > 0:
			return "up"
		}
		return "down"
	},
	// dict passes several values to a template: dict "K1" v1 "K2" v2.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			k, _ := kv[i].(string)
			m[k] = kv[i+1]
		}
		return m
	},
}

// wbr lets a key path break after its dots and underscores, rather than
// anywhere or nowhere.
func wbr(s string) template.HTML {
	var b strings.Builder
	for _, c := range s {
		b.WriteString(template.HTMLEscapeString(string(c)))
		if c == '.' || c == '_' {
			b.WriteString("<wbr>")
		}
	}
	return template.HTML(b.String())
}

// humanNum writes a number for reading: thousands separated, at most two
// decimals, "–" for none.
func humanNum(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	s := strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func humanNumPtr(v *float64) string {
	if v == nil {
		return "–"
	}
	return humanNum(*v)
}

// formatCoord writes an SVG coordinate to a tenth.
func formatCoord(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// render writes a page, or a 500 when its template fails: rendered into a
// buffer first, so a failure half-way sends no half page.
func (d *Dashboard) render(w http.ResponseWriter, code int, page string, data any) {
	var buf bytes.Buffer
	if err := d.pages[page].Execute(&buf, data); err != nil {
		http.Error(w, "dashboard: rendering "+page+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes()) //nolint:errcheck // the client went away
}

// pageError answers an error page with err's status.
func (d *Dashboard) pageError(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := status(err)
	d.render(w, code, "error", map[string]any{"Title": http.StatusText(code), "Nav": "", "Status": code, "Message": msg})
}

type cataloguePage struct {
	Title, Nav string
	Filter     filter
	Facets     facets
	Entries    []*entry
	All        int
	Week       string
	CSV        template.URL
}

func (d *Dashboard) cataloguePage(w http.ResponseWriter, r *http.Request) {
	all, err := d.catalogue(r.Context())
	if err != nil {
		d.pageError(w, r, err)
		return
	}
	f := filterOf(r.URL.Query())
	p := cataloguePage{Title: "Metrics", Nav: "catalogue", Filter: f, Facets: facetsOf(all), All: len(all)}
	for _, e := range all {
		if e.Week > p.Week {
			p.Week = e.Week
		}
		if f.match(e) {
			p.Entries = append(p.Entries, e)
		}
	}
	p.CSV = template.URL("/api/metrics?" + withFormat(r.URL.Query()))
	d.render(w, http.StatusOK, "catalogue", p)
}

// withFormat is a query asking for CSV.
func withFormat(q url.Values) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	c.Set("format", "csv")
	return c.Encode()
}

type metricPage struct {
	Title, Nav    string
	KeyPath       string
	Def           *model.Metric
	Dictionary    string
	Series        *warehouse.Series
	Latest        *warehouse.WeekStat
	HasSaaS       bool
	Versions      []warehouse.VersionFirst
	Compare       *comparison
	CompareError  string
	Date, Version string
	N             int
	Escaped       string
	// ChartData is what the charts' API URLs answer, computed for the
	// page already, so the browser draws without asking again.
	ChartData map[string]any
}

func (d *Dashboard) metricPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	kp := r.PathValue("key_path")
	if err := d.knownMetric(ctx, kp); err != nil {
		d.pageError(w, r, err)
		return
	}
	s, err := d.w.MetricSeries(ctx, kp, warehouse.SourcePing, warehouse.Weeks{})
	if err != nil {
		d.pageError(w, r, err)
		return
	}
	saas, err := d.w.MetricSeries(ctx, kp, warehouse.SourceWarehouse, warehouse.Weeks{})
	if err != nil {
		d.pageError(w, r, err)
		return
	}
	versions, err := d.w.VersionFirstWeeks(ctx)
	if err != nil {
		d.pageError(w, r, err)
		return
	}
	q := r.URL.Query()
	p := metricPage{Title: kp, Nav: "catalogue", KeyPath: kp, Def: d.definition(kp), Series: s, Versions: versions,
		Date: q.Get("date"), Version: q.Get("version"), N: 4, Escaped: url.PathEscape(kp)}
	if p.Def != nil && d.opt.DictionaryURL != "" {
		p.Dictionary = d.opt.DictionaryURL + "#metric-" + kp
	}
	for i := len(s.Weeks) - 1; i >= 0; i-- {
		if s.Weeks[i].Instances > 0 || s.Weeks[i].Failed > 0 {
			p.Latest = &s.Weeks[i]
			break
		}
	}
	p.HasSaaS = slices.ContainsFunc(saas.Weeks, func(w warehouse.WeekStat) bool { return w.Instances > 0 || w.Failed > 0 })
	api := "/api/metrics/" + p.Escaped
	p.ChartData = map[string]any{
		api + "/series":           seriesJSON{KeyPath: kp, Weeks: weeksJSON(s.Weeks)},
		api + "/split?by=version": splitOf(kp, "version", s.ByVersion),
		api + "/split?by=tier":    splitOf(kp, "tier", s.ByTier),
	}
	if p.HasSaaS {
		p.ChartData[api+"/saas"] = seriesJSON{KeyPath: kp, Weeks: weeksJSON(saas.Weeks)}
	}
	if n, err := strconv.Atoi(q.Get("weeks")); err == nil {
		p.N = n
	}
	if p.Date != "" || p.Version != "" {
		c, err := d.compare(ctx, kp, q)
		var he *httpError
		switch {
		case errors.As(err, &he):
			p.CompareError = he.msg
		case err != nil:
			d.pageError(w, r, err)
			return
		default:
			p.Compare = c
		}
	}
	code := http.StatusOK
	if p.CompareError != "" {
		code = http.StatusBadRequest
	}
	d.render(w, code, "metric", p)
}

type instancesPage struct {
	Title, Nav string
	Instances  []warehouse.Instance
	Versions   []versionJSON
	Failing    int
}

func (d *Dashboard) instancesPage(w http.ResponseWriter, r *http.Request) {
	ins, err := d.w.Instances(r.Context())
	if err != nil {
		d.pageError(w, r, err)
		return
	}
	vs, err := d.adoption(r.Context(), warehouse.Weeks{})
	if err != nil {
		d.pageError(w, r, err)
		return
	}
	p := instancesPage{Title: "Instances", Nav: "instances", Instances: ins, Versions: vs}
	for _, in := range ins {
		if len(in.Failing) > 0 || len(in.Problems) > 0 {
			p.Failing++
		}
	}
	d.render(w, http.StatusOK, "instances", p)
}

type eventsPage struct {
	Title, Nav string
	Events     []eventInfo
	Event      *eventInfo
	Property   string
	Series     *warehouse.EventSeries
	Error      string
}

func (d *Dashboard) eventsPage(w http.ResponseWriter, r *http.Request) {
	evs, err := d.events(r.Context())
	if err != nil {
		d.pageError(w, r, err)
		return
	}
	p := eventsPage{Title: "Events", Nav: "events", Events: evs}
	action := r.URL.Query().Get("event")
	if action == "" {
		// The event with the most records, so the page opens on data.
		for i := range evs {
			if p.Event == nil || evs[i].Records > p.Event.Records {
				p.Event = &evs[i]
			}
		}
	} else if i := slices.IndexFunc(evs, func(e eventInfo) bool { return e.Action == action }); i >= 0 {
		p.Event = &evs[i]
	}
	code := http.StatusOK
	if p.Event == nil && action != "" {
		p.Error, code = "No event "+strconv.Quote(action)+": no definition declares it and no record has it.", http.StatusNotFound
	}
	if p.Event != nil {
		p.Property = r.URL.Query().Get("property")
		s, err := d.eventSeries(r, p.Event.Action)
		var he *httpError
		switch {
		case errors.As(err, &he):
			p.Error, code = he.msg, he.status
		case err != nil:
			d.pageError(w, r, err)
			return
		default:
			p.Series = s
		}
	}
	d.render(w, code, "events", p)
}
