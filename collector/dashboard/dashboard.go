// Package dashboard serves the collector's dashboards: the metric
// catalogue (/), a metric's page (/metrics/{key_path}), the instances
// (/instances) and the event explorer (/events), and the JSON API behind
// every chart (/api/...), each of whose tables is also CSV (?format=csv).
//
// Pages are rendered on the server with html/template, so they read
// without JavaScript and every number is in a table; charts are drawn in
// the browser by uPlot from the same API, embedded with the page's own
// script and styles, so the dashboards work offline.
package dashboard

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/runtime/keys"
)

//go:embed templates static
var assets embed.FS

// Options configure a Dashboard. Warehouse is required; the zero value of
// the rest works.
type Options struct {
	// Warehouse is read for every number shown.
	Warehouse *warehouse.Warehouse
	// Set is the definitions: the catalogue lists their metrics and a
	// metric's page shows its definition. Default: none, and the
	// catalogue lists the key paths the warehouse holds.
	Set *model.Set
	// DictionaryURL is where the metrics dictionary (usagekit docs) is
	// published; a metric's page links to its entry there. Default: no
	// link.
	DictionaryURL string
	// Now is the clock: the current week, never complete, is left out of
	// the catalogue's latest values. Default time.Now.
	Now func() time.Time
	// SparklineWeeks is how many weeks the catalogue's sparklines show.
	// Default 12.
	SparklineWeeks int
}

// Dashboard is the dashboards' HTTP handler. It is safe for concurrent
// use.
type Dashboard struct {
	opt   Options
	w     *warehouse.Warehouse
	pages map[string]*template.Template
	mux   *http.ServeMux
	cache totalsCache
}

// Patterns are the request patterns a Dashboard serves, for mounting it
// beside other handlers on one http.ServeMux. The collector's intake has
// "/" and "/metrics", which a subtree pattern "/metrics/" would redirect to
// itself: metric pages are one segment, "/metrics/{key_path}".
var Patterns = []string{"GET /{$}", "GET /metrics/{key_path}", "GET /instances", "GET /events", "GET /api/", "GET /static/"}

// New returns the dashboards.
func New(opt Options) (*Dashboard, error) {
	if opt.Warehouse == nil {
		return nil, errors.New("dashboard: no warehouse")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SparklineWeeks <= 0 {
		opt.SparklineWeeks = 12
	}
	d := &Dashboard{opt: opt, w: opt.Warehouse, pages: map[string]*template.Template{}, mux: http.NewServeMux(),
		cache: totalsCache{weeks: map[string]weekTotals{}}}
	for _, name := range []string{"catalogue", "metric", "instances", "events", "error"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("dashboard: template %s: %w", name, err)
		}
		d.pages[name] = t
	}
	static, err := fs.Sub(assets, "static")
	if err != nil {
		return nil, fmt.Errorf("dashboard: static files: %w", err)
	}
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	d.mux.Handle("GET /static/", cacheFor(time.Hour, files))

	d.mux.HandleFunc("GET /{$}", d.cataloguePage)
	d.mux.HandleFunc("GET /metrics/{key_path}", d.metricPage)
	d.mux.HandleFunc("GET /instances", d.instancesPage)
	d.mux.HandleFunc("GET /events", d.eventsPage)

	d.mux.HandleFunc("GET /api/metrics", d.apiCatalogue)
	d.mux.HandleFunc("GET /api/metrics/{key_path}/series", d.apiSeries)
	d.mux.HandleFunc("GET /api/metrics/{key_path}/saas", d.apiSaaS)
	d.mux.HandleFunc("GET /api/metrics/{key_path}/split", d.apiSplit)
	d.mux.HandleFunc("GET /api/metrics/{key_path}/compare", d.apiCompare)
	d.mux.HandleFunc("GET /api/instances", d.apiInstances)
	d.mux.HandleFunc("GET /api/versions", d.apiVersions)
	d.mux.HandleFunc("GET /api/events", d.apiEvents)
	d.mux.HandleFunc("GET /api/events/{event}/series", d.apiEventSeries)
	d.mux.HandleFunc("GET /api/", func(w http.ResponseWriter, r *http.Request) {
		apiError(w, &httpError{http.StatusNotFound, "no such API: " + r.URL.Path})
	})
	d.mux.HandleFunc("GET /metrics/", func(w http.ResponseWriter, r *http.Request) {
		d.pageError(w, r, &httpError{http.StatusNotFound, "no such page: " + r.URL.Path})
	})
	return d, nil
}

// ServeHTTP implements http.Handler.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

// cacheFor lets browsers keep static files a while: they change only
// with the binary.
func cacheFor(age time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(age.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// httpError is a failure with the status it answers.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, a ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, a...)}
}

func notFound(format string, a ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(format, a...)}
}

// status is the status an error answers: its own, or 500.
func status(err error) (int, string) {
	var he *httpError
	if errors.As(err, &he) {
		return he.status, he.msg
	}
	return http.StatusInternalServerError, "internal error: " + err.Error()
}

// apiError answers {"error": msg} with err's status.
func apiError(w http.ResponseWriter, err error) {
	code, msg := status(err)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(map[string]string{"error": msg}) //nolint:errcheck // the client went away
}

// writeJSON answers v as JSON.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	enc.Encode(v) //nolint:errcheck // the client went away
}

// currentWeek is the week of now: never complete, so never "latest".
func (d *Dashboard) currentWeek() keys.Week { return keys.WeekOf(d.opt.Now()) }
