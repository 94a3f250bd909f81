// Package loader drains a JetStream stream of event records (as
// runtime/record/natssink fills it: JSON lines, many records a message,
// Snappy-compressed or not)
// into the warehouse through a durable pull consumer. Messages are
// acknowledged only after the records they hold are committed, so delivery
// is at least once; the warehouse keeps each record id once, so storage is
// exactly once. Several collectors may run loaders on one stream and one
// database: they share the durable consumer, which hands each message to
// one of them.
package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/runtime/record/natssink"
)

// Store is where records go: the warehouse.
type Store interface {
	StoreRecords(ctx context.Context, rs []warehouse.Record) (int, error)
}

// Options configure a loader. The zero value works.
type Options struct {
	// Stream is the stream to drain. Default "USAGEKIT_RECORDS", the
	// record sink's.
	Stream string
	// Consumer is the durable consumer's name, shared by every collector
	// loading the stream. Default "usagekit-collector".
	Consumer string
	// Batch is the most messages fetched and stored in one transaction.
	// Default 64 (the sink's messages hold about 2,000 records each).
	Batch int
	// MaxWait is how long a fetch waits for messages. Default 1s.
	MaxWait time.Duration
	// AckWait is how long JetStream waits for an acknowledgement before
	// delivering a message again. Default 1m.
	AckWait time.Duration
	// ErrorHandler hears about messages that cannot be loaded (they are
	// terminated, not delivered again) and failed stores (retried).
	ErrorHandler func(error)
}

// Stats count what a loader did.
type Stats struct {
	// Messages and Records were read and stored (Records counts a record
	// delivered again each time); Stored records were new.
	Messages, Records, Stored int
	// Poison messages could not be read and were terminated.
	Poison int
	// Pending is how many messages of the stream the consumer had not
	// been given yet at the last fetch: the loader's lag.
	Pending int
}

// Loader drains a stream into a store. Its methods are safe for
// concurrent use.
type Loader struct {
	opt  Options
	cons jetstream.Consumer
	dest Store

	messages, records, stored, poison, pending atomic.Int64
}

// New creates (or binds to) the durable consumer of the stream.
func New(ctx context.Context, js jetstream.JetStream, store Store, opt Options) (*Loader, error) {
	if opt.Stream == "" {
		opt.Stream = "USAGEKIT_RECORDS"
	}
	if opt.Consumer == "" {
		opt.Consumer = "usagekit-collector"
	}
	if opt.Batch <= 0 {
		opt.Batch = 64
	}
	if opt.MaxWait <= 0 {
		opt.MaxWait = time.Second
	}
	if opt.AckWait <= 0 {
		opt.AckWait = time.Minute
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, opt.Stream, jetstream.ConsumerConfig{
		Durable:       opt.Consumer,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       opt.AckWait,
		MaxAckPending: 16 * opt.Batch,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return nil, fmt.Errorf("loader: consumer %s of stream %s: %w", opt.Consumer, opt.Stream, err)
	}
	return &Loader{opt: opt, cons: cons, dest: store}, nil
}

// Run loads until ctx ends, and returns nil then. While one batch is
// being stored, the next is fetched and read, so that the database and
// the decoding of JSON keep both busy.
func (l *Loader) Run(ctx context.Context) error {
	batches := make(chan *batch, 1)
	go func() {
		defer close(batches)
		for ctx.Err() == nil {
			b, err := l.fetch(ctx)
			if err != nil {
				if ctx.Err() == nil {
					l.report(err)
					pause(ctx)
				}
				continue
			}
			if len(b.msgs) == 0 {
				continue
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				b.nak() // shutting down: another loader can have them now
			}
		}
	}()
	for b := range batches {
		if err := l.store(ctx, b); err != nil && ctx.Err() == nil {
			l.report(err)
			pause(ctx)
		}
	}
	return nil
}

// pause waits a second or until ctx ends: a failing warehouse or server
// is not asked again at once.
func pause(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
	}
}

// Once fetches one batch of messages, stores their records in one call and
// acknowledges them; it returns how many messages it handled. Nothing is
// acknowledged when storing fails: the messages come again.
func (l *Loader) Once(ctx context.Context) (int, error) {
	b, err := l.fetch(ctx)
	if err != nil || len(b.msgs) == 0 {
		return 0, err
	}
	if err := l.store(ctx, b); err != nil {
		return 0, err
	}
	return len(b.msgs), nil
}

// batch is the messages of one fetch that could be read, and their
// records.
type batch struct {
	msgs    []jetstream.Msg
	records []warehouse.Record
}

// fetch fetches up to Batch messages and reads them, in parallel;
// messages that cannot be read are terminated.
func (l *Loader) fetch(ctx context.Context) (*batch, error) {
	msgs, err := l.cons.Fetch(l.opt.Batch, jetstream.FetchMaxWait(l.opt.MaxWait))
	if err != nil {
		return nil, fmt.Errorf("loader: fetch: %w", err)
	}
	var got []jetstream.Msg
	for m := range msgs.Messages() {
		got = append(got, m)
	}
	if err := msgs.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && len(got) == 0 {
		return nil, fmt.Errorf("loader: fetch: %w", err)
	}
	parsed := make([][]warehouse.Record, len(got))
	errs := make([]error, len(got))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, m := range got {
		g.Go(func() error {
			lines, err := natssink.Lines(m.Headers(), m.Data(), nil)
			if err != nil {
				errs[i] = err
				return nil
			}
			parsed[i], errs[i] = warehouse.ParseRecordLines(lines)
			return nil
		})
	}
	g.Wait() //nolint:errcheck // each message's error is in errs
	b := &batch{}
	for i, m := range got {
		if errs[i] != nil {
			// A message no retry can load: terminate it so that it does
			// not block the stream, and say so.
			l.poison.Add(1)
			l.report(fmt.Errorf("loader: message %s dropped: %w", m.Subject(), errs[i]))
			m.Term() //nolint:errcheck // redelivered at worst, and dropped again
			continue
		}
		b.msgs = append(b.msgs, m)
		b.records = append(b.records, parsed[i]...)
		if md, err := m.Metadata(); err == nil {
			l.pending.Store(int64(md.NumPending))
		}
	}
	return b, nil
}

// nak asks JetStream to deliver the batch's messages again.
func (b *batch) nak() {
	for _, m := range b.msgs {
		m.Nak() //nolint:errcheck // AckWait brings it back anyway
	}
}

// store stores a batch's records in one call and then acknowledges its
// messages; when storing fails it asks for them again.
func (l *Loader) store(ctx context.Context, b *batch) error {
	n, err := l.dest.StoreRecords(ctx, b.records)
	if err != nil {
		b.nak()
		return fmt.Errorf("loader: storing %d records: %w", len(b.records), err)
	}
	for _, m := range b.msgs {
		// Stored already: a lost ack only means the records come again and
		// are skipped as stored.
		m.DoubleAck(ctx) //nolint:errcheck
	}
	l.messages.Add(int64(len(b.msgs)))
	l.records.Add(int64(len(b.records)))
	l.stored.Add(int64(n))
	return nil
}

// Stats returns the counts so far.
func (l *Loader) Stats() Stats {
	return Stats{
		Messages: int(l.messages.Load()), Records: int(l.records.Load()), Stored: int(l.stored.Load()),
		Poison: int(l.poison.Load()), Pending: int(l.pending.Load()),
	}
}

// WriteMetrics writes the loader's counters in Prometheus's text format,
// for a collector's /metrics.
func (l *Loader) WriteMetrics(w io.Writer) {
	s := l.Stats()
	for _, m := range []struct {
		name, typ, help string
		v               int
	}{
		{"usagekit_collector_loader_messages_total", "counter", "Stream messages loaded into the warehouse.", s.Messages},
		{"usagekit_collector_loader_records_total", "counter", "Records read from the stream, each time it was delivered.", s.Records},
		{"usagekit_collector_loader_stored_total", "counter", "Records stored for the first time.", s.Stored},
		{"usagekit_collector_loader_poison_total", "counter", "Messages that could not be read and were dropped.", s.Poison},
		{"usagekit_collector_loader_pending_messages", "gauge", "Messages of the stream not yet delivered to the loader.", s.Pending},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", m.name, m.help, m.name, m.typ, m.name, m.v)
	}
}

func (l *Loader) report(err error) {
	if l.opt.ErrorHandler != nil {
		l.opt.ErrorHandler(err)
	}
}
