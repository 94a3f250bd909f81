// Package post sends a request body to an HTTP endpoint with the retries
// the record sinks share: network errors, 408, 429 and 5xx are tried again
// with exponential backoff within the context; other 4xx answers reject
// the batch for good (record.ErrRejected), since sending it again cannot
// change the answer.
package post

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/usagekit/usagekit/runtime/record"
)

// Request is one POST, sent as many times as it takes.
type Request struct {
	Client  *http.Client // default http.DefaultClient
	URL     string
	Header  http.Header
	Body    []byte
	Retries int           // further attempts after the first; default 3
	Backoff time.Duration // wait before the first retry, doubled each time; default 100ms
}

// Do sends r until it succeeds, is rejected, runs out of retries or ctx
// ends. The error of the last attempt is returned, wrapping
// record.ErrRejected when the receiver refused the request.
func Do(ctx context.Context, r Request) error {
	client := r.Client
	if client == nil {
		client = http.DefaultClient
	}
	retries, backoff := r.Retries, r.Backoff
	if retries <= 0 {
		retries = 3
	}
	if backoff <= 0 {
		backoff = 100 * time.Millisecond
	}
	var err error
	for attempt := 0; ; attempt++ {
		var retry bool
		retry, err = once(ctx, client, r)
		if err == nil || !retry || attempt == retries {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (retrying after: %w)", ctx.Err(), err)
		case <-time.After(backoff):
			backoff *= 2
		}
	}
}

// once sends r one time and says whether a failure is worth retrying.
func once(ctx context.Context, client *http.Client, r Request) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return false, fmt.Errorf("%w: %w", record.ErrRejected, err)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	resp, err := client.Do(req)
	if err != nil {
		return true, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	switch code := resp.StatusCode; {
	case code >= 200 && code < 300:
		return false, nil
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500:
		return true, fmt.Errorf("POST %s: %s: %s", r.URL, resp.Status, bytes.TrimSpace(msg))
	default:
		return false, fmt.Errorf("%w: POST %s: %s: %s", record.ErrRejected, r.URL, resp.Status, bytes.TrimSpace(msg))
	}
}
