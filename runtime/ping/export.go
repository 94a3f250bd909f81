package ping

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Export errors.
var (
	// ErrRejected is returned when the collector answers 4xx: the request
	// itself is wrong, so it is not retried.
	ErrRejected = errors.New("ping: collector rejected the request")
	// ErrReply is returned when a 2xx reply is not a JSON object.
	ErrReply = errors.New("ping: collector reply is not a JSON object")
	// ErrNoClient is returned by Send when the Pinger has no Client.
	ErrNoClient = errors.New("ping: no collector configured")
)

// ClientOptions configure a Client. The zero value works.
type ClientOptions struct {
	// MetadataURL receives the metadata after the payload. Default: the
	// payload URL with "/metadata" appended to its path. "-" disables it.
	MetadataURL string
	// ErrorURL receives an error report when the payload could not be
	// delivered. Default: the payload URL with "/errors" appended. "-"
	// disables it.
	ErrorURL string
	// HTTP sends the requests. Default: a client without its own timeout;
	// AttemptTimeout bounds each attempt.
	HTTP *http.Client
	// Gzip compresses request bodies (Content-Encoding: gzip).
	Gzip bool
	// MaxAttempts bounds the tries of one request. Default 5.
	MaxAttempts int
	// MinBackoff is the wait before the second attempt; each later wait
	// doubles, up to MaxBackoff, with random jitter of up to half of it.
	// Defaults 1s and 1m.
	MinBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one attempt, so a collector that accepts the
	// connection and never answers costs one retry, not the ping. Default
	// 30s.
	AttemptTimeout time.Duration
	// UserAgent is sent with every request. Default "usagekit-ping".
	UserAgent string
	// OnRetry, when set, is called before each retry with the URL, the
	// attempt about to be made (2 for the first retry), the wait before it
	// and the error of the last one, so that a command can say why it is
	// waiting.
	OnRetry func(url string, attempt int, wait time.Duration, err error)
}

// Client posts pings to a collector. Requests that fail on the network,
// with a 5xx, a 429, or an invalid reply are retried with exponential
// backoff and jitter; other 4xx replies are final. Every request carries an
// Idempotency-Key header (uuid/recorded_at), which the payload also
// contains, so a collector can keep one copy of a ping retried after its
// reply was lost.
type Client struct {
	url string
	opt ClientOptions
}

// NewClient returns a client posting payloads to url.
func NewClient(url string, opt ClientOptions) *Client {
	base := strings.TrimRight(url, "/")
	if opt.MetadataURL == "" {
		opt.MetadataURL = base + "/metadata"
	}
	if opt.ErrorURL == "" {
		opt.ErrorURL = base + "/errors"
	}
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{}
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 5
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = time.Second
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = time.Minute
	}
	if opt.AttemptTimeout <= 0 {
		opt.AttemptTimeout = 30 * time.Second
	}
	if opt.UserAgent == "" {
		opt.UserAgent = "usagekit-ping"
	}
	return &Client{url: url, opt: opt}
}

// ErrorReport is posted to the error URL when a payload could not be
// delivered.
type ErrorReport struct {
	UUID       string  `json:"uuid"`
	RecordedAt string  `json:"recorded_at"`
	Version    string  `json:"version"`
	Elapsed    float64 `json:"elapsed"` // seconds spent trying
	Message    string  `json:"message"`
}

// Send posts the payload, then its metadata. When the payload cannot be
// delivered it posts an error report (once, best effort) and returns the
// payload's error. A metadata failure is returned after the payload was
// delivered; the payload is not sent again.
func (c *Client) Send(ctx context.Context, p *Payload) error {
	start := time.Now()
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("ping: encoding payload: %w", err)
	}
	key := p.IdempotencyKey()
	if err := c.post(ctx, c.url, key, body, c.opt.MaxAttempts); err != nil {
		if c.opt.ErrorURL != "-" && ctx.Err() == nil {
			rep, _ := json.Marshal(ErrorReport{UUID: p.UUID, RecordedAt: formatTime(p.RecordedAt), Version: p.Version,
				Elapsed: time.Since(start).Seconds(), Message: err.Error()})
			_ = c.post(ctx, c.opt.ErrorURL, key, rep, 1) // the payload's error is the one to return
		}
		return fmt.Errorf("ping: sending payload to %s: %w", c.url, err)
	}
	if c.opt.MetadataURL == "-" {
		return nil
	}
	meta, err := json.Marshal(map[string]Metadata{"metadata": p.Metadata()})
	if err != nil {
		return fmt.Errorf("ping: encoding metadata: %w", err)
	}
	if err := c.post(ctx, c.opt.MetadataURL, key, meta, c.opt.MaxAttempts); err != nil {
		return fmt.Errorf("ping: payload sent; sending metadata to %s: %w", c.opt.MetadataURL, err)
	}
	return nil
}

// post sends body to url, retrying as the Client documents.
func (c *Client) post(ctx context.Context, url, key string, body []byte, attempts int) error {
	if c.opt.Gzip {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(body) //nolint:errcheck // writes to a bytes.Buffer do not fail
		if err := zw.Close(); err != nil {
			return fmt.Errorf("compressing: %w", err)
		}
		body = b.Bytes()
	}
	var err error
	for i := range attempts {
		if i > 0 {
			wait := c.backoff(i, err)
			if c.opt.OnRetry != nil {
				c.opt.OnRetry(url, i+1, wait, err)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return fmt.Errorf("%w (after %d attempts, last: %w)", ctx.Err(), i, err)
			case <-t.C:
			}
		}
		var retry bool
		retry, err = c.attempt(ctx, url, key, body)
		if err == nil {
			return nil
		}
		if !retry || ctx.Err() != nil {
			return err
		}
	}
	return fmt.Errorf("gave up after %d attempts: %w", attempts, err)
}

// retryAfter is an error carrying the collector's Retry-After.
type retryAfter struct {
	error
	wait time.Duration
}

func (r *retryAfter) Unwrap() error { return r.error }

// backoff is the wait before attempt i (1-based retries): MinBackoff
// doubled per retry, capped at MaxBackoff, minus up to half of it at random
// so that many instances failing together do not retry together. A
// collector's Retry-After, when longer, wins.
func (c *Client) backoff(i int, last error) time.Duration {
	d := c.opt.MinBackoff
	for range i - 1 {
		if d >= c.opt.MaxBackoff/2 {
			d = c.opt.MaxBackoff
			break
		}
		d *= 2
	}
	d = min(d, c.opt.MaxBackoff)
	d -= time.Duration(rand.Int64N(int64(d)/2 + 1))
	var ra *retryAfter
	if errors.As(last, &ra) && ra.wait > d {
		d = min(ra.wait, c.opt.MaxBackoff)
	}
	return d
}

// attempt makes one request and says whether a failure may be retried.
func (c *Client) attempt(ctx context.Context, url, key string, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.opt.AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return false, fmt.Errorf("request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.opt.UserAgent)
	req.Header.Set("Idempotency-Key", key)
	if c.opt.Gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := c.opt.HTTP.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return true, fmt.Errorf("reading reply: %w", err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return true, &retryAfter{fmt.Errorf("%s: %s", resp.Status, snippet(reply)), parseRetryAfter(resp.Header.Get("Retry-After"))}
	case resp.StatusCode >= 500:
		return true, fmt.Errorf("%s: %s", resp.Status, snippet(reply))
	case resp.StatusCode >= 400:
		return false, fmt.Errorf("%w: %s: %s", ErrRejected, resp.Status, snippet(reply))
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		return true, fmt.Errorf("unexpected %s", resp.Status)
	}
	if len(bytes.TrimSpace(reply)) == 0 {
		return false, nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(reply, &obj); err != nil {
		return true, fmt.Errorf("%w: %s: %s", ErrReply, resp.Status, snippet(reply))
	}
	return false, nil
}

func parseRetryAfter(s string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(s); err == nil {
		return time.Until(t)
	}
	return 0
}

// snippet is the start of a reply body, for error messages.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return strconv.Quote(s)
}

// Send builds the payload and sends it with the Pinger's Client.
func (p *Pinger) Send(ctx context.Context) (*Payload, error) {
	if p.opt.Client == nil {
		return nil, ErrNoClient
	}
	pl, err := p.Build(ctx)
	if err != nil {
		return nil, err
	}
	return pl, p.opt.Client.Send(ctx, pl)
}
