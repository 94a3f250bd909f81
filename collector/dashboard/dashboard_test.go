package dashboard_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usagekit/collector/dashboard"
	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/server"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/internal/testservers"
	"github.com/usagekit/usagekit/runtime/metric"
)

func TestMain(m *testing.M) { testservers.Main(m, testservers.Postgres) }

// now is the dashboards' clock: Wednesday of 2026-W48, so W47 is the
// latest complete week.
var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// smallSet is the definitions of the small dataset: one metric and one
// event with a property.
func smallSet() *model.Set {
	return &model.Set{
		Metrics: []*model.Metric{{
			KeyPath: "counts.issues", Description: "Issues created.", ValueType: "number", Status: metric.Active,
			TimeFrame: metric.Weekly, DataSource: "internal_events", ProductGroup: "project_management",
			ProductCategories: []string{"team_planning"}, Tiers: []string{"free", "premium"},
			Events: []metric.EventRule{{Event: "create_issue"}},
		}, {
			KeyPath: "settings.gone", Description: "A removed setting.", ValueType: "boolean", Status: metric.Removed,
			TimeFrame: metric.None, DataSource: "system", ProductGroup: "provision", ProductCategories: []string{}, Tiers: []string{"ultimate"},
		}},
		Events: []*model.Event{{Action: "create_issue", Description: "A user created an issue.",
			Properties: []*model.Property{{Name: "label", Type: model.String, Builtin: true}}}},
	}
}

// fillSmall stores warehousetest.SmallPings (W45 a=10 b=5; W46 a=20, after
// an earlier 999 that it replaces, b=-1 c=3; W47 a=-1 b=7 c=4; a upgrades
// to 17.2 in W47; a SaaS ping in W47) and four create_issue records.
func fillSmall(t *testing.T, w *warehouse.Warehouse) {
	t.Helper()
	pings := warehousetest.SmallPings(t)
	ctx := context.Background()
	if _, err := w.StorePings(ctx, pings); err != nil {
		t.Fatal(err)
	}
	w47, _ := warehouse.ParseWeek("2026-W47")
	var rs []warehouse.Record
	for i, r := range []struct {
		day         int
		user, label string
	}{{0, "u1", "web"}, {1, "u1", "api"}, {2, "u2", "web"}, {9, "u3", ""}} {
		props := "{}"
		if r.label != "" {
			props = `{"label": "` + r.label + `"}`
		}
		rs = append(rs, warehouse.Record{ID: fmt.Sprintf("0190a000-0000-7000-8000-%012d", i+1), OccurredAt: w47.Monday().AddDate(0, 0, r.day).Add(time.Hour),
			Event: "create_issue", Identifiers: warehouse.Identifiers{User: r.user}, Properties: []byte(props)})
	}
	if _, err := w.StoreRecords(ctx, rs); err != nil {
		t.Fatal(err)
	}
}

func newDashboard(t testing.TB, w *warehouse.Warehouse, set *model.Set) http.Handler {
	t.Helper()
	d, err := dashboard.New(dashboard.Options{Warehouse: w, Set: set, Now: func() time.Time { return now }, SparklineWeeks: 3})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// get serves one GET and returns the status, content type and body.
func get(t *testing.T, h http.Handler, target string) (int, string, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Header().Get("Content-Type"), rec.Body.String()
}

// compact is a JSON document without insignificant space, for exact
// comparison.
func compact(t *testing.T, doc string) string {
	t.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(doc)); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	return b.String()
}

// TestAPI checks every endpoint's exact answer on the small dataset, whose
// numbers are worked out by hand in the comments, on both databases.
func TestAPI(t *testing.T) {
	tests := []struct {
		target, want string
	}{
		// Per week: total of the values but -1, the median of those, how
		// many reported one, how many -1. a's W46 ping at 05:00 replaces
		// its 999 at 01:00.
		{"/api/metrics/counts.issues/series", `{"key_path": "counts.issues", "weeks": [
			{"week": "2026-W45", "total": 15, "median": 7.5, "instances": 2, "failed": 0},
			{"week": "2026-W46", "total": 23, "median": 11.5, "instances": 2, "failed": 1},
			{"week": "2026-W47", "total": 11, "median": 5.5, "instances": 2, "failed": 1}]}`},
		{"/api/metrics/counts.issues/series?from=2026-W46&to=2026-W47", `{"key_path": "counts.issues", "weeks": [
			{"week": "2026-W46", "total": 23, "median": 11.5, "instances": 2, "failed": 1}]}`},
		{"/api/metrics/counts.issues/saas", `{"key_path": "counts.issues", "weeks": [
			{"week": "2026-W47", "total": 1000, "median": 1000, "instances": 1, "failed": 0}]}`},
		// free is a alone; premium is b and c. a failed in W47: no median.
		{"/api/metrics/counts.issues/split?by=tier", `{"key_path": "counts.issues", "by": "tier", "groups": [
			{"name": "free", "weeks": [
				{"week": "2026-W45", "total": 10, "median": 10, "instances": 1, "failed": 0},
				{"week": "2026-W46", "total": 20, "median": 20, "instances": 1, "failed": 0},
				{"week": "2026-W47", "total": 0, "median": null, "instances": 0, "failed": 1}]},
			{"name": "premium", "weeks": [
				{"week": "2026-W45", "total": 5, "median": 5, "instances": 1, "failed": 0},
				{"week": "2026-W46", "total": 3, "median": 3, "instances": 1, "failed": 1},
				{"week": "2026-W47", "total": 11, "median": 5.5, "instances": 2, "failed": 0}]}]}`},
		{"/api/metrics/counts.issues/split?by=version&from=2026-W47", `{"key_path": "counts.issues", "by": "version", "groups": [
			{"name": "17.1", "weeks": [{"week": "2026-W47", "total": 4, "median": 4, "instances": 1, "failed": 0}]},
			{"name": "17.2", "weeks": [{"week": "2026-W47", "total": 7, "median": 7, "instances": 1, "failed": 1}]}]}`},
		// Two weeks before W47 (W45, W46): totals 15 and 23, mean 19;
		// medians 7.5 and 11.5, mean 9.5. From W47 on there is W47 alone:
		// 11 and 5.5. (11-19)/19 = -42.1 %, (5.5-9.5)/9.5 = -42.1 %.
		{"/api/metrics/counts.issues/compare?date=2026-11-19&weeks=2", `{"key_path": "counts.issues", "date": "2026-11-19", "at": "2026-W47", "n": 2,
			"before": {"from": "2026-W45", "to": "2026-W46", "weeks": 2, "total": 19, "median": 9.5},
			"after": {"from": "2026-W47", "to": "2026-W48", "weeks": 1, "total": 11, "median": 5.5},
			"total_change_percent": -42.1, "median_change_percent": -42.1}`},
		// 17.2 first appears in W45 (b): nothing before it.
		{"/api/metrics/counts.issues/compare?version=17.2&weeks=1", `{"key_path": "counts.issues", "version": "17.2", "at": "2026-W45", "n": 1,
			"before": {"from": "2026-W44", "to": "2026-W44", "weeks": 0, "total": null, "median": null},
			"after": {"from": "2026-W45", "to": "2026-W45", "weeks": 1, "total": 15, "median": 7.5},
			"total_change_percent": null, "median_change_percent": null}`},
		{"/api/versions", `{"versions": [
			{"name": "17.1", "first_week": "2026-W45", "weeks": [{"week": "2026-W45", "instances": 1}, {"week": "2026-W46", "instances": 2}, {"week": "2026-W47", "instances": 1}]},
			{"name": "17.2", "first_week": "2026-W45", "weeks": [{"week": "2026-W45", "instances": 1}, {"week": "2026-W46", "instances": 1}, {"week": "2026-W47", "instances": 2}]}]}`},
		// W47 has u1 twice, u2 once (3 records, 2 users); W48 u3 without a
		// label.
		{"/api/events/create_issue/series?property=label", `{"event": "create_issue", "property": "label",
			"weeks": [{"week": "2026-W47", "count": 3, "users": 2}, {"week": "2026-W48", "count": 1, "users": 1}],
			"groups": [
				{"value": "", "weeks": [{"week": "2026-W47", "count": 0, "users": 0}, {"week": "2026-W48", "count": 1, "users": 1}]},
				{"value": "api", "weeks": [{"week": "2026-W47", "count": 1, "users": 1}, {"week": "2026-W48", "count": 0, "users": 0}]},
				{"value": "web", "weeks": [{"week": "2026-W47", "count": 2, "users": 2}, {"week": "2026-W48", "count": 0, "users": 0}]}]}`},
		{"/api/events", `{"events": [{"action": "create_issue", "description": "A user created an issue.", "properties": ["label"], "declared": true, "records": 4}]}`},
		// The catalogue: W47 is the latest complete week (W48 is current).
		{"/api/metrics?q=ISSUES+created", `{"metrics": [{"key_path": "counts.issues", "description": "Issues created.", "product_group": "project_management",
			"product_categories": ["team_planning"], "data_source": "internal_events", "status": "active", "time_frame": "7d", "tiers": ["free", "premium"],
			"defined": true, "week": "2026-W47", "total": 11, "instances": 2, "failed": 1, "sparkline": [15, 23, 11]}]}`},
		{"/api/metrics?status=removed", `{"metrics": [{"key_path": "settings.gone", "description": "A removed setting.", "product_group": "provision",
			"product_categories": [], "data_source": "system", "status": "removed", "time_frame": "none", "tiers": ["ultimate"],
			"defined": true, "week": "", "total": 0, "instances": 0, "failed": 0, "sparkline": []}]}`},
		{"/api/metrics?tier=premium&source=system", `{"metrics": []}`},
	}
	for name, w := range warehousetest.Open(t, warehouse.Options{}) {
		t.Run(name, func(t *testing.T) {
			fillSmall(t, w)
			h := newDashboard(t, w, smallSet())
			for _, tt := range tests {
				code, ctype, body := get(t, h, tt.target)
				if code != http.StatusOK || ctype != "application/json" {
					t.Errorf("GET %s: %d %s: %s", tt.target, code, ctype, body)
					continue
				}
				if got, want := compact(t, body), compact(t, tt.want); got != want {
					t.Errorf("GET %s:\n got  %s\n want %s", tt.target, got, want)
				}
			}
		})
	}
}

// TestCSV checks the CSV of each table: its header, rows and download
// name.
func TestCSV(t *testing.T) {
	w := warehousetest.OpenSQLite(t, warehouse.Options{})
	fillSmall(t, w)
	h := newDashboard(t, w, smallSet())
	tests := []struct {
		target, file, want string
	}{
		{"/api/metrics/counts.issues/series?format=csv", "counts.issues-ping.csv",
			"week,total,median,instances,failed\n2026-W45,15,7.5,2,0\n2026-W46,23,11.5,2,1\n2026-W47,11,5.5,2,1\n"},
		{"/api/metrics/counts.issues/split?by=tier&from=2026-W47&format=csv", "counts.issues-by-tier.csv",
			"tier,week,total,median,instances,failed\nfree,2026-W47,0,,0,1\npremium,2026-W47,11,5.5,2,0\n"},
		{"/api/metrics/counts.issues/compare?date=2026-11-19&weeks=2&format=csv", "counts.issues-before-after.csv",
			"side,from,to,weeks,mean_total,mean_median\nbefore,2026-W45,2026-W46,2,19,9.5\nafter,2026-W47,2026-W48,1,11,5.5\n"},
		{"/api/versions?from=2026-W47&format=csv", "versions.csv", "version,week,instances\n17.1,2026-W47,1\n17.2,2026-W47,2\n"},
		{"/api/events/create_issue/series?format=csv", "create_issue.csv", "week,count,users\n2026-W47,3,2\n2026-W48,1,1\n"},
		{"/api/metrics?q=issues&format=csv", "metrics.csv",
			"key_path,description,product_group,data_source,status,time_frame,week,total,instances,failed\ncounts.issues,Issues created.,project_management,internal_events,active,7d,2026-W47,11,2,1\n"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.target, nil))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Errorf("GET %s: %d %s", tt.target, rec.Code, rec.Header().Get("Content-Type"))
		}
		if got, want := rec.Header().Get("Content-Disposition"), `attachment; filename="`+tt.file+`"`; got != want {
			t.Errorf("GET %s: Content-Disposition %s, want %s", tt.target, got, want)
		}
		if got := rec.Body.String(); got != tt.want {
			t.Errorf("GET %s:\n got  %q\n want %q", tt.target, got, tt.want)
		}
	}
	// The instances' CSV: a row per instance, the most recently seen
	// first.
	_, _, body := get(t, h, "/api/instances?format=csv")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 4 || strings.Join(rows[0], ",") != "uuid,hostname,version,tier,first_seen,last_seen,problems,failing,errors" ||
		rows[1][1] != "a.example.com" && rows[1][1] != "b.example.com" && rows[1][1] != "c.example.com" {
		t.Errorf("instances CSV: %v %q", err, rows)
	}
}

// TestBadInput: an unknown metric or event is a 404, a bad parameter a 400
// that says which, on the API (JSON) and on pages (HTML).
func TestBadInput(t *testing.T) {
	w := warehousetest.OpenSQLite(t, warehouse.Options{})
	fillSmall(t, w)
	h := newDashboard(t, w, smallSet())
	tests := []struct {
		target string
		code   int
		msg    string
	}{
		{"/api/metrics/counts.nothing/series", 404, `no metric "counts.nothing"`},
		{"/api/metrics/counts.nothing/split?by=tier", 404, `no metric "counts.nothing"`},
		{"/api/metrics/counts.nothing/compare?date=2026-11-19", 404, `no metric "counts.nothing"`},
		{"/api/metrics/counts.issues/series?from=2026-47", 400, `from "2026-47": want an ISO week`},
		{"/api/metrics/counts.issues/series?to=2026-W54", 400, `to "2026-W54": want an ISO week`},
		{"/api/metrics/counts.issues/series?from=2026-W47&to=2026-W46", 400, "from 2026-W47 is not before to 2026-W46"},
		{"/api/metrics/counts.issues/series?format=xml", 400, `format "xml": want json or csv`},
		{"/api/metrics/counts.issues/split", 400, `by "": want version or tier`},
		{"/api/metrics/counts.issues/split?by=country", 400, `by "country": want version or tier`},
		{"/api/metrics/counts.issues/compare", 400, "give a date (YYYY-MM-DD) or a version"},
		{"/api/metrics/counts.issues/compare?date=2026-11-19&version=17.2", 400, "give a date or a version, not both"},
		{"/api/metrics/counts.issues/compare?date=19.11.2026", 400, `date "19.11.2026": want YYYY-MM-DD`},
		{"/api/metrics/counts.issues/compare?date=2026-11-19&weeks=0", 400, `weeks "0": want a whole number from 1 to 52`},
		{"/api/metrics/counts.issues/compare?date=2026-11-19&weeks=x", 400, `weeks "x"`},
		{"/api/metrics/counts.issues/compare?version=99.0", 400, `version "99.0": no instance has sent a ping from it`},
		{"/api/events/delete_everything/series", 404, `no event "delete_everything"`},
		{"/api/events/create_issue/series?property=colour", 400, `property "colour": create_issue declares label`},
		{"/api/versions?from=W47", 400, `from "W47"`},
		{"/api/instances?format=pdf", 400, `format "pdf"`},
		{"/api/nothing", 404, "no such API: /api/nothing"},
	}
	for _, tt := range tests {
		code, ctype, body := get(t, h, tt.target)
		var doc struct{ Error string }
		if err := json.Unmarshal([]byte(body), &doc); err != nil || code != tt.code || ctype != "application/json" || !strings.Contains(doc.Error, tt.msg) {
			t.Errorf("GET %s: %d %s %s, want %d and an error with %q", tt.target, code, ctype, body, tt.code, tt.msg)
		}
	}
	pages := []struct {
		target string
		code   int
		msg    string
	}{
		{"/metrics/counts.nothing", 404, "no metric &#34;counts.nothing&#34;"},
		{"/metrics/counts.issues?date=2026-11-19&weeks=99", 400, "weeks &#34;99&#34;: want a whole number from 1 to 52"},
		{"/events?event=delete_everything", 404, "No event &#34;delete_everything&#34;"},
		{"/events?event=create_issue&property=colour", 400, "property &#34;colour&#34;"},
	}
	for _, tt := range pages {
		code, ctype, body := get(t, h, tt.target)
		if code != tt.code || ctype != "text/html; charset=utf-8" || !strings.Contains(body, tt.msg) {
			t.Errorf("GET %s: %d %s, want %d and a page with %q:\n%s", tt.target, code, ctype, tt.code, tt.msg, body)
		}
	}
}

// TestStatic serves the embedded chart library and the page's script.
func TestStatic(t *testing.T) {
	w := warehousetest.OpenSQLite(t, warehouse.Options{})
	h := newDashboard(t, w, nil)
	for path, want := range map[string]string{
		"/static/vendor/uPlot.iife.min.js": "/*! https://github.com/leeoniya/uPlot (v1.6.32) */",
		"/static/vendor/uPlot.min.css":     ".uplot",
		"/static/app.js":                   "// Charts of the dashboards.",
		"/static/style.css":                "/* The dashboards' look",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusOK || !bytes.HasPrefix(body, []byte(want)) || rec.Header().Get("Cache-Control") == "" {
			t.Errorf("GET %s: %d, %q…", path, rec.Code, body[:min(len(body), 60)])
		}
	}
}

// TestCatalogueSeesNewPings: the catalogue keeps its weekly totals between
// requests, and a ping stored since shows at once; one of the current
// week, never complete, does not.
func TestCatalogueSeesNewPings(t *testing.T) {
	w := warehousetest.OpenSQLite(t, warehouse.Options{})
	fillSmall(t, w)
	h := newDashboard(t, w, smallSet())
	latest := func() string {
		t.Helper()
		var cat struct {
			Metrics []struct {
				Week      string
				Total     float64
				Instances int
				Sparkline []*float64
			}
		}
		decode(t, h, "/api/metrics?q=counts.issues", &cat)
		e := cat.Metrics[0]
		return fmt.Sprintf("%s %v %d %s %s %s", e.Week, e.Total, e.Instances, fmtPtr(e.Sparkline[0]), fmtPtr(e.Sparkline[1]), fmtPtr(e.Sparkline[2]))
	}
	if got, want := latest(), "2026-W47 11 2 15 23 11"; got != want {
		t.Fatalf("before: %s, want %s", got, want)
	}
	ctx := context.Background()
	if _, err := w.StorePings(ctx, []warehouse.Ping{warehousetest.Ping(t, "d", "2026-W47", 1, "17.2", "free", 100), warehousetest.Ping(t, "d", "2026-W48", 1, "17.2", "free", 1000)}); err != nil {
		t.Fatal(err)
	}
	if got, want := latest(), "2026-W47 111 3 15 23 111"; got != want {
		t.Errorf("after a ping of W47 and one of the current week: %s, want %s", got, want)
	}
	if _, err := w.StorePing(ctx, warehousetest.Ping(t, "d", "2026-W46", 1, "17.2", "free", 7)); err != nil {
		t.Fatal(err)
	}
	if got, want := latest(), "2026-W47 111 3 15 30 111"; got != want {
		t.Errorf("after a late ping of W46: %s, want %s", got, want)
	}
}

// TestBesideIntake: the collector serves the dashboards and the intake on
// one mux without either shadowing the other (the intake's /metrics is
// Prometheus's, a metric's page is under /metrics/), and without
// definitions the catalogue lists the key paths the pings carry.
func TestBesideIntake(t *testing.T) {
	c, err := server.New(context.Background(), server.Config{Database: "sqlite:" + filepath.Join(t.TempDir(), "w.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	h := c.Handler()
	p := warehousetest.Ping(t, "a", "2026-W45", 1, "17.1", "free", 10)
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/usage_data", bytes.NewReader(p.Payload))
	req.Header.Set("Content-Type", "application/json")
	h.ServeHTTP(rec, req)
	if rec.Code/100 != 2 {
		t.Fatalf("POST /usage_data: %d %s", rec.Code, rec.Body)
	}
	for _, tt := range []struct {
		target string
		code   int
		ctype  string
		has    string
	}{
		{"/healthz", 200, "application/json", `"ok"`},
		{"/metrics", 200, "text/plain; version=0.0.4", "# TYPE"},
		{"/", 200, "text/html; charset=utf-8", `href="/metrics/counts.issues"`},
		{"/metrics/counts.issues", 200, "text/html; charset=utf-8", "No definition has this key path"},
		{"/metrics/counts.nothing", 404, "text/html; charset=utf-8", "no metric"},
		{"/api/metrics", 200, "application/json", `"status": "undefined"`},
		{"/static/app.js", 200, "text/javascript; charset=utf-8", "uPlot"},
		{"/events", 200, "text/html; charset=utf-8", "No record of"},
		{"/instances", 200, "text/html; charset=utf-8", "a.example.com"},
	} {
		code, ctype, body := get(t, h, tt.target)
		if code != tt.code || ctype != tt.ctype || !strings.Contains(body, tt.has) {
			t.Errorf("GET %s: %d %s, want %d %s with %q:\n%.300s", tt.target, code, ctype, tt.code, tt.ctype, tt.has, body)
		}
	}
}
