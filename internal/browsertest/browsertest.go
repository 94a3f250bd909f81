// Package browsertest drives headless Chromium through chromedriver's W3C
// WebDriver API, with net/http alone, for the tests of pages usagekit
// serves or generates.
package browsertest

import (
	"bytes"
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

// Paths are those of Debian's chromium and chromium-driver packages;
// CHROMIUM and CHROMEDRIVER override them.
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

// Driver is one WebDriver session of a headless Chromium.
type Driver struct {
	base   string // http://127.0.0.1:port/session/id
	client *http.Client
}

// Start starts chromedriver and a browser session, both ended when the test
// ends. It skips the test in -short mode and when Chromium or chromedriver
// is missing.
func Start(t testing.TB) *Driver {
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
				"--no-first-run", "--window-size=1280,900", "--user-data-dir=" + filepath.Join(t.TempDir(), "profile")},
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

// Call sends one command of the session, for example ("POST", "/url",
// map[string]any{"url": u}).
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

// Navigate loads url in the session's window.
func (wd *Driver) Navigate(t testing.TB, url string) {
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

// Click clicks the first element matching css, as a user would.
func (wd *Driver) Click(t testing.TB, css string) {
	t.Helper()
	wd.Call(t, "POST", "/element/"+wd.Find(t, css)+"/click", map[string]any{})
}

// Script runs src as the body of a function and decodes what it returns
// into out (which may be nil).
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

// Text is the rendered text of the first element matching css.
func (wd *Driver) Text(t testing.TB, css string) string {
	t.Helper()
	var got string
	wd.CallInto(t, "GET", "/element/"+wd.Find(t, css)+"/text", nil, &got)
	return got
}
