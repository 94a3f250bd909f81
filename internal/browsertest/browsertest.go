// Package browsertest drives headless Chromium from tests through
// chromedriver's W3C WebDriver API, over plain net/http: the pages a test
// serves are opened, typed into and clicked as a user would, and what the
// browser renders is read back. Tests skip where Chromium or chromedriver
// is missing (Debian packages chromium and chromium-driver; .ci/run
// installs them).
package browsertest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Paths returns the paths of Debian's chromium and chromedriver, which the
// CHROMIUM and CHROMEDRIVER variables override.
func Paths() (chrome, driver string) {
	chrome, driver = "/usr/bin/chromium", "/usr/bin/chromedriver"
	if v := os.Getenv("CHROMIUM"); v != "" {
		chrome = v
	}
	if v := os.Getenv("CHROMEDRIVER"); v != "" {
		driver = v
	}
	return chrome, driver
}

// Options shape the browser. The zero value works.
type Options struct {
	// Width and Height are the window's size. Default 1280 × 900, a
	// laptop's screen.
	Width, Height int
}

// Driver is one browser session.
type Driver struct {
	base   string // http://127.0.0.1:port/session/id
	client *http.Client
}

// Start starts chromedriver and a headless Chromium session, both ended
// when the test ends. It skips the test in -short mode and where either
// program is missing.
func Start(t testing.TB, opt Options) *Driver {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome, driver := Paths()
	for _, p := range []string{chrome, driver} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("browser test needs Chromium and ChromeDriver (Debian packages chromium, chromium-driver): %v", err)
		}
	}
	if opt.Width <= 0 || opt.Height <= 0 {
		opt.Width, opt.Height = 1280, 900
	}
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
				"--no-first-run", "--hide-scrollbars", fmt.Sprintf("--window-size=%d,%d", opt.Width, opt.Height),
				"--user-data-dir=" + filepath.Join(t.TempDir(), "profile")},
		},
	}}}
	wd := &Driver{base: root, client: client}
	var session struct {
		SessionID string `json:"sessionId"`
	}
	wd.CallInto(t, "POST", "/session", caps, &session)
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

// Call sends one WebDriver command of the session (path relative to it).
func (wd *Driver) Call(t testing.TB, method, path string, body any) {
	t.Helper()
	wd.CallInto(t, method, path, body, nil)
}

// CallInto sends one command and decodes the response's value into out.
func (wd *Driver) CallInto(t testing.TB, method, path string, body, out any) {
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

// Open navigates to url and waits for the page to load.
func (wd *Driver) Open(t testing.TB, url string) {
	t.Helper()
	wd.Call(t, "POST", "/url", map[string]any{"url": url})
}

// Find returns the element id of the first element matching css.
func (wd *Driver) Find(t testing.TB, css string) string {
	t.Helper()
	var el map[string]string
	wd.CallInto(t, "POST", "/element", map[string]any{"using": "css selector", "value": css}, &el)
	for _, id := range el { // the key is the W3C element identifier
		return id
	}
	t.Fatalf("no element %s", css)
	return ""
}

// Type sends text to the element matching css, as keystrokes ("\uE007"
// is Enter).
func (wd *Driver) Type(t testing.TB, css, text string) {
	t.Helper()
	wd.Call(t, "POST", "/element/"+wd.Find(t, css)+"/value", map[string]any{"text": text})
}

// Click clicks the element matching css.
func (wd *Driver) Click(t testing.TB, css string) {
	t.Helper()
	wd.Call(t, "POST", "/element/"+wd.Find(t, css)+"/click", map[string]any{})
}

// Script runs JavaScript in the page and decodes what it returns into out.
func (wd *Driver) Script(t testing.TB, src string, out any, args ...any) {
	t.Helper()
	if args == nil {
		args = []any{}
	}
	wd.CallInto(t, "POST", "/execute/sync", map[string]any{"script": src, "args": args}, out)
}

// SelectOption picks the option with the given value, as a user would: by
// clicking it, which fires the change event.
func (wd *Driver) SelectOption(t testing.TB, css, value string) {
	t.Helper()
	wd.Click(t, fmt.Sprintf(`%s option[value=%q]`, css, value))
}

// Text is the rendered text of the element matching css.
func (wd *Driver) Text(t testing.TB, css string) string {
	t.Helper()
	var got string
	wd.CallInto(t, "GET", "/element/"+wd.Find(t, css)+"/text", nil, &got)
	return got
}

// WantText asserts the rendered text of the element matching css.
func (wd *Driver) WantText(t testing.TB, css, want string) {
	t.Helper()
	if got := wd.Text(t, css); got != want {
		t.Errorf("text of %s = %q, want %q", css, got, want)
	}
}

// WaitFor runs the JavaScript condition until it returns true, for up to
// timeout, and reports whether it did.
func (wd *Driver) WaitFor(t testing.TB, cond string, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		wd.Script(t, "return !!("+cond+");", &ok)
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Screenshot returns a PNG of the window.
func (wd *Driver) Screenshot(t testing.TB) []byte {
	t.Helper()
	var shot string
	wd.CallInto(t, "GET", "/screenshot", nil, &shot)
	png, err := base64.StdEncoding.DecodeString(shot)
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot is not a PNG (%d bytes, %v)", len(png), err)
	}
	return png
}

// SaveScreenshot writes a PNG of the window to dir/name and logs where.
func (wd *Driver) SaveScreenshot(t testing.TB, dir, name string) string {
	t.Helper()
	png := wd.Screenshot(t)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", p, len(png))
	return p
}

// SetWindowSize resizes the window, for a screenshot of a whole page.
func (wd *Driver) SetWindowSize(t testing.TB, width, height int) {
	t.Helper()
	wd.Call(t, "POST", "/window/rect", map[string]any{"width": width, "height": height})
}
