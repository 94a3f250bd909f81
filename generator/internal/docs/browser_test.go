package docs

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var screenshot = flag.String("screenshot", "", "write the browser test's screenshot to this PNG file (default: the test's temporary directory)")

// Paths of Debian's chromium and chromium-driver packages; CHROMIUM and
// CHROMEDRIVER override them.
func browserPaths() (chrome, driver string) {
	chrome, driver = "/usr/bin/chromium", "/usr/bin/chromedriver"
	if v := os.Getenv("CHROMIUM"); v != "" {
		chrome = v
	}
	if v := os.Getenv("CHROMEDRIVER"); v != "" {
		driver = v
	}
	return chrome, driver
}

// TestPageInBrowser loads the dictionary page in headless Chromium through
// chromedriver's W3C WebDriver API, searches and filters, and checks which
// rows the browser shows.
func TestPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome, driver := browserPaths()
	for _, p := range []string{chrome, driver} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("browser test needs Chromium and ChromeDriver (Debian packages chromium, chromium-driver): %v", err)
		}
	}
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

	wd := startDriver(t, chrome, driver, filepath.Join(dir, "profile"))
	wd.call(t, "POST", "/url", map[string]any{"url": "file://" + filepath.Join(dir, "index.html")})

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

	var shot string
	wd.callInto(t, "GET", "/screenshot", nil, &shot)
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

// webDriver is a minimal W3C WebDriver client over net/http.
type webDriver struct {
	base   string // http://127.0.0.1:port/session/id
	client *http.Client
}

func startDriver(t *testing.T, chrome, driver, profile string) *webDriver {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var logs bytes.Buffer
	cmd := exec.Command(driver, fmt.Sprintf("--port=%d", port))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", driver, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	root := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := &http.Client{Timeout: 60 * time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := client.Get(root + "/status")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("chromedriver did not answer on %s: %v\n%s", root, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "chrome",
		"goog:chromeOptions": map[string]any{
			"binary": chrome,
			"args": []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--no-first-run", "--window-size=1280,900", "--user-data-dir=" + profile},
		},
	}}}
	wd := &webDriver{base: root, client: client}
	var session struct {
		SessionID string `json:"sessionId"`
	}
	wd.callInto(t, "POST", "/session", caps, &session)
	if session.SessionID == "" {
		t.Fatalf("chromedriver returned no session id\n%s", logs.String())
	}
	wd.base = root + "/session/" + session.SessionID
	t.Cleanup(func() {
		req, _ := http.NewRequest("DELETE", wd.base, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
		}
	})
	return wd
}

func (wd *webDriver) call(t *testing.T, method, path string, body any) {
	t.Helper()
	wd.callInto(t, method, path, body, nil)
}

// callInto sends one command and decodes the response's value into out.
func (wd *webDriver) callInto(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, wd.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := wd.client.Do(req)
	if err != nil {
		t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("webdriver %s %s: %v", method, path, err)
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatalf("webdriver %s %s: %v: %s", method, path, err, data)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("webdriver %s %s: %s: %s", method, path, resp.Status, env.Value)
	}
	if out != nil {
		if err := json.Unmarshal(env.Value, out); err != nil {
			t.Fatalf("webdriver %s %s: decode %s: %v", method, path, env.Value, err)
		}
	}
}

// find returns the element id of the first element matching css.
func (wd *webDriver) find(t *testing.T, css string) string {
	t.Helper()
	var el map[string]string
	wd.callInto(t, "POST", "/element", map[string]any{"using": "css selector", "value": css}, &el)
	for _, id := range el { // the key is the W3C element identifier
		return id
	}
	t.Fatalf("no element %s", css)
	return ""
}

func (wd *webDriver) script(t *testing.T, src string, out any, args ...any) {
	t.Helper()
	if args == nil {
		args = []any{}
	}
	wd.callInto(t, "POST", "/execute/sync", map[string]any{"script": src, "args": args}, out)
}

// selectOption picks the option with the given value, as a user would: by
// clicking it, which fires the change event.
func (wd *webDriver) selectOption(t *testing.T, css, value string) {
	t.Helper()
	opt := wd.find(t, fmt.Sprintf(`%s option[value=%q]`, css, value))
	wd.call(t, "POST", "/element/"+opt+"/click", map[string]any{})
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
	var got string
	wd.callInto(t, "GET", "/element/"+wd.find(t, css)+"/text", nil, &got)
	if got != want {
		t.Errorf("text of %s = %q, want %q", css, got, want)
	}
}
