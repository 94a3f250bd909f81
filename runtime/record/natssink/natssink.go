// Package natssink is a record sink that stores records in a NATS
// JetStream stream, the path from a SaaS application to the warehouse's
// loader.
//
// Records of event E go to subject <Subject>.E, as JSON lines: many
// records per message, up to MaxMessageBytes (1 MiB less room for headers,
// and below the server's max_payload). Each message carries a Nats-Msg-Id
// made of the batch id and the message's place in the batch: when the
// pipeline sends a batch again after a failure, JetStream drops the
// messages it already stored (its duplicate window), so every record is
// stored once. A Usagekit-Records header gives the message's record count.
//
// New creates the stream when it is missing: file storage, limits
// retention (records stay for MaxAge, 7 days by default, whether or not
// the loader has read them; its durable consumer keeps its own place), a
// duplicate window of Duplicates (10 minutes by default: longer than a
// batch is retried for in most outages). An existing stream is used as it
// is when it takes the sink's subjects; tune it with the nats tool.
//
// Connect with nats.MaxReconnects(-1) so the connection outlives a server
// restart; a batch that fails meanwhile (no leader, no connection) is sent
// again by the pipeline.
package natssink

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/runtime/record"
)

// ErrStream reports a stream that exists but does not take the sink's
// subjects.
var ErrStream = errors.New("natssink: stream does not take the records' subjects")

// Header names on every message.
const (
	// HeaderRecords is the number of records (lines) in the message.
	HeaderRecords = "Usagekit-Records"
)

// Options configure a Sink. The zero value works.
type Options struct {
	// Stream is the stream's name. Default "USAGEKIT_RECORDS".
	Stream string
	// Subject is the subjects' prefix: records of event E go to
	// <Subject>.E. Default "usagekit.records".
	Subject string
	// Replicas is the number of copies of a new stream, 1 to 5. Default 1;
	// 3 on a cluster keeps records through the loss of a server.
	Replicas int
	// MaxAge is how long a new stream keeps records. Default 7 days.
	MaxAge time.Duration
	// Duplicates is a new stream's duplicate window: a batch sent again
	// within it is stored once. Default 10 minutes.
	Duplicates time.Duration
	// MaxMessageBytes bounds a message's body. Default and most: the
	// server's max_payload less 4 KiB for headers, at most 1 MiB.
	MaxMessageBytes int
}

// Sink publishes batches to JetStream. Send is called by one pipeline
// goroutine at a time.
type Sink struct {
	js      jetstream.JetStream
	subject string
	maxBody int

	subjects map[string]string // event -> subject, built once per event
	order    []string          // events of the batch in first-seen order
	groups   map[string][]int  // event -> record indexes in the batch
	bufs     [][]byte          // message bodies, reused once acknowledged
	futures  []jetstream.PubAckFuture
}

var _ record.Sink = (*Sink)(nil)

// New checks or creates the stream on nc's JetStream and returns a sink
// publishing to it. The sink keeps its own JetStream context, so its
// asynchronous publishes do not mix with the application's.
func New(ctx context.Context, nc *nats.Conn, opts Options) (*Sink, error) {
	if opts.Stream == "" {
		opts.Stream = "USAGEKIT_RECORDS"
	}
	if opts.Subject == "" {
		opts.Subject = "usagekit.records"
	}
	if opts.Replicas <= 0 {
		opts.Replicas = 1
	}
	if opts.MaxAge <= 0 {
		opts.MaxAge = 7 * 24 * time.Hour
	}
	if opts.Duplicates <= 0 {
		opts.Duplicates = 10 * time.Minute
	}
	maxBody := int(min(nc.MaxPayload(), 1<<20) - 4<<10)
	if opts.MaxMessageBytes > 0 {
		maxBody = min(maxBody, opts.MaxMessageBytes)
	}
	// An acknowledgement lost with a connection would otherwise stay
	// pending in the client for ever.
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024), jetstream.WithPublishAsyncTimeout(time.Minute))
	if err != nil {
		return nil, fmt.Errorf("natssink: %w", err)
	}
	if err := ensureStream(ctx, js, opts); err != nil {
		return nil, err
	}
	return &Sink{
		js: js, subject: opts.Subject, maxBody: maxBody,
		subjects: map[string]string{}, groups: map[string][]int{},
	}, nil
}

func ensureStream(ctx context.Context, js jetstream.JetStream, opts Options) error {
	want := opts.Subject + ".>"
	for range 2 {
		s, err := js.Stream(ctx, opts.Stream)
		if err == nil {
			if subs := s.CachedInfo().Config.Subjects; !slices.Contains(subs, want) && !slices.Contains(subs, ">") {
				return fmt.Errorf("%w: %s takes %q, want %q", ErrStream, opts.Stream, subs, want)
			}
			return nil
		}
		if !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("natssink: stream %s: %w", opts.Stream, err)
		}
		_, err = js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        opts.Stream,
			Description: "usagekit event records",
			Subjects:    []string{want},
			Retention:   jetstream.LimitsPolicy,
			Storage:     jetstream.FileStorage,
			MaxAge:      opts.MaxAge,
			Duplicates:  opts.Duplicates,
			Replicas:    opts.Replicas,
		})
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("natssink: create stream %s: %w", opts.Stream, err)
		}
		// Another process created it first: check what it made.
	}
	return fmt.Errorf("natssink: stream %s: created and deleted concurrently", opts.Stream)
}

// Send publishes the batch, grouped by event, and waits for JetStream to
// acknowledge every message. Message ids depend only on the batch id and
// its records, so sending the batch again stores nothing twice.
func (s *Sink) Send(ctx context.Context, b *record.Batch) error {
	clear(s.groups)
	s.order = s.order[:0]
	for i := range b.Records {
		ev := b.Records[i].Event
		g, ok := s.groups[ev]
		if !ok {
			s.order = append(s.order, ev)
		}
		s.groups[ev] = append(g, i)
	}
	s.futures = s.futures[:0]
	prefix := b.ID.String() + "."
	nbuf := 0
	publish := func(ev string, body []byte, n int) error {
		m := &nats.Msg{Subject: s.subjectOf(ev), Data: body, Header: nats.Header{}}
		m.Header.Set(jetstream.MsgIDHeader, prefix+strconv.Itoa(len(s.futures)))
		m.Header.Set(HeaderRecords, strconv.Itoa(n))
		f, err := s.js.PublishMsgAsync(m)
		if err != nil {
			return err
		}
		s.futures = append(s.futures, f)
		return nil
	}
	var err error
	for _, ev := range s.order {
		body, n := s.buf(nbuf), 0
		for _, i := range s.groups[ev] {
			mark := len(body)
			body = b.AppendJSON(body, i)
			body = append(body, '\n')
			if len(body) > s.maxBody && n > 0 {
				if err = publish(ev, body[:mark], n); err != nil {
					break
				}
				s.bufs[nbuf] = body[:0] // the message owns it until acknowledged
				nbuf++
				body = append(s.buf(nbuf), body[mark:]...)
				n = 0
			}
			n++
		}
		if err == nil && n > 0 {
			err = publish(ev, body, n)
			s.bufs[nbuf] = body[:0]
			nbuf++
		}
		if err != nil {
			break
		}
	}
	if err == nil {
		err = s.wait(ctx)
	}
	if err != nil {
		// Unacknowledged messages may still be published again by the
		// client; their bodies must not be reused.
		s.bufs = nil
		if errors.Is(err, nats.ErrMaxPayload) {
			return fmt.Errorf("natssink: %w: %w", record.ErrRejected, err)
		}
		return fmt.Errorf("natssink: %w", err)
	}
	return nil
}

// buf returns message buffer i, emptied.
func (s *Sink) buf(i int) []byte {
	for len(s.bufs) <= i {
		s.bufs = append(s.bufs, make([]byte, 0, s.maxBody+64<<10))
	}
	return s.bufs[i][:0]
}

func (s *Sink) subjectOf(ev string) string {
	if sub, ok := s.subjects[ev]; ok {
		return sub
	}
	// Actions are [a-z0-9_]+; anything else a subject cannot carry
	// becomes _ so one odd name cannot spill into other subjects.
	tok := []byte(ev)
	for i, c := range tok {
		if c <= ' ' || c == '.' || c == '*' || c == '>' || c >= 0x7f {
			tok[i] = '_'
		}
	}
	if len(tok) == 0 {
		tok = []byte("_")
	}
	sub := s.subject + "." + string(tok)
	s.subjects[ev] = sub
	return sub
}

// wait waits for every future of this Send.
func (s *Sink) wait(ctx context.Context) error {
	for _, f := range s.futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return err
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d acknowledgements: %w", len(s.futures), ctx.Err())
		}
	}
	return nil
}
