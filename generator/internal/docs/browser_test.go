package docs

import (
	"bytes"
	"encoding/base64"
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
	wd := browsertest.Start(t)
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

	wd.Navigate(t, "file://"+filepath.Join(dir, "index.html"))

	all := []string{"event-code_pushed", "event-issue_created", "event-page_viewed",
		"metric-counts.count_distinct_user_id_from_issue_created_weekly",
		"metric-counts.count_total_issue_created_or_pushed", "metric-counts.projects", "metric-settings.version_check"}
	wantVisible(t, wd, "initial page", all)
	wantText(t, wd, "#count", "3 events, 4 metrics")

	search := wd.Find(t, "#search")
	wd.Call(t, "POST", "/element/"+search+"/value", map[string]any{"text": "issue"})
	wantVisible(t, wd, `search "issue"`, []string{"event-issue_created",
		"metric-counts.count_distinct_user_id_from_issue_created_weekly", "metric-counts.count_total_issue_created_or_pushed"})
	wantText(t, wd, "#count", "1 events, 2 metrics")

	// Two words must both match; "pushed" matches the metric naming code_pushed.
	wd.Call(t, "POST", "/element/"+search+"/value", map[string]any{"text": " pushed"})
	wantVisible(t, wd, `search "issue pushed"`, []string{"metric-counts.count_total_issue_created_or_pushed"})

	wd.Call(t, "POST", "/element/"+search+"/clear", map[string]any{})
	wd.SelectOption(t, "#filter-timeframe", "7d")
	wantVisible(t, wd, "time frame 7d", []string{"metric-counts.count_distinct_user_id_from_issue_created_weekly"})
	wd.SelectOption(t, "#filter-timeframe", "")

	wd.SelectOption(t, "#filter-tier", "premium")
	wantVisible(t, wd, "tier premium", []string{"event-issue_created", "metric-counts.count_distinct_user_id_from_issue_created_weekly"})
	wd.SelectOption(t, "#filter-tier", "")

	wd.SelectOption(t, "#filter-status", "removed")
	wantVisible(t, wd, "status removed", []string{"metric-counts.projects"})
	wd.SelectOption(t, "#filter-status", "")

	wd.SelectOption(t, "#filter-source", "system")
	wantVisible(t, wd, "data source system", []string{"metric-settings.version_check"})
	wd.SelectOption(t, "#filter-source", "")

	wd.SelectOption(t, "#filter-group", "source_code")
	wantVisible(t, wd, "group source_code", []string{"event-code_pushed", "metric-counts.projects"})

	// Following a metric's link to an event hidden by the filter shows it.
	wd.SelectOption(t, "#filter-group", "project_management")
	link := wd.Find(t, `#metric-counts\.count_total_issue_created_or_pushed a[href="#event-code_pushed"]`)
	wd.Call(t, "POST", "/element/"+link+"/click", map[string]any{})
	wantVisible(t, wd, "after following the link", all)
	var hash string
	wd.Script(t, "return location.hash", &hash)
	if hash != "#event-code_pushed" {
		t.Errorf("location.hash = %q after clicking the event link, want #event-code_pushed", hash)
	}

	var shot string
	wd.CallInto(t, "GET", "/screenshot", nil, &shot)
	png, err := base64.StdEncoding.DecodeString(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG (%d bytes, %v)", len(png), err)
	}
	out := *screenshot
	if out == "" {
		out = filepath.Join(dir, "dictionary.png")
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", out, len(png))
}

// wantVisible asserts the ids of the table rows the browser renders.
func wantVisible(t *testing.T, wd *browsertest.Driver, step string, want []string) {
	t.Helper()
	var got []string
	wd.Script(t, `return Array.prototype.slice.call(document.querySelectorAll("#dictionary tbody tr"))
.filter(function (tr) { return tr.offsetParent !== null; }).map(function (tr) { return tr.id; });`, &got)
	slices.Sort(got)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: visible rows\n got  %s\n want %s", step, strings.Join(got, " "), strings.Join(want, " "))
	}
}

func wantText(t *testing.T, wd *browsertest.Driver, css, want string) {
	t.Helper()
	if got := wd.Text(t, css); got != want {
		t.Errorf("text of %s = %q, want %q", css, got, want)
	}
}
