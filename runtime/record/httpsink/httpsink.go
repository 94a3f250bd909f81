// Package httpsink is a record sink that POSTs batches to a collector over
// HTTP: a gzip-compressed JSON array of records (their JSON form, see
// package record) with an Idempotency-Key header, so a collector that
// remembers keys (or deduplicates by record id) stores a batch sent twice
// once. Network errors, 408, 429 and 5xx answers are retried with
// exponential backoff, and then by the pipeline; other 4xx answers reject
// the batch, which is dropped and counted.
package httpsink

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/internal/post"
)

// Options configure a Sink. The zero value works.
type Options struct {
	// Client sends the requests. Default http.DefaultClient; each Send is
	// bounded by the pipeline's WriteTimeout.
	Client *http.Client
	// Header is added to every request, for example Authorization.
	Header http.Header
	// MaxRequestBytes bounds the uncompressed JSON of one request; a
	// larger batch goes in several requests. Default 4 MiB.
	MaxRequestBytes int
	// Retries is how many times a request is tried again within one
	// Send. Default 3.
	Retries int
	// Backoff is the wait before the first retry, doubled for each next
	// one. Default 100ms.
	Backoff time.Duration
}

// Sink posts batches to one URL. Send is called by one pipeline goroutine
// at a time.
type Sink struct {
	url  string
	opts Options
	json []byte
	gz   bytes.Buffer
	zw   *gzip.Writer
}

var _ record.Sink = (*Sink)(nil)

// New returns a sink posting to url.
func New(url string, opts Options) *Sink {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = 4 << 20
	}
	s := &Sink{url: url, opts: opts}
	s.zw = gzip.NewWriter(&s.gz)
	return s
}

// Send posts the batch, in as many requests as MaxRequestBytes needs. The
// Idempotency-Key is the batch id, followed by ".<n>" for the n-th request
// of a batch that needs more than one; it is the same when the batch is
// sent again.
func (s *Sink) Send(ctx context.Context, b *record.Batch) error {
	part := 0
	s.json = append(s.json[:0], '[')
	n := 0
	flush := func(last bool) error {
		s.json = append(s.json, ']')
		key := b.ID.String()
		if part > 0 || !last {
			key += "." + strconv.Itoa(part)
		}
		part++
		err := s.post(ctx, key)
		s.json = append(s.json[:0], '[')
		n = 0
		return err
	}
	for i := range b.Len() {
		mark := len(s.json)
		if n > 0 {
			s.json = append(s.json, ',')
		}
		s.json = b.AppendJSON(s.json, i)
		if len(s.json)+1 > s.opts.MaxRequestBytes && n > 0 {
			rec := append([]byte(nil), s.json[mark+1:]...) // this record starts the next request
			s.json = s.json[:mark]
			if err := flush(false); err != nil {
				return err
			}
			s.json = append(s.json, rec...)
		}
		n++
	}
	if n == 0 && part > 0 {
		return nil
	}
	if err := flush(true); err != nil {
		return err
	}
	if cap(s.json) > 2*s.opts.MaxRequestBytes {
		s.json = nil
	}
	return nil
}

func (s *Sink) post(ctx context.Context, key string) error {
	s.gz.Reset()
	s.zw.Reset(&s.gz)
	s.zw.Write(s.json)
	if err := s.zw.Close(); err != nil {
		return fmt.Errorf("httpsink: gzip: %w", err)
	}
	h := http.Header{
		"Content-Type":     {"application/json"},
		"Content-Encoding": {"gzip"},
		"Idempotency-Key":  {key},
	}
	for k, vs := range s.opts.Header {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	err := post.Do(ctx, post.Request{Client: s.opts.Client, URL: s.url, Header: h, Body: s.gz.Bytes(),
		Retries: s.opts.Retries, Backoff: s.opts.Backoff})
	if err != nil {
		return fmt.Errorf("httpsink: %w", err)
	}
	return nil
}
