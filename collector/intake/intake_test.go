package intake_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/usagekit/usagekit/collector/intake"
	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/internal/testservers"
	"github.com/usagekit/usagekit/runtime/ping"
)

func TestMain(m *testing.M) { testservers.Main(m, testservers.Postgres) }

var now = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

const goodPing = `{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "version": "2.3.0", "counts": {"issues": 3}}`

const goodRecords = `[{"id": "0190a6b8-0000-7000-8000-000000000001", "occurred_at": "2026-11-25T12:00:00Z", "event": "create_issue",
 "identifiers": {"user": "ab12"}, "properties": {"label": "bug"}},
 {"id": "0190a6b8-0000-7000-8000-000000000002", "occurred_at": "2026-11-25T12:00:01Z", "event": "create_issue"}]`

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// bomb is a small gzip body that decompresses to n bytes of zeros.
func bomb(n int) []byte {
	var b bytes.Buffer
	w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
	zeros := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(zeros))
		w.Write(zeros[:k])
		n -= k
	}
	w.Close()
	return b.Bytes()
}

type request struct {
	path    string
	body    []byte
	headers map[string]string
}

func (r request) do(t *testing.T, h http.Handler) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, r.path, bytes.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range r.headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, strings.TrimSpace(rec.Body.String())
}

// TestIntakeRefuses: every bad request gets its exact status and error,
// and nothing of it is stored.
func TestIntakeRefuses(t *testing.T) {
	for name, w := range warehousetest.Open(t, warehouse.Options{Now: func() time.Time { return now }}) {
		t.Run(name, func(t *testing.T) {
			in := intake.New(intake.Options{Warehouse: w, MaxBody: 64 << 10, MaxDecoded: 256 << 10, Now: func() time.Time { return now }})
			big := `{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "pad": "` + strings.Repeat("x", 70<<10) + `"}`
			for _, tt := range []struct {
				name   string
				req    request
				status int
				body   string
			}{
				{"bad JSON", request{path: "/usage_data", body: []byte(`{"uuid": `)}, 400, `{"error":"the body is not valid JSON","field":""}`},
				{"empty", request{path: "/usage_data"}, 400, `{"error":"the body is empty; want a JSON document","field":""}`},
				{"not an object", request{path: "/usage_data", body: []byte(`[1]`)}, 400, `{"error":"the payload is not a JSON object","field":""}`},
				{"no uuid", request{path: "/usage_data", body: []byte(`{"recorded_at": "2026-11-25T12:00:00Z"}`)}, 400,
					`{"error":"uuid: want the instance's UUID, a string","field":"uuid"}`},
				{"bad recorded_at", request{path: "/usage_data", body: []byte(`{"uuid": "a", "recorded_at": "now"}`)}, 400,
					`{"error":"recorded_at \"now\": want an RFC 3339 time","field":"recorded_at"}`},
				// A week's values have a partition of their own: a sender's
				// clock cannot make one for every week of a century.
				{"recorded_at long ago", request{path: "/usage_data", body: []byte(`{"uuid": "a", "recorded_at": "2016-11-25T12:00:00Z"}`)}, 400,
					`{"error":"recorded_at 2016-11-25T12:00:00Z: want a time within ten years before the collector's clock (2026-11-26T08:00:00Z) and a week after it","field":"recorded_at"}`},
				{"recorded_at ahead", request{path: "/usage_data", body: []byte(`{"uuid": "a", "recorded_at": "2026-12-03T08:00:01Z"}`)}, 400,
					`{"error":"recorded_at 2026-12-03T08:00:01Z: want a time within ten years before the collector's clock (2026-11-26T08:00:00Z) and a week after it","field":"recorded_at"}`},
				{"not JSON", request{path: "/usage_data", body: []byte(goodPing), headers: map[string]string{"Content-Type": "text/plain"}}, 415,
					`{"error":"Content-Type \"text/plain\": want application/json","field":"Content-Type"}`},
				{"unknown encoding", request{path: "/usage_data", body: []byte(goodPing), headers: map[string]string{"Content-Encoding": "br"}}, 415,
					`{"error":"Content-Encoding \"br\": want gzip or none","field":"Content-Encoding"}`},
				{"not gzip", request{path: "/usage_data", body: []byte(goodPing), headers: map[string]string{"Content-Encoding": "gzip"}}, 400,
					`{"error":"the body is not gzip: gzip: invalid header","field":"Content-Encoding"}`},
				{"too big", request{path: "/usage_data", body: []byte(big)}, 413, `{"error":"the body is 71744 bytes; the limit is 65536","field":""}`},
				{"gzip bomb", request{path: "/usage_data", body: bomb(4 << 20), headers: map[string]string{"Content-Encoding": "gzip"}}, 413,
					`{"error":"the body is over 262144 bytes once decompressed","field":""}`},
				{"bad record", request{path: "/records", body: []byte(`[{"id": "0190a6b8-0000-7000-8000-000000000003", "occurred_at": "2026-11-25T12:00:00Z", "event": "a"}, {"id": "nope"}]`)}, 400,
					`{"error":"records[1]: id \"nope\": want a UUID","field":"records[1]"}`},
				{"records not a list", request{path: "/records", body: []byte(`{"id": "x"}`)}, 400,
					`{"error":"the batch is not a JSON array of records: json: cannot unmarshal object into Go value of type []warehouse.Record","field":""}`},
				{"bad metadata", request{path: "/usage_data/metadata", body: []byte(`{"uuid": "a"}`)}, 400,
					`{"error":"metadata: want {\"metadata\": {\"uuid\", \"recorded_at\", \"metrics\"}}","field":"metadata"}`},
				{"bad error report", request{path: "/usage_data/errors", body: []byte(`{"message": "x"}`)}, 400,
					`{"error":"error report: want the instance's uuid","field":"uuid"}`},
			} {
				status, body := tt.req.do(t, in)
				if status != tt.status || body != tt.body {
					t.Errorf("%s: %d %s\nwant %d %s", tt.name, status, body, tt.status, tt.body)
				}
			}
			var pings, records int
			w.DB().QueryRow(`SELECT count(*) FROM pings`).Scan(&pings)
			w.DB().QueryRow(`SELECT count(*) FROM records`).Scan(&records)
			if pings != 0 || records != 0 {
				t.Errorf("refused requests stored %d pings and %d records", pings, records)
			}
		})
	}
}

func TestIntakeStores(t *testing.T) {
	for name, w := range warehousetest.Open(t, warehouse.Options{Now: func() time.Time { return now }}) {
		t.Run(name, func(t *testing.T) {
			in := intake.New(intake.Options{Warehouse: w, Now: func() time.Time { return now }})
			for _, tt := range []struct {
				name   string
				req    request
				status int
				body   string
			}{
				{"ping", request{path: "/usage_data", body: []byte(goodPing), headers: map[string]string{"Idempotency-Key": "a1/2026-11-25T12:00:00Z"}}, 200,
					`{"problems":0,"status":"stored","uuid":"a1"}`},
				{"the same ping gzipped", request{path: "/usage_data", body: gz(goodPing), headers: map[string]string{"Content-Encoding": "gzip"}}, 200,
					`{"problems":0,"status":"duplicate","uuid":"a1"}`},
				{"no content type", request{path: "/usage_data", body: []byte(strings.Replace(goodPing, "12:00", "13:00", 1)), headers: map[string]string{"Content-Type": ""}}, 200,
					`{"problems":0,"status":"stored","uuid":"a1"}`},
				{"records", request{path: "/records", body: []byte(goodRecords)}, 200, `{"new":2,"records":2,"status":"stored"}`},
				{"records again", request{path: "/records", body: gz(goodRecords), headers: map[string]string{"Content-Encoding": "gzip"}}, 200,
					`{"new":0,"records":2,"status":"stored"}`},
			} {
				status, body := tt.req.do(t, in)
				if status != tt.status || body != tt.body {
					t.Errorf("%s: %d %s\nwant %d %s", tt.name, status, body, tt.status, tt.body)
				}
			}
			rec := httptest.NewRecorder()
			in.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
			for _, want := range []string{
				`usagekit_collector_received_total{kind="ping"} 3`, `usagekit_collector_stored_total{kind="ping"} 2`,
				`usagekit_collector_duplicates_total{kind="ping"} 1`, `usagekit_collector_stored_total{kind="record"} 2`,
				`usagekit_collector_duplicates_total{kind="record"} 2`, "usagekit_collector_lag_seconds ",
			} {
				if !strings.Contains(rec.Body.String(), want) {
					t.Errorf("/metrics lacks %q:\n%s", want, rec.Body.String())
				}
			}
			rec = httptest.NewRecorder()
			in.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
			if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != `{"status":"ok"}` {
				t.Errorf("/healthz: %d %s", rec.Code, rec.Body.String())
			}
		})
	}
}

func TestIntakeTokensAndRate(t *testing.T) {
	w := warehousetest.OpenSQLite(t, warehouse.Options{})
	in := intake.New(intake.Options{Warehouse: w, Tokens: []string{"s3cret", "other"}, Rate: rate.Every(time.Hour), Burst: 2})
	for _, tt := range []struct {
		token  string
		status int
		body   string
	}{
		{"", 401, `{"error":"a bearer token this collector knows is required","field":"Authorization"}`},
		{"Bearer nope", 401, `{"error":"a bearer token this collector knows is required","field":"Authorization"}`},
		{"Bearer s3cret", 200, ""},
		{"Bearer s3cret", 200, ""},
		{"Bearer s3cret", 429, `{"error":"too many requests from s3cret; slow down","field":""}`},
		{"Bearer other", 200, ""}, // another source has its own budget
	} {
		status, body := request{path: "/usage_data/errors", body: []byte(`{"uuid": "a1", "message": "503"}`),
			headers: map[string]string{"Authorization": tt.token}}.do(t, in)
		if status != tt.status || (tt.body != "" && body != tt.body) {
			t.Errorf("%q: %d %s, want %d %s", tt.token, status, body, tt.status, tt.body)
		}
	}
}

// TestPingClientToCollector: runtime/ping's client sends to the collector
// end to end, gzipped, with its idempotency key, then the metadata; a
// collector failing once makes it retry, and the ping is stored once.
func TestPingClientToCollector(t *testing.T) {
	for name, w := range warehousetest.Open(t, warehouse.Options{Now: func() time.Time { return now }}) {
		t.Run(name, func(t *testing.T) {
			in := intake.New(intake.Options{Warehouse: w})
			failed := false
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				if !failed { // the first request fails after reaching the warehouse
					failed = true
					in.ServeHTTP(httptest.NewRecorder(), r.Clone(context.Background()))
					rw.WriteHeader(http.StatusBadGateway)
					return
				}
				in.ServeHTTP(rw, r)
			}))
			defer srv.Close()
			pl := &ping.Payload{UUID: "a1", RecordedAt: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC), Version: "2.3.0",
				Data:    map[string]any{"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "counts": map[string]any{"issues": 7}},
				Metrics: []ping.MetricMeta{{Name: "counts.issues", TimeElapsed: 0.01}}}
			c := ping.NewClient(srv.URL+"/usage_data", ping.ClientOptions{Gzip: true, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond})
			if err := c.Send(context.Background(), pl); err != nil {
				t.Fatal(err)
			}
			var pings, values, meta int
			w.DB().QueryRow(`SELECT count(*) FROM pings`).Scan(&pings)
			w.DB().QueryRow(`SELECT count(*) FROM metric_values WHERE key_path = 'counts.issues' AND value = 7`).Scan(&values)
			w.DB().QueryRow(`SELECT count(*) FROM ping_metadata`).Scan(&meta)
			if pings != 1 || values != 1 || meta != 1 {
				t.Errorf("stored %d pings, %d values, %d metadata; want 1 each", pings, values, meta)
			}
		})
	}
}
