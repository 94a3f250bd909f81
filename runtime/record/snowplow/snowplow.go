// Package snowplow is a record sink that sends records to a Snowplow
// collector with the Snowplow tracker protocol, for pipelines built on
// Snowplow (as GitLab's is).
//
// Batches are POSTed to <collector>/com.snowplowanalytics.snowplow/tp2 as a
// payload_data self-describing JSON
// (iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4),
// one structured event per record, every value a string as the protocol
// wants:
//
//	e      "se" (structured event)
//	eid    the record's id (Snowplow deduplicates on it)
//	dtm    occurred_at, Unix milliseconds; stm: when it was sent
//	p      "srv"; tv: TrackerVersion; aid: the application's name
//	se_ca  the application's name, or "usagekit" without one
//	se_ac  the event's action
//	se_la, se_pr, se_va  the label, property and value properties, when set
//	cx     one context entity, base64url without padding, as the
//	       JavaScript tracker encodes it: the contexts envelope
//	       (iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0)
//	       holding iglu:com.usagekit/record_context/jsonschema/1-0-0 with
//	       the identifiers, the custom properties and the application
//
// The context's JSON Schema, in Iglu's self-describing form, is
// ContextSchema; publish it in the Iglu registry the pipeline resolves
// against. Retries and rejections are those of package httpsink.
package snowplow

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/internal/post"
	"github.com/usagekit/usagekit/schema"
)

// ContextSchema is the Iglu self-describing JSON Schema of the context
// entity every event carries (iglu:com.usagekit/record_context/jsonschema/1-0-0),
// published under schema/iglu in the layout of an Iglu repository.
var ContextSchema = schema.RecordContext

// Schemas of the protocol and of the context.
const (
	PayloadSchema  = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4"
	ContextsSchema = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"
	RecordSchema   = "iglu:com.usagekit/record_context/jsonschema/1-0-0"
	// Path is where collectors take POSTed events.
	Path = "/com.snowplowanalytics.snowplow/tp2"
	// TrackerVersion is the tv of every event.
	TrackerVersion = "usagekit-go-1"
)

// Options configure a Sink. The zero value works.
type Options struct {
	// Client sends the requests. Default http.DefaultClient.
	Client *http.Client
	// Header is added to every request.
	Header http.Header
	// MaxRequestBytes bounds the body of one request; a larger batch goes
	// in several. Default 512 KiB, within what collectors accept.
	MaxRequestBytes int
	// Retries is how many times a request is tried again within one
	// Send. Default 3.
	Retries int
	// Backoff is the wait before the first retry, doubled for each next
	// one. Default 100ms.
	Backoff time.Duration
	// Now stamps stm. Default time.Now.
	Now func() time.Time
}

// Sink sends batches to one collector. Send is called by one pipeline
// goroutine at a time.
type Sink struct {
	url  string
	opts Options
	body []byte
	cx   []byte
}

var _ record.Sink = (*Sink)(nil)

// New returns a sink for the collector at collectorURL (scheme and host,
// for example https://collector.example.com).
func New(collectorURL string, opts Options) *Sink {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = 512 << 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sink{url: strings.TrimSuffix(collectorURL, "/") + Path, opts: opts}
}

const envelopeStart = `{"schema":"` + PayloadSchema + `","data":[`

// Send posts the batch's events, in as many requests as MaxRequestBytes
// needs. Snowplow deduplicates on eid, so a batch sent again is harmless.
func (s *Sink) Send(ctx context.Context, b *record.Batch) error {
	stm := strconv.FormatInt(s.opts.Now().UnixMilli(), 10)
	s.body = append(s.body[:0], envelopeStart...)
	n := 0
	for i := range b.Len() {
		mark := len(s.body)
		if n > 0 {
			s.body = append(s.body, ',')
		}
		s.body = s.appendEvent(s.body, b.Record(i), stm)
		if len(s.body)+2 > s.opts.MaxRequestBytes && n > 0 {
			ev := append([]byte(nil), s.body[mark+1:]...)
			s.body = s.body[:mark]
			if err := s.post(ctx); err != nil {
				return err
			}
			s.body = append(append(s.body[:0], envelopeStart...), ev...)
			n = 0
		}
		n++
	}
	return s.post(ctx)
}

func (s *Sink) post(ctx context.Context) error {
	s.body = append(s.body, "]}"...)
	h := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	for k, vs := range s.opts.Header {
		h[http.CanonicalHeaderKey(k)] = vs
	}
	err := post.Do(ctx, post.Request{Client: s.opts.Client, URL: s.url, Header: h, Body: s.body,
		Retries: s.opts.Retries, Backoff: s.opts.Backoff})
	if err != nil {
		return fmt.Errorf("snowplow: %w", err)
	}
	return nil
}

// appendEvent writes r as one structured event of the payload.
func (s *Sink) appendEvent(dst []byte, r *record.Record, stm string) []byte {
	app := r.Context.AppName
	if app == "" {
		app = "usagekit"
	}
	dst = append(dst, `{"e":"se","eid":"`...)
	dst = r.ID.Append(dst)
	dst = append(dst, `","dtm":"`...)
	dst = strconv.AppendInt(dst, r.OccurredAt.UnixMilli(), 10)
	dst = append(dst, `","stm":"`...)
	dst = append(dst, stm...)
	dst = append(dst, `","p":"srv","tv":"`+TrackerVersion+`","aid":`...)
	dst = appendString(dst, app)
	dst = append(dst, `,"se_ca":`...)
	dst = appendString(dst, app)
	dst = append(dst, `,"se_ac":`...)
	dst = appendString(dst, r.Event)
	for _, p := range r.Properties {
		switch p.Name {
		case "label":
			dst = append(dst, `,"se_la":`...)
		case "property":
			dst = append(dst, `,"se_pr":`...)
		case "value":
			dst = append(dst, `,"se_va":`...)
		default:
			continue
		}
		dst = appendString(dst, p.Value.String())
	}
	s.cx = appendContext(s.cx[:0], r)
	dst = append(dst, `,"cx":"`...)
	dst = base64.RawURLEncoding.AppendEncode(dst, s.cx)
	return append(dst, `"}`...)
}

var appendString = record.AppendJSONString

// appendContext writes the contexts envelope with the record's entity.
func appendContext(dst []byte, r *record.Record) []byte {
	dst = append(dst, `{"schema":"`+ContextsSchema+`","data":[{"schema":"`+RecordSchema+`","data":{"event":`...)
	dst = appendString(dst, r.Event)
	for _, id := range [...]struct{ key, val string }{
		{"user", r.Identifiers.User}, {"project", r.Identifiers.Project}, {"namespace", r.Identifiers.Namespace},
	} {
		if id.val != "" {
			dst = append(dst, `,"`+id.key+`":`...)
			dst = appendString(dst, id.val)
		}
	}
	if fe := r.Identifiers.FeatureEnabledByNamespaces; len(fe) > 0 {
		dst = append(dst, `,"feature_enabled_by_namespace_ids":[`...)
		for i, ns := range fe {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, ns)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"properties":{`...)
	n := 0
	for _, p := range r.Properties {
		if p.Name == "label" || p.Name == "property" || p.Name == "value" {
			continue // carried by se_la, se_pr, se_va
		}
		if n++; n > 1 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, p.Name)
		dst = append(dst, ':')
		dst = record.AppendValueJSON(dst, p.Value)
	}
	dst = append(dst, `},"instance_uuid":`...)
	dst = appendString(dst, r.Context.InstanceUUID)
	dst = append(dst, `,"app_version":`...)
	dst = appendString(dst, r.Context.AppVersion)
	dst = append(dst, `,"environment":`...)
	dst = appendString(dst, r.Context.Environment)
	dst = append(dst, `,"host":`...)
	dst = appendString(dst, r.Context.Host)
	return append(dst, `}}]}`...)
}
