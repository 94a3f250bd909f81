package docs

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/internal/browsertest"
)

var screenshot = flag.String("screenshot", "", "write the browser test's screenshot to this PNG file (default: the test's temporary directory)")

// TestPageInBrowser loads the dictionary page in headless Chromium through
// chromedriver's W3C WebDriver API, searches and filters, and checks which
// rows the browser shows.
func TestPageInBrowser(t *testing.T) {
	wd := &webDriver{browsertest.Start(t, browsertest.Options{})}
	dir := t.TempDir()
	files, err := Generate(sampleSet())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	wd.Open(t, "file://"+filepath.Join(dir, "index.html"))

	all := []string{"event-code_pushed", "event-issue_created", "event-page_viewed",
		"metric-counts.count_distinct_user_id_from_issue_created_weekly",
		"metric-counts.count_total_issue_created_or_pushed", "metric-counts.projects", "metric-settings.version_check"}
	wd.wantVisible(t, "initial page", all)
	wd.wantText(t, "#count", "3 events, 4 metrics")

	search := wd.find(t, "#search")
	wd.call(t, "POST", "/element/"+search+"/value", map[string]any{"text": "issue"})
	wd.wantVisible(t, `search "issue"`, []string{"event-issue_created",
		"metric-counts.count_distinct_user_id_from_issue_created_weekly", "metric-counts.count_total_issue_created_or_pushed"})
	wd.wantText(t, "#count", "1 events, 2 metrics")

	// Two words must both match; "pushed" matches the metric naming code_pushed.
	wd.call(t, "POST", "/element/"+search+"/value", map[string]any{"text": " pushed"})
	wd.wantVisible(t, `search "issue pushed"`, []string{"metric-counts.count_total_issue_created_or_pushed"})

	wd.call(t, "POST", "/element/"+search+"/clear", map[string]any{})
	wd.selectOption(t, "#filter-timeframe", "7d")
	wd.wantVisible(t, "time frame 7d", []string{"metric-counts.count_distinct_user_id_from_issue_created_weekly"})
	wd.selectOption(t, "#filter-timeframe", "")

	wd.selectOption(t, "#filter-tier", "premium")
	wd.wantVisible(t, "tier premium", []string{"event-issue_created", "metric-counts.count_distinct_user_id_from_issue_created_weekly"})
	wd.selectOption(t, "#filter-tier", "")

	wd.selectOption(t, "#filter-status", "removed")
	wd.wantVisible(t, "status removed", []string{"metric-counts.projects"})
	wd.selectOption(t, "#filter-status", "")

	wd.selectOption(t, "#filter-source", "system")
	wd.wantVisible(t, "data source system", []string{"metric-settings.version_check"})
	wd.selectOption(t, "#filter-source", "")

	wd.selectOption(t, "#filter-group", "source_code")
	wd.wantVisible(t, "group source_code", []string{"event-code_pushed", "metric-counts.projects"})

	// Following a metric's link to an event hidden by the filter shows it.
	wd.selectOption(t, "#filter-group", "project_management")
	link := wd.find(t, `#metric-counts\.count_total_issue_created_or_pushed a[href="#event-code_pushed"]`)
	wd.call(t, "POST", "/element/"+link+"/click", map[string]any{})
	wd.wantVisible(t, "after following the link", all)
	var hash string
	wd.script(t, "return location.hash", &hash)
	if hash != "#event-code_pushed" {
		t.Errorf("location.hash = %q after clicking the event link, want #event-code_pushed", hash)
	}

	png := wd.Screenshot(t)
	out := *screenshot
	if out == "" {
		out = filepath.Join(dir, "dictionary.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(png))
}

// webDriver adds the dictionary's own assertions to the shared driver.
type webDriver struct{ *browsertest.Driver }

func (wd *webDriver) call(t *testing.T, method, path string, body any) {
	t.Helper()
	wd.Call(t, method, path, body)
}

func (wd *webDriver) find(t *testing.T, css string) string {
	t.Helper()
	return wd.Find(t, css)
}

func (wd *webDriver) script(t *testing.T, src string, out any, args ...any) {
	t.Helper()
	wd.Script(t, src, out, args...)
}

func (wd *webDriver) selectOption(t *testing.T, css, value string) {
	t.Helper()
	wd.SelectOption(t, css, value)
}

// wantVisible asserts the ids of the table rows the browser renders.
func (wd *webDriver) wantVisible(t *testing.T, step string, want []string) {
	t.Helper()
	var got []string
	wd.script(t, `return Array.prototype.slice.call(document.querySelectorAll("#dictionary tbody tr"))
.filter(function (tr) { return tr.offsetParent !== null; }).map(function (tr) { return tr.id; });`, &got)
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: visible rows\n got  %s\n want %s", step, strings.Join(got, " "), strings.Join(want, " "))
	}
}

func (wd *webDriver) wantText(t *testing.T, css, want string) {
	t.Helper()
	wd.WantText(t, css, want)
}
