package ping_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/ping"
)

// payload is a small computed ping.
func payload() *ping.Payload {
	return &ping.Payload{
		UUID: "u-1", RecordedAt: now, Version: "1.4.0",
		Data:    map[string]any{"uuid": "u-1", "counts": map[string]any{"issues": 3}},
		Metrics: []ping.MetricMeta{{Name: "counts.issues", TimeElapsed: 0.002}, {Name: "settings.plan", Error: "boom"}},
	}
}

func fast(opt ping.ClientOptions) ping.ClientOptions {
	opt.MinBackoff = time.Millisecond
	if opt.MaxBackoff == 0 {
		opt.MaxBackoff = 10 * time.Millisecond
	}
	if opt.AttemptTimeout == 0 {
		opt.AttemptTimeout = 2 * time.Second
	}
	return opt
}

func TestSendRetriesServerErrors(t *testing.T) {
	c := newCollector(t, map[string][]step{
		"/usage":          {{status: 503, reply: "maintenance"}, {status: 502}},
		"/usage/metadata": {{status: 500}},
	})
	err := ping.NewClient(c.URL+"/usage", fast(ping.ClientOptions{Gzip: true})).Send(context.Background(), payload())
	if err != nil {
		t.Fatal(err)
	}
	if n := c.count("/usage"); n != 3 {
		t.Errorf("%d payload requests, want 3", n)
	}
	if got := c.stored("/usage"); len(got) != 1 || got[0] != `{"counts":{"issues":3},"uuid":"u-1"}` {
		t.Errorf("stored payloads %q", got)
	}
	if got := c.header("/usage", "Content-Encoding"); got != "gzip" {
		t.Errorf("Content-Encoding %q", got)
	}
	if got := c.header("/usage", "Idempotency-Key"); got != "u-1/2026-11-25T12:30:00Z" {
		t.Errorf("Idempotency-Key %q", got)
	}
	want := `{"metadata":{"uuid":"u-1","recorded_at":"2026-11-25T12:30:00Z","metrics":[{"name":"counts.issues","time_elapsed":0.002},{"name":"settings.plan","time_elapsed":0,"error":"boom"}]}}`
	if got := c.stored("/usage/metadata"); len(got) != 1 || got[0] != want {
		t.Errorf("stored metadata %q\nwant %s", got, want)
	}
	if n := c.count("/usage/errors"); n != 0 {
		t.Errorf("%d error reports after success", n)
	}
}

func TestSendDoesNotRetryClientErrors(t *testing.T) {
	c := newCollector(t, map[string][]step{"/": {{status: 422, reply: `{"error":"uuid missing"}`}}})
	err := ping.NewClient(c.URL+"/", fast(ping.ClientOptions{})).Send(context.Background(), payload())
	if !errors.Is(err, ping.ErrRejected) {
		t.Fatalf("err = %v, want ErrRejected", err)
	}
	want := `ping: sending payload to ` + c.URL + `/: ping: collector rejected the request: 422 Unprocessable Entity: "{\"error\":\"uuid missing\"}"`
	if err.Error() != want {
		t.Errorf("err:\n got %s\nwant %s", err, want)
	}
	if n := c.count("/"); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	// The failure is reported to the error endpoint.
	reports := c.stored("/errors")
	if len(reports) != 1 {
		t.Fatalf("error reports %q", reports)
	}
	var rep ping.ErrorReport
	if err := json.Unmarshal([]byte(reports[0]), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.UUID != "u-1" || rep.Version != "1.4.0" || rep.RecordedAt != "2026-11-25T12:30:00Z" || !strings.Contains(rep.Message, "422") {
		t.Errorf("report %+v", rep)
	}
	if n := c.count("/metadata"); n != 0 {
		t.Errorf("metadata sent after a rejected payload")
	}
}

func TestSendSurvivesHangAndLostReply(t *testing.T) {
	// The first attempt hangs past the attempt timeout; the second is
	// stored but its reply is lost; the third is a duplicate the collector
	// keeps once.
	c := newCollector(t, map[string][]step{"/": {{hang: true}, {drop: true}}})
	start := time.Now()
	err := ping.NewClient(c.URL, fast(ping.ClientOptions{AttemptTimeout: 200 * time.Millisecond})).Send(context.Background(), payload())
	if err != nil {
		t.Fatal(err)
	}
	// Three attempts at least; a fourth only if the machine is so slow
	// that a healthy attempt outlasted the timeout.
	if n := c.count("/"); n < 3 {
		t.Errorf("%d attempts, want 3", n)
	}
	if got := c.stored("/"); len(got) != 1 {
		t.Errorf("%d stored payloads, want 1 (deduplicated)", len(got))
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("finished in %v, before the hanging attempt timed out", d)
	}
}

func TestSendRetriesInvalidReply(t *testing.T) {
	c := newCollector(t, map[string][]step{"/": {{status: 200, reply: "<html>proxy</html>"}, {status: 200, reply: "<html>proxy</html>"}}})
	err := ping.NewClient(c.URL, fast(ping.ClientOptions{MaxAttempts: 2, MetadataURL: "-", ErrorURL: "-"})).Send(context.Background(), payload())
	if !errors.Is(err, ping.ErrReply) || !strings.Contains(err.Error(), "gave up after 2 attempts") {
		t.Errorf("err = %v", err)
	}
	if n := c.count("/errors"); n != 0 {
		t.Errorf("error report sent although disabled")
	}
}

func TestSendNetworkFailure(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now: connection refused
	err = ping.NewClient("http://"+addr, fast(ping.ClientOptions{MaxAttempts: 3})).Send(context.Background(), payload())
	var op *net.OpError
	if !errors.As(err, &op) || !strings.Contains(err.Error(), "gave up after 3 attempts") {
		t.Errorf("err = %v, want a network error after 3 attempts", err)
	}
}

func TestSendHonoursContext(t *testing.T) {
	c := newCollector(t, map[string][]step{"/": {{status: 503}, {status: 503}, {status: 503}}})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	// A long backoff: the context ends while waiting.
	err := ping.NewClient(c.URL, ping.ClientOptions{MinBackoff: time.Minute}).Send(ctx, payload())
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %v", err, time.Since(start))
	}
	if n := c.count("/"); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
	if n := c.count("/errors"); n != 0 {
		t.Errorf("error report sent after the caller gave up")
	}
}

func TestSendMetadataFailure(t *testing.T) {
	c := newCollector(t, map[string][]step{"/metadata": {{status: 404}}})
	err := ping.NewClient(c.URL, fast(ping.ClientOptions{})).Send(context.Background(), payload())
	if !errors.Is(err, ping.ErrRejected) || !strings.HasPrefix(err.Error(), "ping: payload sent; sending metadata to ") {
		t.Errorf("err = %v", err)
	}
	if len(c.stored("/")) != 1 {
		t.Error("payload not stored")
	}
}

func TestRetryAfter(t *testing.T) {
	c := newCollector(t, map[string][]step{"/": {{status: 429, reply: "slow down", header: http.Header{"Retry-After": {"1"}}}}})
	start := time.Now()
	err := ping.NewClient(c.URL, fast(ping.ClientOptions{MaxBackoff: 2 * time.Second})).Send(context.Background(), payload())
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, before the collector's Retry-After of 1s", d)
	}
}
