package httpsink_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/httpsink"
)

// collector records every request and answers with the next status of
// its script (200 once the script is used up).
type collector struct {
	mu       sync.Mutex
	script   []int
	requests []request
}

type request struct {
	method, path, key, encoding, ctype, auth string
	raw                                      []byte
	records                                  []record.Record
	status                                   int
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := request{method: r.Method, path: r.URL.Path, key: r.Header.Get("Idempotency-Key"),
		encoding: r.Header.Get("Content-Encoding"), ctype: r.Header.Get("Content-Type"), auth: r.Header.Get("Authorization"), raw: raw}
	if zr, err := gzip.NewReader(bytes.NewReader(raw)); err == nil {
		body, _ := io.ReadAll(zr)
		json.Unmarshal(body, &req.records)
	}
	c.mu.Lock()
	req.status = http.StatusOK
	if len(c.script) > 0 {
		req.status, c.script = c.script[0], c.script[1:]
	}
	c.requests = append(c.requests, req)
	c.mu.Unlock()
	w.WriteHeader(req.status)
	if req.status >= 400 {
		io.WriteString(w, http.StatusText(req.status))
	}
}

func (c *collector) got() []request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]request(nil), c.requests...)
}

func (c *collector) delivered() map[record.ID]int {
	ids := map[record.ID]int{}
	for _, r := range c.got() {
		if r.status == http.StatusOK {
			for _, rec := range r.records {
				ids[rec.ID]++
			}
		}
	}
	return ids
}

func setup(t *testing.T, c *collector, sopts httpsink.Options, popts record.Options) *record.Pipeline {
	t.Helper()
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	if sopts.Backoff == 0 {
		sopts.Backoff = time.Millisecond
	}
	popts.RawIdentifiers = true
	if popts.FlushInterval == 0 {
		popts.FlushInterval = -1
	}
	p, err := record.New(httpsink.New(srv.URL+"/records", sopts), popts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func add(p *record.Pipeline, n int) {
	for i := range n {
		r := event.Record{User: event.UserID(i + 1), Label: "l" + strconv.Itoa(i)}
		p.Add("create_issue", &r, time.Now())
	}
}

func TestPostsGzipJSONArray(t *testing.T) {
	c := &collector{}
	p := setup(t, c, httpsink.Options{Header: http.Header{"authorization": {"Bearer t0k3n"}}}, record.Options{})
	add(p, 5)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := c.got()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	r := reqs[0]
	if r.method != "POST" || r.path != "/records" || r.encoding != "gzip" || r.ctype != "application/json" || r.auth != "Bearer t0k3n" {
		t.Errorf("request %s %s, Content-Encoding %q, Content-Type %q, Authorization %q", r.method, r.path, r.encoding, r.ctype, r.auth)
	}
	if _, err := record.ParseID(r.key); err != nil || len(r.records) != 5 {
		t.Fatalf("Idempotency-Key %q (%v), %d records", r.key, err, len(r.records))
	}
	labels := map[string]string{}
	for _, rec := range r.records {
		labels[rec.Identifiers.User] = rec.Properties[0].Value.String()
	}
	for i := range 5 {
		if labels[strconv.Itoa(i+1)] != "l"+strconv.Itoa(i) {
			t.Errorf("records %+v", r.records)
			break
		}
	}
}

// A 503 is tried again within the same Send, with the same key and body.
func TestRetriesUnavailable(t *testing.T) {
	c := &collector{script: []int{503}}
	p := setup(t, c, httpsink.Options{}, record.Options{})
	add(p, 3)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := c.got()
	if len(reqs) != 2 || reqs[0].status != 503 || reqs[1].status != 200 {
		t.Fatalf("requests %+v", reqs)
	}
	if reqs[0].key != reqs[1].key || !bytes.Equal(reqs[0].raw, reqs[1].raw) {
		t.Errorf("the retry differs: key %s then %s", reqs[0].key, reqs[1].key)
	}
	if s := p.Stats(); s.Sent != 3 || s.SendErrors != 0 || s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
}

// When the collector stays down longer than a Send's retries, the
// pipeline keeps the batch and sends it again later under the same key.
func TestPipelineRetriesWithTheSameKey(t *testing.T) {
	c := &collector{script: []int{500, 502, 500}}
	p := setup(t, c, httpsink.Options{Retries: 1}, record.Options{})
	add(p, 3)
	if err := p.Flush(context.Background()); err == nil || !errors.Is(err, record.ErrSend) {
		t.Fatalf("flush: %v", err)
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := c.got()
	if len(reqs) != 4 {
		t.Fatalf("%d requests, want 2 per Send (Retries 1) for 2 Sends", len(reqs))
	}
	for _, r := range reqs[1:] {
		if r.key != reqs[0].key {
			t.Errorf("keys %s and %s", reqs[0].key, r.key)
		}
	}
	if ids := c.delivered(); len(ids) != 3 {
		t.Errorf("%d records delivered", len(ids))
	}
}

// A 422 rejects the batch: no retry, its records dropped and counted.
func TestNoRetryOnUnprocessable(t *testing.T) {
	c := &collector{script: []int{422}}
	var reports []error
	p := setup(t, c, httpsink.Options{}, record.Options{ErrorHandler: func(err error) { reports = append(reports, err) }})
	add(p, 4)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Flush(context.Background())
	if reqs := c.got(); len(reqs) != 1 {
		t.Errorf("%d requests, want 1", len(reqs))
	}
	if s := p.Stats(); s.Dropped != 4 || s.Rejected != 4 || s.Sent != 0 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
	if len(reports) != 1 || !errors.Is(reports[0], record.ErrRejected) || !errors.Is(reports[0], record.ErrDropped) {
		t.Errorf("reports %v", reports)
	}
}

// While the collector is down the buffer fills; past it records are
// dropped and counted, and what was kept arrives once it is back.
func TestDropsWhenFull(t *testing.T) {
	c := &collector{script: make([]int, 8)}
	for i := range c.script {
		c.script[i] = 503
	}
	p := setup(t, c, httpsink.Options{Retries: 1}, record.Options{MaxPendingBytes: 16 << 10})
	add(p, 200)
	p.Flush(context.Background()) // fails twice (one retry), keeps the batch
	add(p, 2000)                  // far past 16 KiB
	p.Flush(context.Background()) // fails twice more
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	ids := c.delivered()
	if s.Added != 2200 || s.Dropped == 0 || s.Sent+s.Dropped != s.Added || uint64(len(ids)) != s.Sent || s.Pending != 0 {
		t.Errorf("stats %+v; %d records delivered", s, len(ids))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("record %s delivered %d times", id, n)
		}
	}
}

func TestSplitsLargeBatches(t *testing.T) {
	c := &collector{}
	p := setup(t, c, httpsink.Options{MaxRequestBytes: 2000}, record.Options{})
	add(p, 40)
	if err := p.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := c.got()
	if len(reqs) < 3 {
		t.Fatalf("%d requests for 40 records of about 230 bytes in 2000-byte requests", len(reqs))
	}
	id := reqs[0].key[:36]
	for i, r := range reqs {
		if r.key != id+"."+strconv.Itoa(i) {
			t.Errorf("request %d key %q, want %s.%d", i, r.key, id, i)
		}
		zr, _ := gzip.NewReader(bytes.NewReader(r.raw))
		body, _ := io.ReadAll(zr)
		if len(body) > 2000 {
			t.Errorf("request %d has %d bytes of JSON", i, len(body))
		}
	}
	if ids := c.delivered(); len(ids) != 40 {
		t.Errorf("%d records delivered", len(ids))
	}
}
