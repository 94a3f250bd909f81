package dashboard_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/collector/demo"
	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator"
)

// TestDemo serves every page and every metric's API on the demo data of
// definitions/, on both databases, and checks that two ways of computing
// the same numbers agree: the catalogue's weekly totals (summed in SQL over
// every metric) and each metric's series (aggregated per metric).
func TestDemo(t *testing.T) {
	set, err := generator.Load("../../definitions")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for name, w := range warehousetest.Open(t, warehouse.Options{}) {
		t.Run(name, func(t *testing.T) {
			res, err := demo.Fill(ctx, w, set, demo.Options{Instances: 15, Weeks: 12, Now: now, SaaSUUID: "saas", RecordWeeks: 4})
			if err != nil {
				t.Fatal(err)
			}
			h := newDashboard(t, w, set)
			var cat struct {
				Metrics []struct {
					KeyPath   string     `json:"key_path"`
					Week      string     `json:"week"`
					Total     float64    `json:"total"`
					Instances int        `json:"instances"`
					Failed    int        `json:"failed"`
					Sparkline []*float64 `json:"sparkline"`
				}
			}
			decode(t, h, "/api/metrics", &cat)
			if len(cat.Metrics) != len(set.Metrics) {
				t.Errorf("the catalogue has %d metrics, the definitions %d", len(cat.Metrics), len(set.Metrics))
			}
			numbers := 0
			for _, e := range cat.Metrics {
				if code, _, body := get(t, h, "/metrics/"+url.PathEscape(e.KeyPath)); code != http.StatusOK || !strings.Contains(body, "<h1 class=\"kp\">") {
					t.Errorf("GET /metrics/%s: %d", e.KeyPath, code)
				}
				if e.Week == "" {
					continue // not a number: strings and objects have no series
				}
				numbers++
				var s struct {
					Weeks []struct {
						Week      string
						Total     float64
						Instances int
						Failed    int
					}
				}
				decode(t, h, "/api/metrics/"+url.PathEscape(e.KeyPath)+"/series", &s)
				last := s.Weeks[len(s.Weeks)-1]
				if last.Week != e.Week || !near(last.Total, e.Total) || last.Instances != e.Instances || last.Failed != e.Failed {
					t.Errorf("%s: the catalogue has %s %v (%d, %d failed), the series %+v", e.KeyPath, e.Week, e.Total, e.Instances, e.Failed, last)
				}
				for i, v := range e.Sparkline {
					wk := s.Weeks[len(s.Weeks)-len(e.Sparkline)+i]
					if (v == nil) != (wk.Instances == 0) || v != nil && !near(*v, wk.Total) {
						t.Errorf("%s: sparkline point %d is %s, the series has %+v", e.KeyPath, i, fmtPtr(v), wk)
					}
				}
			}
			if numbers < len(set.Metrics)/2 {
				t.Errorf("only %d of %d metrics have numbers", numbers, len(set.Metrics))
			}

			// The broken release shows as failures of its metric.
			var broken struct {
				Groups []struct {
					Name  string
					Weeks []struct{ Instances, Failed int }
				}
			}
			decode(t, h, "/api/metrics/"+res.Broken+"/split?by=version", &broken)
			for _, g := range broken.Groups {
				for _, wk := range g.Weeks {
					if g.Name == demo.BrokenVersion && wk.Instances != 0 {
						t.Errorf("%s on %s: %d instances reported a value, want all failing", res.Broken, g.Name, wk.Instances)
					}
				}
			}

			code, _, body := get(t, h, "/instances")
			if rows := strings.Count(body, `<span class="host">`); code != http.StatusOK || rows != res.Instances {
				t.Errorf("GET /instances: %d with %d instances, want %d", code, rows, res.Instances)
			}
			code, _, body = get(t, h, "/events")
			if code != http.StatusOK || !regexp.MustCompile(`<option value="[a-z_]+" selected>`).MatchString(body) || !strings.Contains(body, `id="chart-event"`) {
				t.Errorf("GET /events: %d, want the busiest event chosen and its chart", code)
			}
			code, _, body = get(t, h, "/?q=merge+request&source=internal_events")
			if code != http.StatusOK || strings.Count(body, `<tr id="metric-`) == 0 {
				t.Errorf("GET /?q=merge+request: %d, no row", code)
			}
		})
	}
}

// near reports whether two sums of the same numbers agree: SQLite sums
// with Kahan-Babuska compensation, Go and PostgreSQL in order, so the last
// bits may differ.
func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b)) }

// decode GETs a JSON answer into out.
func decode(t *testing.T, h http.Handler, target string, out any) {
	t.Helper()
	code, _, body := get(t, h, target)
	if code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", target, code, body)
	}
	if err := json.Unmarshal([]byte(body), out); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
}

// TestVendoredChartLibrary: the embedded uPlot is the version the
// lockfile pins, so `npm ci && npm run vendor` reproduces it.
func TestVendoredChartLibrary(t *testing.T) {
	var lock struct {
		Packages map[string]struct{ Version string } `json:"packages"`
	}
	data, err := os.ReadFile("web/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatal(err)
	}
	version := lock.Packages["node_modules/uplot"].Version
	js, err := os.ReadFile("static/vendor/uPlot.iife.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if version == "" || !strings.HasPrefix(string(js), "/*! https://github.com/leeoniya/uPlot (v"+version+") */") {
		t.Errorf("static/vendor/uPlot.iife.min.js is not uPlot %q of web/package-lock.json: run npm ci && npm run vendor in web/", version)
	}
}
