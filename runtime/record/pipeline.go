package record

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/internal/backlog"
)

// Errors of the pipeline; match them with errors.Is.
var (
	// ErrOptions reports options a Pipeline cannot work with.
	ErrOptions = errors.New("record: invalid options")
	// ErrDropped reports records given up: over Options.MaxPendingBytes,
	// larger than Options.MaxRecordBytes, added after Close, rejected by
	// the sink, or still unsent when Close ran out of time.
	ErrDropped = errors.New("record: records dropped")
	// ErrSend reports a failed delivery; the batch is kept and sent again.
	ErrSend = errors.New("record: send failed")
	// ErrRejected is what a Sink wraps when a batch can never be
	// delivered as it is (the receiver refused it: HTTP 4xx other than
	// 408 and 429, a payload over the server's limit); the pipeline drops
	// it instead of retrying.
	ErrRejected = errors.New("record: batch rejected")
)

// Sink delivers batches of records. A Pipeline calls Send from one
// goroutine at a time. An error means the batch may not have arrived, or
// only part of it: the pipeline sends the same batch again later, with the
// same ID and the same records in the same order, so a sink that keys its
// writes on them (a message id, an idempotency key) stores each record
// once. Errors wrapping ErrRejected drop the batch instead.
type Sink interface {
	Send(ctx context.Context, b *Batch) error
}

// AsyncSink is a Sink that delivers a batch while the pipeline prepares
// the next: a remote store then works on one batch while the pipeline
// decodes and encodes the following ones, instead of each waiting for the
// other. A Pipeline calls SendAsync instead of Send when its sink has it.
type AsyncSink interface {
	Sink
	// SendAsync starts delivering b and returns as soon as it no longer
	// needs b (what it sends is encoded), with a function that waits for
	// the delivery within ctx and returns what Send would have. The
	// pipeline calls each wait once, in the order the batches were
	// started, from the goroutine that calls SendAsync, with a few
	// batches (maxInFlight) started and not yet waited for. A wait called
	// with a context already done may return its error at once; the
	// batch is then sent again, like any failed one.
	SendAsync(ctx context.Context, b *Batch) (wait func(ctx context.Context) error)
}

// SinkFunc is a function as a Sink.
type SinkFunc func(ctx context.Context, b *Batch) error

// Send calls f.
func (f SinkFunc) Send(ctx context.Context, b *Batch) error { return f(ctx, b) }

// Options configure a Pipeline. Identifiers must be protected one way or
// the other: set Secret, or RawIdentifiers to send them as they are. The
// other fields' zero values work.
type Options struct {
	// Secret keys the HMAC that pseudonymizes identifiers (see
	// Pseudonymize); at least 16 bytes. Keep it stable across processes
	// and releases, or the warehouse sees new users.
	Secret []byte
	// RawIdentifiers sends identifiers as decimal ids instead of
	// pseudonyms. Setting it together with Secret is an error.
	RawIdentifiers bool
	// Context describes the application in every record. Default Host:
	// os.Hostname().
	Context Context
	// FlushInterval is how often pending records are sent. Default 1s. A
	// negative interval disables background sending: call Flush.
	FlushInterval time.Duration
	// MaxPendingBytes bounds the memory of records not yet delivered,
	// including batches kept after a failed send. Records past it are
	// dropped and counted. Default 64 MiB.
	MaxPendingBytes int64
	// MaxBatchRecords bounds the records of one Send; a sink may split a
	// batch further (messages, requests) within its own limits. Default
	// 4096: a batch's decoded records then stay in the processor's cache
	// while a sink encodes them.
	MaxBatchRecords int
	// MaxRecordBytes bounds one record in its compact form (about its
	// JSON size less the context and pseudonyms); larger ones are
	// dropped and counted, so every record fits in a message. Default
	// 64 KiB.
	MaxRecordBytes int
	// WriteTimeout bounds one Send. Default 10s.
	WriteTimeout time.Duration
	// ErrorHandler hears about failed sends and dropped records, at most
	// once per ErrorInterval for each kind. Default: none; Stats still
	// counts everything.
	ErrorHandler func(error)
	// ErrorInterval is the least time between two reports of one kind.
	// Default 1m.
	ErrorInterval time.Duration
}

// Stats are the pipeline's counters. Every record added ends up sent,
// dropped or pending: Added = Sent + Dropped + Pending.
type Stats struct {
	Added      uint64 // records handed to Add
	Sent       uint64 // records in batches the sink accepted
	Retried    uint64 // records sent again after a failed send (once per retry)
	Dropped    uint64 // records given up (see ErrDropped)
	Rejected   uint64 // of Dropped, those in batches the sink rejected
	SendErrors uint64 // failed sends
	Pending    uint64 // records added but not yet sent
	// PendingBytes is the memory held by pending records.
	PendingBytes int64
}

// numShards bounds the lanes that take records: one per processor, up to
// 16, each with its own buffer and lock.
const numShards = 16

const (
	reportSend backlog.Kind = iota
	reportDrop
)

// Pipeline batches records and delivers them to a Sink in the background.
// It is safe for concurrent use. A nil *Pipeline ignores records.
type Pipeline struct {
	opts    Options
	sink    Sink
	shards  [numShards]shard
	lanes   backlog.Lanes
	budget  backlog.Budget
	loop    backlog.Loop
	reports backlog.Reporter
	// kickRecords is how many records a shard holds before it asks for
	// an early flush: a full batch's share.
	kickRecords int
	flushing    flusher
}

type shard struct {
	mu sync.Mutex
	// cur is the block being filled, full the filled ones, oldest first;
	// bytes is the frames they hold.
	cur     []byte
	full    [][]byte
	bytes   int64
	records int
	added   uint64
	dropped uint64
	_       [64]byte // keeps neighbouring shards' locks off one cache line
}

// blockSize is the size of the blocks shards keep frames in. Blocks come
// from a pool and go back once a flush has copied their frames, so adding
// a record never grows or copies a buffer, and a burst leaves no large
// buffer behind. A frame larger than a block gets an array of its own.
const blockSize = 64 << 10

var blocks = sync.Pool{New: func() any { return new([blockSize]byte) }}

func newBlock() []byte { return blocks.Get().(*[blockSize]byte)[:0] }

// New returns a pipeline that delivers to sink; it sends in the background
// until Close. It fails with ErrOptions when the options leave
// identifiers unprotected or cannot work.
func New(sink Sink, opts Options) (*Pipeline, error) {
	switch {
	case sink == nil:
		return nil, fmt.Errorf("%w: no sink", ErrOptions)
	case len(opts.Secret) == 0 && !opts.RawIdentifiers:
		return nil, fmt.Errorf("%w: no Secret to pseudonymize identifiers with, and RawIdentifiers not set", ErrOptions)
	case len(opts.Secret) > 0 && opts.RawIdentifiers:
		return nil, fmt.Errorf("%w: Secret and RawIdentifiers both set: identifiers are either pseudonymized or raw", ErrOptions)
	case len(opts.Secret) > 0 && len(opts.Secret) < 16:
		return nil, fmt.Errorf("%w: Secret has %d bytes, want at least 16", ErrOptions, len(opts.Secret))
	}
	if opts.FlushInterval == 0 {
		opts.FlushInterval = time.Second
	}
	if opts.MaxPendingBytes <= 0 {
		opts.MaxPendingBytes = 64 << 20
	}
	if opts.MaxBatchRecords <= 0 {
		opts.MaxBatchRecords = 4096
	}
	if opts.MaxRecordBytes <= 0 {
		opts.MaxRecordBytes = 64 << 10
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.ErrorInterval <= 0 {
		opts.ErrorInterval = time.Minute
	}
	if opts.Context.Host == "" {
		opts.Context.Host, _ = os.Hostname()
	}
	p := &Pipeline{opts: opts, sink: sink}
	p.lanes.Init(numShards)
	p.budget.Init(opts.MaxPendingBytes, 1<<p.lanes.Bits())
	p.kickRecords = max(1, opts.MaxBatchRecords>>p.lanes.Bits())
	p.reports.Init(opts.ErrorHandler, opts.ErrorInterval, time.Now)
	p.flushing.init(opts)
	p.loop.Start(opts.FlushInterval, func() { p.Flush(context.Background()) }, p.flushing.failing.Load)
	return p, nil
}

// Add takes one tracked event as a record occurring at at. The tracker
// calls it for every Track call; applications call generated Track
// functions. It never blocks on the sink: the record is encoded into the
// calling processor's buffer, or dropped and counted when the buffer is
// over its share of MaxPendingBytes. It does not keep r.
func (p *Pipeline) Add(name string, r *event.Record, at time.Time) {
	if p == nil || r == nil {
		return
	}
	lane := p.lanes.Get()
	sh := &p.shards[*lane]
	p.lanes.Put(p.lanes.Lock(lane, &sh.mu))
	budget := p.budget.Share()
	sh.added++
	// The frame is written straight into the block's free space; append
	// moves it to an array of its own only when it does not fit, which
	// is then the block's last frame.
	tail := sh.cur[len(sh.cur):]
	frame := appendFrame(tail, ID{}, at, name, r)
	size := len(frame)
	if p.loop.Closed() || size > p.opts.MaxRecordBytes || sh.bytes+int64(size) > budget {
		sh.dropped++
		sh.mu.Unlock()
		return
	}
	if cap(frame) == cap(tail) {
		sh.cur = sh.cur[:len(sh.cur)+size]
	} else {
		if len(sh.cur) > 0 {
			sh.full = append(sh.full, sh.cur)
		}
		if size <= blockSize {
			sh.cur = append(newBlock(), frame...)
		} else {
			sh.full, sh.cur = append(sh.full, frame), nil
		}
	}
	sh.bytes += int64(size)
	sh.records++
	kick := sh.records >= p.kickRecords || sh.bytes > budget/2
	sh.mu.Unlock()
	if kick {
		p.loop.Kick()
	}
}

// Stats returns the current counters.
func (p *Pipeline) Stats() Stats {
	var s Stats
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		s.Added += sh.added
		s.Dropped += sh.dropped
		s.PendingBytes += sh.bytes
		sh.mu.Unlock()
	}
	f := &p.flushing
	f.statMu.Lock()
	s.Sent = f.sent
	s.Retried = f.retried
	s.Dropped += f.dropped
	s.Rejected = f.rejected
	s.SendErrors = f.errors
	s.PendingBytes += f.heldBytes
	f.statMu.Unlock()
	if s.Added > s.Sent+s.Dropped {
		s.Pending = s.Added - s.Sent - s.Dropped
	}
	return s
}

// Close stops background sending and delivers every record added before
// it, retrying until ctx is done (a ctx without deadline gets six times
// WriteTimeout). Records it could not deliver are counted as dropped and
// reported in the error. Records added after Close are dropped. The sink
// is not closed: it belongs to the caller.
func (p *Pipeline) Close(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.loop.Stop()
	n, err := p.loop.Drain(ctx, 6*p.opts.WriteTimeout, p.Flush, p.abandonHeld)
	if err == nil || n == 0 {
		return nil
	}
	return fmt.Errorf("record: close: %d records not delivered: %w", n, err)
}
