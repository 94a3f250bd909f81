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
// By default a body is the lines compressed in Snappy's block format, with
// the header Content-Encoding: snappy (a third of the bytes to store and
// send on); Lines reads a body either way.
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

	"github.com/klauspost/compress/s2"
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
	// HeaderEncoding is "snappy" on a compressed message, absent on JSON
	// lines as they are.
	HeaderEncoding = "Content-Encoding"
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
	// MaxMessageBytes bounds a message's JSON lines, before compression.
	// Default and most: the server's max_payload less 4 KiB for headers,
	// at most 1 MiB.
	MaxMessageBytes int
	// Compression is how message bodies are encoded. Default Snappy.
	Compression Compression
}

// Compression is an encoding of message bodies.
type Compression string

// Compressions.
const (
	// Snappy compresses each message's JSON lines in Snappy's block
	// format, marked by the header Content-Encoding: snappy (as
	// Prometheus's remote write does). Records compress about threefold
	// (the context and names repeat), which the server stores, writes and
	// sends on for a third of the work. Read bodies with Lines.
	Snappy Compression = "snappy"
	// NoCompression sends JSON lines as they are.
	NoCompression Compression = "none"
)

// Sink publishes batches to JetStream. It is a record.AsyncSink: the
// pipeline encodes and publishes the next batches while JetStream stores
// and acknowledges the last ones. Send, SendAsync and the waits they
// return are called by one pipeline goroutine at a time.
type Sink struct {
	js       jetstream.JetStream
	subject  string
	maxBody  int
	compress bool

	subjects map[string]string // event -> subject, built once per event
	order    []string          // events of the batch in first-seen order
	index    map[string]int    // event -> its place in order
	runs     [][]run           // per event of order, its runs of records
	free     []*publishing     // batches all acknowledged, their memory for reuse
	largest  int               // bytes of the largest batch's lines so far
	// lastDone is closed once the batch handed over last is published:
	// the next one publishes after it, so batches reach the stream in the
	// order they were sent.
	lastDone chan struct{}
}

// run is records from..to-1 of a batch, all of one event: the pipeline
// hands records grouped by event, so a batch has few runs.
type run struct{ from, to int }

// publishing is one batch's messages: encoded, then published, and not
// all acknowledged. With compression, compressing and publishing happen on
// a goroutine of their own while the pipeline prepares the next batch.
type publishing struct {
	lines   []byte // the batch's JSON lines, message after message
	msgs    []message
	bodies  []byte // compressed bodies, one after the other
	futures []jetstream.PubAckFuture
	done    chan struct{} // closed once every message is published, or publishing failed
	err     error         // publishing failed; read after done
	sink    *Sink
}

// message is one message of a batch: lines[from:to] of its publishing.
type message struct {
	subject  string
	id       string
	from, to int
	records  int
}

var (
	_ record.Sink      = (*Sink)(nil)
	_ record.AsyncSink = (*Sink)(nil)
)

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
	switch opts.Compression {
	case "":
		opts.Compression = Snappy
	case Snappy, NoCompression:
	default:
		return nil, fmt.Errorf("natssink: compression %q: want %q or %q", opts.Compression, Snappy, NoCompression)
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
		js: js, subject: opts.Subject, maxBody: maxBody, compress: opts.Compression == Snappy,
		subjects: map[string]string{}, index: map[string]int{},
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
	return s.SendAsync(ctx, b)(ctx)
}

// SendAsync publishes the batch as Send does and returns without waiting
// for the acknowledgements: the function it returns waits for them. With
// compression it returns once the batch is encoded, and a goroutine
// compresses and publishes its messages meanwhile.
func (s *Sink) SendAsync(_ context.Context, b *record.Batch) func(context.Context) error {
	var p *publishing
	if n := len(s.free); n > 0 {
		p, s.free = s.free[n-1], s.free[:n-1]
	} else {
		p = &publishing{sink: s}
	}
	s.encode(b, p)
	p.futures, p.err, p.done = p.futures[:0], nil, make(chan struct{})
	if !s.compress {
		p.publish(nil)
		return p.wait
	}
	room := 0
	for _, m := range p.msgs {
		room += s2.MaxEncodedLen(m.to - m.from)
	}
	if cap(p.bodies) < room {
		// Sized at once: growing by doubling copies the buffer and touches
		// fresh memory several times, which costs more than the encoding.
		p.bodies = make([]byte, 0, room+room/8)
	}
	after := s.lastDone
	s.lastDone = p.done
	go p.publish(after)
	return p.wait
}

// encode writes the batch's records into p.lines as JSON lines, one event
// after the other, and cuts a message whenever the next record would take
// its lines over maxBody.
func (s *Sink) encode(b *record.Batch, p *publishing) {
	s.group(b)
	prefix := b.ID.String() + "."
	if want := s.largest + s.largest/8; cap(p.lines) < want {
		// Sized at once, as bodies are.
		p.lines = make([]byte, 0, want)
	}
	lines, msgs := p.lines[:0], p.msgs[:0]
	cut := func(ev string, from, to, n int) {
		msgs = append(msgs, message{subject: s.subjectOf(ev), id: prefix + strconv.Itoa(len(msgs)), from: from, to: to, records: n})
	}
	for g, ev := range s.order {
		start, n := len(lines), 0
		for _, r := range s.runs[g] {
			for i := r.from; i < r.to; i++ {
				mark := len(lines)
				lines = append(b.AppendJSON(lines, i), '\n')
				if len(lines)-start > s.maxBody && n > 0 {
					cut(ev, start, mark, n)
					start, n = mark, 0
				}
				n++
			}
		}
		if n > 0 {
			cut(ev, start, len(lines), n)
		}
	}
	p.lines, p.msgs = lines, msgs
	s.largest = max(s.largest, len(lines))
}

// publish publishes p's messages, once the batch before it is published
// (after closes then; nil: nothing to wait for), and closes p.done. A
// compressed body goes into p.bodies, which SendAsync sized for every
// message, so no body moves once published.
func (p *publishing) publish(after chan struct{}) {
	defer close(p.done)
	if after != nil {
		<-after
	}
	js, compress := p.sink.js, p.sink.compress
	p.bodies = p.bodies[:0]
	for _, m := range p.msgs {
		msg := &nats.Msg{Subject: m.subject, Data: p.lines[m.from:m.to:m.to], Header: nats.Header{}}
		if compress {
			at := len(p.bodies)
			enc := s2.EncodeSnappy(p.bodies[at:at+s2.MaxEncodedLen(m.to-m.from)], p.lines[m.from:m.to])
			if len(enc) < m.to-m.from {
				p.bodies = p.bodies[:at+len(enc)]
				msg.Data = p.bodies[at:len(p.bodies):len(p.bodies)]
				msg.Header.Set(HeaderEncoding, string(Snappy))
			}
		}
		msg.Header.Set(jetstream.MsgIDHeader, m.id)
		msg.Header.Set(HeaderRecords, strconv.Itoa(m.records))
		f, err := js.PublishMsgAsync(msg)
		if err != nil {
			p.err = err
			return
		}
		p.futures = append(p.futures, f)
	}
}

// group sorts the batch's records into runs of one event, events in the
// order they first appear.
func (s *Sink) group(b *record.Batch) {
	clear(s.index)
	s.order = s.order[:0]
	prev := ""
	for i := range b.Len() {
		ev := b.Event(i)
		if i > 0 && ev == prev {
			rs := s.runs[s.index[ev]]
			rs[len(rs)-1].to = i + 1
			continue
		}
		g, ok := s.index[ev]
		if !ok {
			g = len(s.order)
			s.index[ev] = g
			s.order = append(s.order, ev)
			if g == len(s.runs) {
				s.runs = append(s.runs, nil)
			}
			s.runs[g] = s.runs[g][:0]
		}
		s.runs[g] = append(s.runs[g], run{i, i + 1})
		prev = ev
	}
}

// wait waits for the batch to be published and for every
// acknowledgement. Its memory is reused only once all are in: an
// unacknowledged message may still be published again by the client.
func (p *publishing) wait(ctx context.Context) error {
	var err error
	select {
	case <-p.done:
		err = p.err
	case <-ctx.Done():
		return fmt.Errorf("natssink: publishing %d messages: %w", len(p.msgs), ctx.Err())
	}
	for _, f := range p.futures {
		if err != nil {
			break
		}
		select {
		case <-f.Ok():
		case err = <-f.Err():
		case <-ctx.Done():
			err = fmt.Errorf("waiting for %d acknowledgements: %w", len(p.futures), ctx.Err())
		}
	}
	if err == nil {
		p.sink.free = append(p.sink.free, p)
		return nil
	}
	if errors.Is(err, nats.ErrMaxPayload) {
		return fmt.Errorf("natssink: %w: %w", record.ErrRejected, err)
	}
	return fmt.Errorf("natssink: %w", err)
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

// MaxLinesBytes bounds the JSON lines of one message that Lines decodes:
// well above what a sink writes (MaxMessageBytes is at most 1 MiB), so
// that a body claiming more is refused before memory is spent on it.
const MaxLinesBytes = 8 << 20

// ErrEncoding reports a message body Lines cannot read: an unknown
// Content-Encoding, or a corrupt or oversized Snappy block.
var ErrEncoding = errors.New("natssink: unreadable message body")

// Lines returns the JSON lines of a message published by a Sink, given
// its headers and body: the body itself, or its Snappy block decoded
// into dst's memory when it is large enough (dst may be nil).
func Lines(h nats.Header, body, dst []byte) ([]byte, error) {
	switch enc := h.Get(HeaderEncoding); enc {
	case "":
		return body, nil
	case string(Snappy):
		n, err := s2.DecodedLen(body)
		if err != nil {
			return nil, fmt.Errorf("%w: snappy: %w", ErrEncoding, err)
		}
		if n > MaxLinesBytes {
			return nil, fmt.Errorf("%w: a snappy block of %d bytes says it holds %d, more than %d", ErrEncoding, len(body), n, MaxLinesBytes)
		}
		out, err := s2.Decode(dst[:cap(dst)], body)
		if err != nil {
			return nil, fmt.Errorf("%w: snappy: %w", ErrEncoding, err)
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%w: Content-Encoding %q, want %q or none", ErrEncoding, enc, Snappy)
	}
}
