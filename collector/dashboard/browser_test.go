package dashboard_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usagekit/collector/demo"
	"github.com/usagekit/usagekit/collector/server"
	"github.com/usagekit/usagekit/internal/browsertest"
)

var screenshots = flag.String("screenshots", "", "write the dashboards' browser test screenshots to this directory (default: the test's temporary directory)")

// demoCollector is a collector serving the demo data of definitions/ from
// an SQLite warehouse, as usagekit-collector serves it.
func demoCollector(t *testing.T, opt demo.Options) (*httptest.Server, demo.Result) {
	t.Helper()
	ctx := context.Background()
	c, err := server.New(ctx, server.Config{Database: "sqlite:" + filepath.Join(t.TempDir(), "demo.db"), Definitions: "../../definitions"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	res, err := demo.Fill(ctx, c.Warehouse, c.Set, opt)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	return srv, res
}

// apiGet decodes a JSON answer of the collector.
func apiGet(t *testing.T, srv *httptest.Server, path string, out any) {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// drawn is the condition that every chart of the page is drawn (or says
// it has no data, or failed: which the test then reports).
const drawn = `Array.prototype.every.call(document.querySelectorAll("figure.chart"), function (f) { return f.dataset.points || f.dataset.error; })`

// chart reads what a drawn chart reports: its points (weeks) and lines,
// the size of its canvas, and any error.
type chart struct {
	Points, Series, Width, Height int
	Error                         string
}

func readChart(t *testing.T, wd *browsertest.Driver, id string) chart {
	t.Helper()
	var c chart
	wd.Script(t, `var f = document.getElementById(arguments[0]); if (!f) return {Error: "no chart " + arguments[0]};
var cv = f.querySelector("canvas");
return {Points: +(f.dataset.points || 0), Series: +(f.dataset.series || 0), Width: cv ? cv.width : 0, Height: cv ? cv.height : 0, Error: f.dataset.error || ""};`, &c, id)
	return c
}

// TestDashboardsInBrowser opens every page of the dashboards on the demo
// data in headless Chromium: the catalogue is searched and filtered, a
// metric's page draws its charts with one point a week the API has, the
// before/after control is set to a version and to a date and shows the
// API's numbers, and the instance list and event explorer draw theirs.
// Screenshots go to -screenshots.
func TestDashboardsInBrowser(t *testing.T) {
	wd := browsertest.Start(t, browsertest.Options{Width: 1366, Height: 900})
	dir := *screenshots
	if dir == "" {
		dir = t.TempDir()
	}
	srv, res := demoCollector(t, demo.Options{Instances: 80, Weeks: 40, Now: now, SaaSUUID: "00000000-0000-4000-8000-00000000saas", RecordWeeks: 10})
	shoot := func(name string, height int) {
		t.Helper()
		if height > 0 {
			wd.SetWindowSize(t, 1366, height)
			defer wd.SetWindowSize(t, 1366, 900)
		}
		wd.SaveScreenshot(t, dir, name)
	}

	// The catalogue: every metric, then a search.
	var all struct {
		Metrics []struct {
			KeyPath string `json:"key_path"`
		}
	}
	apiGet(t, srv, "/api/metrics", &all)
	wd.Open(t, srv.URL+"/")
	wd.WantText(t, "#count", fmt.Sprintf("%d of %d metrics · Download CSV", len(all.Metrics), len(all.Metrics)))
	shoot("catalogue.png", 0)

	wd.Type(t, "#q", "merge request\uE007")
	if !wd.WaitFor(t, `location.search.indexOf("q=merge") >= 0 && document.readyState === "complete"`, 10*time.Second) {
		t.Fatal("the search did not load")
	}
	var found struct {
		Metrics []struct {
			KeyPath string `json:"key_path"`
		}
	}
	apiGet(t, srv, "/api/metrics?q=merge+request", &found)
	rows := visibleRows(t, wd)
	if len(found.Metrics) == 0 || len(rows) != len(found.Metrics) {
		t.Errorf("search %q shows %d rows, the API %d", "merge request", len(rows), len(found.Metrics))
	}
	for _, r := range rows {
		if l := strings.ToLower(r); !strings.Contains(l, "merge") || !strings.Contains(l, "request") {
			t.Errorf("search %q shows %q", "merge request", r)
		}
	}
	wd.WantText(t, "#count", fmt.Sprintf("%d of %d metrics · Download CSV", len(found.Metrics), len(all.Metrics)))
	shoot("catalogue-search.png", 0)

	// A filter applies as soon as it is chosen.
	wd.SelectOption(t, "#filter-source", "database")
	if !wd.WaitFor(t, `location.search.indexOf("source=database") >= 0 && document.readyState === "complete"`, 10*time.Second) {
		t.Fatal("choosing a data source did not filter")
	}
	var db struct {
		Metrics []struct {
			KeyPath string `json:"key_path"`
		}
	}
	apiGet(t, srv, "/api/metrics?q=merge+request&source=database", &db)
	if rows := visibleRows(t, wd); len(rows) != len(db.Metrics) {
		t.Errorf("search and source database: %d rows, the API %d", len(rows), len(db.Metrics))
	}

	// A metric's page, opened from the catalogue: the feature's, which
	// jumps from demo.FeatureVersion on.
	feature := res.Feature[0]
	wd.Open(t, srv.URL+"/?q="+url.QueryEscape(feature))
	start := time.Now()
	wd.Click(t, `a.kp[href="/metrics/`+feature+`"]`)
	if !wd.WaitFor(t, drawn, 10*time.Second) {
		t.Fatal("the metric page's charts were not drawn")
	}
	t.Logf("metric page opened and drawn in %v", time.Since(start).Round(time.Millisecond))
	// The page carries its charts' data: the browser asks the API nothing.
	var asked []string
	wd.Script(t, `return performance.getEntriesByType("resource").map(function (e) { return e.name; }).filter(function (n) { return n.indexOf("/api/") >= 0; });`, &asked)
	if len(asked) != 0 {
		t.Errorf("the metric page fetched %q; its charts' data is in the page", asked)
	}
	var series struct {
		Weeks []struct {
			Week      string
			Total     float64
			Instances int
		}
	}
	apiGet(t, srv, "/api/metrics/"+feature+"/series", &series)
	for _, id := range []string{"chart-total", "chart-median", "chart-instances", "chart-version", "chart-tier"} {
		c := readChart(t, wd, id)
		if c.Error != "" || c.Points != len(series.Weeks) || c.Width < 300 || c.Height < 150 {
			t.Errorf("%s: %+v, want %d points on a drawn canvas", id, c, len(series.Weeks))
		}
	}
	if c := readChart(t, wd, "chart-instances"); c.Series != 2 {
		t.Errorf("chart-instances has %d lines, want reporting and -1", c.Series)
	}
	var tiers struct{ Groups []struct{ Name string } }
	apiGet(t, srv, "/api/metrics/"+feature+"/split?by=tier", &tiers)
	if c := readChart(t, wd, "chart-tier"); c.Series != len(tiers.Groups) {
		t.Errorf("chart-tier has %d lines, the API %d tiers", c.Series, len(tiers.Groups))
	}
	if c := readChart(t, wd, "chart-saas"); c.Points != 10 {
		t.Errorf("chart-saas: %+v, want the 10 weeks of SaaS records", c)
	}
	last := series.Weeks[len(series.Weeks)-1]
	wd.WantText(t, "#latest-total", formatTotal(last.Total))
	var tableRows int
	wd.Script(t, `return document.querySelectorAll("#weeks tbody tr").length`, &tableRows)
	if tableRows != len(series.Weeks) {
		t.Errorf("the weekly table has %d rows, the API %d weeks", tableRows, len(series.Weeks))
	}
	shoot("metric.png", 2300)

	// Before/after around the feature's release: the page shows the API's
	// change, and the lift is there.
	wd.SelectOption(t, "#ba-version", demo.FeatureVersion)
	wd.Click(t, `#before-after button[type="submit"]`)
	if !wd.WaitFor(t, `document.getElementById("change-total") && `+drawn, 10*time.Second) {
		t.Fatal("the before/after comparison did not show")
	}
	var cmp struct {
		At           string
		TotalChange  *float64 `json:"total_change_percent"`
		MedianChange *float64 `json:"median_change_percent"`
	}
	apiGet(t, srv, "/api/metrics/"+feature+"/compare?version="+demo.FeatureVersion+"&weeks=4", &cmp)
	if cmp.TotalChange == nil || *cmp.TotalChange <= 0 {
		t.Errorf("total change around %s: %v, want the demo's lift", demo.FeatureVersion, fmtPtr(cmp.TotalChange))
	}
	wd.WantText(t, "#change-total", signed(cmp.TotalChange))
	wd.WantText(t, "#change-median", signed(cmp.MedianChange))
	var mark string
	wd.Script(t, `return document.getElementById("chart-total").dataset.mark`, &mark)
	if mark != cmp.At {
		t.Errorf("the total chart marks %q, want the version's first week %s", mark, cmp.At)
	}
	wd.Script(t, `document.getElementById("before-after").scrollIntoView()`, nil)
	shoot("metric-before-after.png", 0)

	// The same for a date: the week of the date is the pivot.
	wd.SelectOption(t, "#ba-version", "")
	wd.Script(t, `document.getElementById("ba-date").value = "2026-08-05"; document.getElementById("ba-weeks").value = "6"`, nil)
	wd.Click(t, `#before-after button[type="submit"]`)
	if !wd.WaitFor(t, `location.search.indexOf("date=2026-08-05") >= 0 && document.getElementById("change-total")`, 10*time.Second) {
		t.Fatal("the before/after comparison of a date did not show")
	}
	apiGet(t, srv, "/api/metrics/"+feature+"/compare?date=2026-08-05&weeks=6", &cmp)
	wd.WantText(t, "#change-total", signed(cmp.TotalChange))
	if !strings.Contains(wd.Text(t, "#compare caption"), "Around 2026-W32") {
		t.Errorf("comparison caption %q, want the week of 2026-08-05, 2026-W32", wd.Text(t, "#compare caption"))
	}

	// Instances: version adoption drawn, one row per instance.
	wd.Open(t, srv.URL+"/instances")
	if !wd.WaitFor(t, drawn, 10*time.Second) {
		t.Fatal("the instances page's chart was not drawn")
	}
	var versions struct{ Versions []struct{ Name string } }
	apiGet(t, srv, "/api/versions", &versions)
	if c := readChart(t, wd, "chart-versions"); c.Error != "" || c.Points != 40 || c.Series != len(versions.Versions) {
		t.Errorf("chart-versions: %+v, want 40 weeks and %d versions", c, len(versions.Versions))
	}
	wd.Script(t, `return document.querySelectorAll("#instances tbody tr").length`, &tableRows)
	if tableRows != res.Instances {
		t.Errorf("the instance list has %d rows, want %d", tableRows, res.Instances)
	}
	shoot("instances.png", 0)

	// Events: the explorer opens on the busiest event; split by a
	// property, one line per value.
	wd.Open(t, srv.URL+"/events")
	if !wd.WaitFor(t, drawn, 10*time.Second) {
		t.Fatal("the events page's chart was not drawn")
	}
	var event string
	wd.Script(t, `return document.getElementById("event").value`, &event)
	var evs struct {
		Events []struct {
			Action     string
			Properties []string
		}
	}
	apiGet(t, srv, "/api/events", &evs)
	var props []string
	for _, e := range evs.Events {
		if e.Action == event {
			props = e.Properties
		}
	}
	if len(props) == 0 {
		t.Fatalf("event %q declares no property to split by", event)
	}
	wd.SelectOption(t, "#property", props[0])
	wd.Click(t, `form[action="/events"] button`)
	if !wd.WaitFor(t, `document.getElementById("chart-event-split") && `+drawn, 10*time.Second) {
		t.Fatal("the split by property was not drawn")
	}
	var split struct {
		Weeks  []struct{ Week string }
		Groups []struct{ Value string }
	}
	apiGet(t, srv, "/api/events/"+event+"/series?property="+props[0], &split)
	if c := readChart(t, wd, "chart-event-split"); c.Error != "" || c.Series != len(split.Groups) || c.Points != len(split.Weeks) {
		t.Errorf("chart-event-split: %+v, want %d weeks and %d values", c, len(split.Weeks), len(split.Groups))
	}
	shoot("events.png", 0)
}

// visibleRows are the texts of the catalogue's rows.
func visibleRows(t *testing.T, wd *browsertest.Driver) []string {
	t.Helper()
	var rows []string
	wd.Script(t, `return Array.prototype.map.call(document.querySelectorAll("#catalogue tbody tr[id]"), function (tr) { return tr.querySelector("td.metric").innerText; });`, &rows)
	return rows
}

// formatTotal and signed write numbers as the pages do.
func formatTotal(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		return b.String() + "." + frac
	}
	return b.String()
}

func signed(v *float64) string {
	if v == nil {
		return "n/a"
	}
	s := strconv.FormatFloat(*v, 'f', 1, 64) + " %"
	if *v > 0 {
		s = "+" + s
	}
	return s
}

func fmtPtr(v *float64) string {
	if v == nil {
		return "null"
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}
