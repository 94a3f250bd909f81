// Package loader drains a JetStream stream of event records (as
// runtime/record/natssink fills it: JSON lines, many records a message)
// into the warehouse through a durable pull consumer. Messages are
// acknowledged only after the records they hold are committed, so delivery
// is at least once; the warehouse keeps each record id once, so storage is
// exactly once. Several collectors may run loaders on one stream and one
// database: they share the durable consumer, which hands each message to
// one of them.
package loader

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/collector/warehouse"
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
	Messages, Records, Stored, Poison int
}

// Loader drains a stream into a store.
type Loader struct {
	opt   Options
	cons  jetstream.Consumer
	store Store
	stats Stats
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
	return &Loader{opt: opt, cons: cons, store: store}, nil
}

// Run loads until ctx ends, and returns nil then.
func (l *Loader) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if _, err := l.Once(ctx); err != nil && ctx.Err() == nil {
			l.report(err)
			select { // a failing warehouse or server: do not spin
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// Once fetches one batch of messages, stores their records in one call and
// acknowledges them; it returns how many messages it handled. Nothing is
// acknowledged when storing fails: the messages come again.
func (l *Loader) Once(ctx context.Context) (int, error) {
	msgs, err := l.cons.Fetch(l.opt.Batch, jetstream.FetchMaxWait(l.opt.MaxWait))
	if err != nil {
		return 0, fmt.Errorf("loader: fetch: %w", err)
	}
	var batch []jetstream.Msg
	var rs []warehouse.Record
	for m := range msgs.Messages() {
		got, err := parse(m.Data())
		if err != nil {
			// A message no retry can load: terminate it so that it does
			// not block the stream, and say so.
			l.stats.Poison++
			l.report(fmt.Errorf("loader: message %s dropped: %w", m.Subject(), err))
			m.Term() //nolint:errcheck // redelivered at worst, and dropped again
			continue
		}
		batch = append(batch, m)
		rs = append(rs, got...)
	}
	if err := msgs.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && len(batch) == 0 {
		return 0, fmt.Errorf("loader: fetch: %w", err)
	}
	if len(batch) == 0 {
		return 0, nil
	}
	n, err := l.store.StoreRecords(ctx, rs)
	if err != nil {
		for _, m := range batch {
			m.Nak() //nolint:errcheck // AckWait brings it back anyway
		}
		return 0, fmt.Errorf("loader: storing %d records: %w", len(rs), err)
	}
	for _, m := range batch {
		// Stored already: a lost ack only means the records come again and
		// are skipped as stored.
		m.DoubleAck(ctx) //nolint:errcheck
	}
	l.stats.Messages += len(batch)
	l.stats.Records += len(rs)
	l.stats.Stored += n
	return len(batch), nil
}

// Stats returns the counts so far. Call it from Run's goroutine or after.
func (l *Loader) Stats() Stats { return l.stats }

func (l *Loader) report(err error) {
	if l.opt.ErrorHandler != nil {
		l.opt.ErrorHandler(err)
	}
}

// parse reads a message's JSON lines into records, checking each.
func parse(data []byte) ([]warehouse.Record, error) {
	var out []warehouse.Record
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		var r warehouse.Record
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if err := r.Check(); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
