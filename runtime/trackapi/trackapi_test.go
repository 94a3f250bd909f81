package trackapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/internal/testservers"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/jsonl"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
	"github.com/usagekit/usagekit/runtime/track"
	"github.com/usagekit/usagekit/runtime/trackapi"
)

// TestMain stops the package's tests with one line per missing server.
func TestMain(m *testing.M) { testservers.Main(m, testservers.Redis) }

// Redis databases of this package's tests.
const (
	handlerDB = 11
	benchDB   = 12
)

// now is in ISO week 2026-48.
var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)

// authenticate takes "Bearer user-N" as user N, as an application would
// read its session.
func authenticate(r *http.Request) (trackapi.Identity, error) {
	var id int64
	if _, err := fmt.Sscanf(r.Header.Get("Authorization"), "Bearer user-%d", &id); err != nil {
		return trackapi.Identity{}, errors.New("no session")
	}
	return trackapi.Identity{User: event.UserID(id)}, nil
}

// authorize lets every user act on project 10 of namespace 100 only.
func authorize(_ *http.Request, _ trackapi.Identity, p event.ProjectID, n event.NamespaceID) error {
	if (p == 0 || p == 10) && (n == 0 || n == 100) {
		return nil
	}
	return errors.New("not a member")
}

type env struct {
	rdb     *redis.Client
	tracker *track.Tracker
	handler http.Handler
}

func newEnv(t *testing.T, opts trackapi.Options) *env {
	t.Helper()
	rdb := redistest.Client(t, handlerDB)
	tr := track.New(track.Options{Store: redisstore.New(rdb, redisstore.Options{}), Sync: true, Now: func() time.Time { return now }})
	t.Cleanup(func() { tr.Close(context.Background()) })
	if opts.Authenticate == nil {
		opts.Authenticate = authenticate
	}
	if opts.Authorize == nil {
		opts.Authorize = authorize
	}
	opts.Tracker = tr
	h, err := trackapi.New(generated.Events(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return &env{rdb: rdb, tracker: tr, handler: h}
}

// post sends body to the handler as a same-origin browser request of user 42.
func (e *env) post(path, body string, header http.Header) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "https://forge.example.com/api/v4/usage_data/"+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer user-42")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, vs := range header {
		req.Header.Del(k)
		for _, v := range vs {
			if v != "" {
				req.Header.Add(k, v)
			}
		}
	}
	w := httptest.NewRecorder()
	e.handler.ServeHTTP(w, req)
	return w
}

// counts reads every key of the test database: counters by value,
// HyperLogLogs by PFCOUNT.
func (e *env) counts(t *testing.T) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	keys, err := e.rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, k := range keys {
		if strings.HasPrefix(k, "{hll_counters}") {
			got[k] = e.rdb.PFCount(ctx, k).Val()
			continue
		}
		n, err := e.rdb.Get(ctx, k).Int64()
		if err != nil {
			t.Fatalf("GET %s: %v", k, err)
		}
		got[k] = n
	}
	return got
}

const issueEvent = `{"event":"create_issue","project_id":10,"namespace_id":100,"additional_properties":{"label":"incident","confidential":true,"weight":2}}`

// issueCounts are the keys one confidential create_issue by user 42 sets.
var issueCounts = map[string]int64{
	"{event_counters}_create_issue":                            1,
	"{event_counters}_create_issue-2026-48":                    1,
	"{event_counters}_create_issue-filter:[confidential:true]": 1,
	"{hll_counters}_create_issue-user-2026-48":                 1,
}

func withoutZeros(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

func TestHandler(t *testing.T) {
	manyEvents := "[" + strings.TrimSuffix(strings.Repeat(`{"event":"search_code"},`, 51), ",") + "]"
	fiftyEvents := "[" + strings.TrimSuffix(strings.Repeat(`{"event":"search_code"},`, 50), ",") + "]"
	cases := []struct {
		name       string
		opts       trackapi.Options
		method     string
		path, body string
		header     http.Header
		status     int
		want       string
		counts     map[string]int64
	}{
		{
			name: "one event", path: "track_event", body: issueEvent,
			status: 200, want: `{"tracked":1}`, counts: issueCounts,
		},
		{
			name: "a batch", path: "track_events",
			body:   `{"events":[` + issueEvent + `,{"event":"search_code","project_id":"10","additional_properties":{"scope":"issues","results_count":3,"label":"x"}}]}`,
			status: 200, want: `{"tracked":2}`,
			counts: map[string]int64{
				"{event_counters}_create_issue":                            1,
				"{event_counters}_create_issue-2026-48":                    1,
				"{event_counters}_create_issue-filter:[confidential:true]": 1,
				"{hll_counters}_create_issue-user-2026-48":                 1,
				"{event_counters}_search_code":                             1,
				"{event_counters}_search_code-2026-48":                     1,
				"{hll_counters}_search_code-user-2026-48":                  1,
			},
		},
		{
			name: "fifty events, the most allowed", path: "track_events", body: `{"events":` + fiftyEvents + `}`,
			status: 200, want: `{"tracked":50}`,
			counts: map[string]int64{
				"{event_counters}_search_code":            50,
				"{event_counters}_search_code-2026-48":    50,
				"{hll_counters}_search_code-user-2026-48": 1,
			},
		},
		{
			name: "fifty-one events", path: "track_events", body: `{"events":` + manyEvents + `}`,
			status: 400, want: `{"message":"Maximum 50 events allowed in one request."}`,
		},
		{
			name: "unknown event", path: "track_event", body: `{"event":"create_isue"}`,
			status: 400,
			want:   `{"message":"400 Bad request - 1 problem; nothing was tracked","problems":[{"index":0,"event":"create_isue","field":"event","message":"unknown event \"create_isue\"","expected":"the name of a defined event"}]}`,
		},
		{
			name: "every problem of a batch, and nothing of it counted", path: "track_events",
			body: `{"events":[` + issueEvent + `,
				{"event":"create_issue","additional_properties":{"weight":"heavy","colour":"red"}},
				{"event":"search_code","additional_properties":{"scope":"wikis","results_count":1.5}},
				{"event":"create_pipeline","project_id":-1,"send_to_snowplow":"yes","additional_properties":{"config_source":3}},
				{"project_id":10}]}`,
			status: 400,
			want: `{"message":"400 Bad request - 8 problems; nothing was tracked","problems":[` +
				`{"index":1,"event":"create_issue","property":"colour","message":"undeclared property","expected":"one of confidential, label, property, weight"},` +
				`{"index":1,"event":"create_issue","property":"weight","message":"got \"heavy\"","expected":"an integer"},` +
				`{"index":2,"event":"search_code","property":"results_count","message":"got 1.5","expected":"an integer"},` +
				`{"index":2,"event":"search_code","property":"scope","message":"\"wikis\" is not allowed","expected":"one of \"blobs\", \"commits\", \"issues\", \"merge_requests\""},` +
				`{"index":3,"event":"create_pipeline","field":"project_id","message":"project_id is invalid: -1","expected":"a positive integer"},` +
				`{"index":3,"event":"create_pipeline","field":"send_to_snowplow","message":"send_to_snowplow is invalid: \"yes\"","expected":"true or false"},` +
				`{"index":3,"event":"create_pipeline","property":"config_source","message":"got 3","expected":"one of \"repository\", \"auto_devops\", \"parent_pipeline\""},` +
				`{"index":4,"field":"event","message":"event is missing","expected":"the name of a defined event"}]}`,
		},
		{
			name: "events missing", path: "track_events", body: `{"event":"search_code"}`,
			status: 400, want: `{"message":"400 Bad request - events is missing"}`,
		},
		{
			name: "not JSON", path: "track_event", body: `{"event":`,
			status: 400, want: `{"message":"400 Bad request - the body is not JSON: unexpected end of JSON input"}`,
		},
		{
			name: "events not a list", path: "track_events", body: `{"events":{"event":"search_code"}}`,
			status: 400, want: `{"message":"400 Bad request - events is invalid"}`,
		},
		{
			name: "an event that is not an object", path: "track_event", body: `["search_code"]`,
			status: 400,
			want:   `{"message":"400 Bad request - 1 problem; nothing was tracked","problems":[{"index":0,"message":"not an event: [\"search_code\"]","expected":"an object"}]}`,
		},
		{
			name: "events and properties that are not objects", path: "track_events",
			body:   `{"events":[1,{"event":"search_code","additional_properties":["scope"]}]}`,
			status: 400,
			want: `{"message":"400 Bad request - 2 problems; nothing was tracked","problems":[` +
				`{"index":0,"message":"not an event: 1","expected":"an object"},` +
				`{"index":1,"event":"search_code","field":"additional_properties","message":"additional_properties is invalid: [\"scope\"]","expected":"an object of property names and values"}]}`,
		},
		{
			name: "not signed in", path: "track_event", body: issueEvent, header: http.Header{"Authorization": {""}},
			status: 401, want: `{"message":"401 Unauthorized"}`,
		},
		{
			name: "a project the user may not act on", path: "track_events",
			body:   `{"events":[` + issueEvent + `,{"event":"search_code","project_id":11}]}`,
			status: 403, want: `{"message":"403 Forbidden - not allowed on project 11, namespace 0"}`,
		},
		{
			name: "a project on an event without projects is ignored", path: "track_event",
			body:   `{"event":"search_code","project_id":11}`,
			status: 403, want: `{"message":"403 Forbidden - not allowed on project 11, namespace 0"}`,
		},
		{
			name: "from another site", path: "track_event", body: issueEvent,
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}},
			status: 403, want: `{"message":"403 Forbidden - cross-origin request refused"}`,
		},
		{
			name: "from another origin with no Sec-Fetch-Site", path: "track_event", body: issueEvent,
			header: http.Header{"Sec-Fetch-Site": {""}, "Origin": {"https://evil.example"}},
			status: 403, want: `{"message":"403 Forbidden - cross-origin request refused"}`,
		},
		{
			name: "from another site with the CSRF header", opts: trackapi.Options{CSRFHeader: "X-Requested-With"},
			path: "track_event", body: issueEvent,
			header: http.Header{"Sec-Fetch-Site": {"cross-site"}, "X-Requested-With": {"XMLHttpRequest"}},
			status: 200, want: `{"tracked":1}`, counts: issueCounts,
		},
		{
			name: "from another service (no browser headers)", path: "track_event", body: issueEvent,
			header: http.Header{"Sec-Fetch-Site": {""}},
			status: 200, want: `{"tracked":1}`, counts: issueCounts,
		},
		{
			name: "anonymous: counted with no user",
			opts: trackapi.Options{Authenticate: func(*http.Request) (trackapi.Identity, error) { return trackapi.Identity{}, nil }},
			path: "track_event", body: issueEvent, header: http.Header{"Authorization": {""}},
			status: 200, want: `{"tracked":1}`,
			counts: map[string]int64{
				"{event_counters}_create_issue":                            1,
				"{event_counters}_create_issue-2026-48":                    1,
				"{event_counters}_create_issue-filter:[confidential:true]": 1,
			},
		},
		{
			name: "too large", opts: trackapi.Options{MaxBodyBytes: 64}, path: "track_event", body: issueEvent,
			status: 413, want: `{"message":"413 Request Entity Too Large - the body is over 64 bytes"}`,
		},
		{
			name: "GET", method: http.MethodGet, path: "track_event",
			status: 405, want: `{"message":"405 Method Not Allowed"}`,
		},
		{
			name: "another path", path: "increment_counter", body: `{"event":"search_code"}`,
			status: 404, want: `{"message":"404 Not Found"}`,
		},
		{
			name: "lenient: the valid events count", opts: trackapi.Options{Lenient: true}, path: "track_events",
			body:   `{"events":[` + issueEvent + `,{"event":"create_isue"}]}`,
			status: 200, want: `{"tracked":1,"rejected":1}`, counts: issueCounts,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var reported []error
			tc.opts.ErrorHandler = func(err error) { reported = append(reported, err) }
			e := newEnv(t, tc.opts)
			var w *httptest.ResponseRecorder
			if tc.method == "" {
				w = e.post(tc.path, tc.body, tc.header)
			} else {
				req := httptest.NewRequest(tc.method, "https://forge.example.com/api/v4/usage_data/"+tc.path, nil)
				w = httptest.NewRecorder()
				e.handler.ServeHTTP(w, req)
			}
			if w.Code != tc.status {
				t.Errorf("status %d, want %d", w.Code, tc.status)
			}
			if got := strings.TrimSpace(w.Body.String()); got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			got, want := e.counts(t), withoutZeros(tc.counts)
			if !mapsEqual(got, want) {
				t.Errorf("Redis holds %v, want %v", got, want)
			}
			if tc.opts.Lenient != (len(reported) > 0) {
				t.Errorf("error handler heard %v", reported)
			}
			for _, err := range reported {
				if !errors.Is(err, trackapi.ErrInvalid) || !strings.Contains(err.Error(), `events[1] (create_isue) event: unknown event "create_isue"`) {
					t.Errorf("reported %v", err)
				}
			}
		})
	}
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestRateLimit(t *testing.T) {
	clock := now
	e := newEnv(t, trackapi.Options{Rate: 10, Burst: 60, Now: func() time.Time { return clock }})
	batch := func(n int) string {
		return `{"events":[` + strings.TrimSuffix(strings.Repeat(`{"event":"search_code"},`, n), ",") + `]}`
	}
	if w := e.post("track_events", batch(50), nil); w.Code != 200 {
		t.Fatalf("first 50: %d %s", w.Code, w.Body)
	}
	w := e.post("track_events", batch(20), nil)
	if w.Code != 429 || strings.TrimSpace(w.Body.String()) != `{"message":"429 Too Many Requests"}` || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("over the burst: %d %s Retry-After %q", w.Code, w.Body, w.Header().Get("Retry-After"))
	}
	// Another user has a bucket of their own.
	if w := e.post("track_events", batch(20), http.Header{"Authorization": {"Bearer user-43"}}); w.Code != 200 {
		t.Fatalf("another user: %d %s", w.Code, w.Body)
	}
	clock = clock.Add(time.Second) // ten more tokens: 20 in all
	if w := e.post("track_events", batch(20), nil); w.Code != 200 {
		t.Fatalf("a second later: %d %s", w.Code, w.Body)
	}
	if got := e.counts(t)["{event_counters}_search_code"]; got != 90 {
		t.Errorf("counted %d events, want 90 (the refused batch counts nothing)", got)
	}
}

func TestNewNeedsAuthenticate(t *testing.T) {
	_, err := trackapi.New(generated.Events(), trackapi.Options{})
	if !errors.Is(err, trackapi.ErrOptions) {
		t.Fatalf("err = %v, want ErrOptions", err)
	}
}

func TestAuthorizeDefaultRefusesProjects(t *testing.T) {
	rdb := redistest.Client(t, handlerDB)
	tr := track.New(track.Options{Store: redisstore.New(rdb, redisstore.Options{}), Sync: true})
	defer tr.Close(context.Background())
	h, err := trackapi.New(generated.Events(), trackapi.Options{Authenticate: authenticate, Tracker: tr})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{rdb: rdb, tracker: tr, handler: h}
	if w := e.post("track_event", issueEvent, nil); w.Code != 403 ||
		strings.TrimSpace(w.Body.String()) != `{"message":"403 Forbidden - events on projects and namespaces need an Authorize hook"}` {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	if w := e.post("track_event", `{"event":"search_code"}`, nil); w.Code != 200 {
		t.Errorf("no project: %d %s", w.Code, w.Body)
	}
}

// TestSendToSnowplow checks that send_to_snowplow makes a record where the
// tracker has a record pipeline, and that without it only counts change.
func TestSendToSnowplow(t *testing.T) {
	var buf syncBuffer
	p, err := record.New(jsonl.New(&buf), record.Options{RawIdentifiers: true})
	if err != nil {
		t.Fatal(err)
	}
	rdb := redistest.Client(t, handlerDB)
	tr := track.New(track.Options{Store: redisstore.New(rdb, redisstore.Options{}), Sync: true, Records: p, Now: func() time.Time { return now }})
	h, err := trackapi.New(generated.Events(), trackapi.Options{Authenticate: authenticate, Authorize: authorize, Tracker: tr})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{rdb: rdb, tracker: tr, handler: h}
	body := `{"events":[` + strings.Replace(issueEvent, `{"event"`, `{"send_to_snowplow":true,"event"`, 1) + `,` + issueEvent + `]}`
	if w := e.post("track_events", body, nil); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d records, want 1:\n%s", len(lines), buf.String())
	}
	var rec struct {
		Event       string            `json:"event"`
		Identifiers map[string]string `json:"identifiers"`
		Properties  map[string]any    `json:"properties"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Event != "create_issue" || rec.Identifiers["user"] != "42" || rec.Identifiers["project"] != "10" ||
		rec.Properties["label"] != "incident" || rec.Properties["confidential"] != true || rec.Properties["weight"] != float64(2) {
		t.Errorf("record %s", lines[0])
	}
	if got := e.counts(t)["{event_counters}_create_issue"]; got != 2 {
		t.Errorf("counted %d, want 2", got)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sink keeps the records the tracker forwards.
type sink struct {
	mu   sync.Mutex
	recs []event.Record
}

func (s *sink) Event(_ context.Context, _ string, r *event.Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := *r
	c.Custom = slices.Clone(r.Custom)
	s.recs = append(s.recs, c)
}

// TestSameRecordAsGeneratedTrack checks that the endpoint builds the very
// record a generated Track call builds from the same values: identifiers,
// built-ins, custom properties in order, and the filter bits of every
// metric rule, so an event counts the same from the browser and the server.
func TestSameRecordAsGeneratedTrack(t *testing.T) {
	cases := []struct {
		body  string
		track func(ctx context.Context)
	}{
		{
			`{"event":"create_pipeline","project_id":10,"namespace_id":100,"additional_properties":{"label":"push","config_source":"repository","stages_count":1}}`,
			func(ctx context.Context) {
				generated.TrackCreatePipeline(ctx, 42, 10, 100, generated.CreatePipelineProperties{
					Label: "push", ConfigSource: generated.CreatePipelineConfigSourceRepository, StagesCount: 1})
			},
		},
		{
			`{"event":"create_pipeline","additional_properties":{"label":"schedule","stages_count":1.0}}`,
			func(ctx context.Context) {
				generated.TrackCreatePipeline(ctx, 42, 0, 0, generated.CreatePipelineProperties{Label: "schedule", StagesCount: 1})
			},
		},
		{
			`{"event":"create_issue","additional_properties":{"confidential":false}}`,
			func(ctx context.Context) {
				generated.TrackCreateIssue(ctx, 42, 0, 0, generated.CreateIssueProperties{})
			},
		},
		{
			`{"event":"merge_merge_request","project_id":10,"additional_properties":{"value":2.5,"review_hours":1.25,"squash":true}}`,
			func(ctx context.Context) {
				generated.TrackMergeMergeRequest(ctx, 42, 10, 0, generated.MergeMergeRequestProperties{Value: 2.5, ReviewHours: 1.25, Squash: true})
			},
		},
		{
			`{"event":"push_to_repository","additional_properties":{"branch_protected":true}}`,
			func(ctx context.Context) {
				generated.TrackPushToRepository(ctx, 42, 0, 0, generated.PushToRepositoryProperties{BranchProtected: true})
			},
		},
	}
	for _, tc := range cases {
		var fromAPI, fromGo sink
		apiTracker := track.New(track.Options{Sink: &fromAPI, FlushInterval: -1})
		goTracker := track.New(track.Options{Sink: &fromGo, FlushInterval: -1})
		h, err := trackapi.New(generated.Events(), trackapi.Options{Authenticate: authenticate, Authorize: authorize, Tracker: apiTracker})
		if err != nil {
			t.Fatal(err)
		}
		e := &env{handler: h}
		// The sink hears of events sent with send_to_snowplow only.
		body := strings.Replace(tc.body, `{"event"`, `{"send_to_snowplow":true,"event"`, 1)
		if w := e.post("track_event", body, nil); w.Code != 200 {
			t.Fatalf("%s: %d %s", tc.body, w.Code, w.Body)
		}
		tc.track(track.NewContext(context.Background(), goTracker))
		if len(fromAPI.recs) != 1 || len(fromGo.recs) != 1 {
			t.Fatalf("%s: %d and %d records", tc.body, len(fromAPI.recs), len(fromGo.recs))
		}
		if a, g := fmt.Sprintf("%+v", fromAPI.recs[0]), fmt.Sprintf("%+v", fromGo.recs[0]); a != g {
			t.Errorf("%s:\nendpoint %s\nTrack    %s", tc.body, a, g)
		}
		if fromGo.recs[0].Match == 0 && (strings.Contains(tc.body, "create_pipeline") || strings.Contains(tc.body, "push_to")) {
			t.Errorf("%s: no filter matched; the case proves little", tc.body)
		}
		apiTracker.Close(context.Background())
		goTracker.Close(context.Background())
	}
}
