package generated_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/internal/browsertest"
	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/internal/tstest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
	"github.com/usagekit/usagekit/runtime/track"
	"github.com/usagekit/usagekit/runtime/trackapi"
)

// browserRedisDB is the Redis database of the browser test.
const browserRedisDB = 13

// page is the test application's page: buttons whose clicks call the
// generated client, compiled from usage.ts. The query string sets the
// transport's flush interval.
const page = `<!doctype html>
<html><head><meta charset="utf-8"><title>usagekit client test</title></head>
<body>
<button id="new-issue">New issue</button>
<button id="search">Search</button>
<button id="burst">Search 120 times</button>
<script type="module">
import { configure, trackCreateIssue, trackSearchCode } from "./usage.js";
configure({
  flushInterval: Number(new URLSearchParams(location.search).get("interval")),
  onError: (e) => { window.trackErrors = (window.trackErrors || []).concat(String(e)); },
});
document.getElementById("new-issue").addEventListener("click", () =>
  trackCreateIssue({ projectId: 10, namespaceId: 100, label: "incident", confidential: true, weight: 2 }));
document.getElementById("search").addEventListener("click", () =>
  trackSearchCode({ projectId: 10, scope: "issues", results_count: 3 }));
document.getElementById("burst").addEventListener("click", () => {
  for (let i = 0; i < 120; i++) trackSearchCode({ scope: "commits", results_count: i });
});
window.ready = true;
</script>
</body></html>
`

// TestClientInBrowser loads a page that uses the compiled TypeScript
// client in headless Chromium, served with the track endpoint by a Go
// test server: clicks are counted in Redis, sent with fetch after the
// flush interval or as soon as 50 are queued, and events still queued when
// the page is hidden, or left, arrive by sendBeacon.
func TestClientInBrowser(t *testing.T) {
	wd := browsertest.Start(t, browsertest.Options{})
	js := t.TempDir()
	copyFile(t, "usage.ts", filepath.Join(js, "usage.ts"))
	if out, ok := tstest.Run(t, js, "--outDir", js, "usage.ts"); !ok {
		t.Fatalf("tsc usage.ts:\n%s", out)
	}
	script, err := os.ReadFile(filepath.Join(js, "usage.js"))
	if err != nil {
		t.Fatal(err)
	}

	rdb := redistest.Client(t, browserRedisDB)
	tr := track.New(track.Options{Store: redisstore.New(rdb, redisstore.Options{}), Sync: true})
	defer tr.Close(context.Background())
	api, err := trackapi.New(generated.Events(), trackapi.Options{
		Authenticate: func(r *http.Request) (trackapi.Identity, error) {
			c, err := r.Cookie("session")
			if err != nil || c.Value != "user-7" {
				return trackapi.Identity{}, fmt.Errorf("no session")
			}
			return trackapi.Identity{User: 7}, nil
		},
		Authorize: func(_ *http.Request, _ trackapi.Identity, p event.ProjectID, n event.NamespaceID) error {
			if p != 10 || (n != 0 && n != 100) {
				return fmt.Errorf("not a member")
			}
			return nil
		},
		Tracker: tr,
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var requests []string // content type and status of each request to the endpoint
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "user-7", Path: "/", HttpOnly: true})
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})
	mux.HandleFunc("GET /usage.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		w.Write(script)
	})
	mux.HandleFunc("GET /left", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("left")) })
	mux.Handle("/api/v4/usage_data/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, r)
		mu.Lock()
		requests = append(requests, fmt.Sprintf("%s %d", strings.Split(r.Header.Get("Content-Type"), ";")[0], rec.Code))
		mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	}))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sent := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(requests)
	}

	// Clicks go out with fetch once the flush interval has passed.
	open(t, wd, srv.URL+"/?interval=1000")
	wd.Click(t, "#new-issue")
	wd.Click(t, "#search")
	wd.Click(t, "#search")
	waitCount(t, rdb, "{event_counters}_create_issue", 1)
	waitCount(t, rdb, "{event_counters}_search_code", 2)
	waitCount(t, rdb, "{event_counters}_create_issue-filter:[confidential:true]", 1)
	if got := sent(); !slices.Equal(got, []string{"application/json 200"}) {
		t.Errorf("requests to the endpoint: %q, want one fetch of both events", got)
	}
	var errs []string
	wd.Script(t, "return window.trackErrors || []", &errs)
	if len(errs) > 0 {
		t.Errorf("the client reported %q", errs)
	}

	// With an interval of a minute, full batches of 50 go at once and
	// only hiding the page sends the rest.
	open(t, wd, srv.URL+"/?interval=60000")
	wd.Click(t, "#search")
	wd.Click(t, "#search")
	wd.Click(t, "#burst")
	waitCount(t, rdb, "{event_counters}_search_code", 102)
	time.Sleep(200 * time.Millisecond)
	if n := rdb.Get(context.Background(), "{event_counters}_search_code").Val(); n != "102" {
		t.Fatalf("search_code counted %s times before the page was hidden, want 102", n)
	}
	// Headless Chromium never hides a page by itself: the test says so
	// as the browser would, then fires the event.
	wd.Script(t, `Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
document.dispatchEvent(new Event("visibilitychange"));`, nil)
	waitCount(t, rdb, "{event_counters}_search_code", 124)

	// Leaving the page (pagehide) sends what is queued too.
	wd.Click(t, "#new-issue")
	wd.Open(t, srv.URL+"/left")
	waitCount(t, rdb, "{event_counters}_create_issue", 2)
	want := []string{"application/json 200", "application/json 200", "application/json 200", "text/plain 200", "text/plain 200"}
	if got := sent(); !slices.Equal(got, want) {
		t.Errorf("requests to the endpoint: %q, want %q (beacons are text/plain)", got, want)
	}
	if n := rdb.PFCount(context.Background(), "{hll_counters}_search_code-user-"+thisWeek()).Val(); n != 1 {
		t.Errorf("search_code users: %d, want 1 (user 7, from the session)", n)
	}
}

// open loads url and waits for the page's module to have run.
func open(t *testing.T, wd *browsertest.Driver, url string) {
	t.Helper()
	wd.Open(t, url)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var ready bool
		wd.Script(t, "return window.ready === true", &ready)
		if ready {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the page's script did not run", url)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitCount waits until the counter key reaches want.
func waitCount(t *testing.T, rdb *redis.Client, key string, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n, _ := rdb.Get(context.Background(), key).Int64()
		if n == want {
			return
		}
		if time.Now().After(deadline) || n > want {
			t.Fatalf("%s = %d, want %d", key, n, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// thisWeek is the suffix of this ISO week's keys, 2026-48 style.
func thisWeek() string {
	y, w := time.Now().ISOWeek()
	return fmt.Sprintf("%d-%02d", y, w)
}
