package record

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
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

// SinkFunc is a function as a Sink.
type SinkFunc func(ctx context.Context, b *Batch) error

// Send calls f.
func (f SinkFunc) Send(ctx context.Context, b *Batch) error { return f(ctx, b) }

// Batch is records to deliver together. It and its records are valid only
// during Send; a sink must not keep them.
type Batch struct {
	// ID identifies the batch across retries (a UUIDv7): sinks derive
	// message ids and idempotency keys from it.
	ID      ID
	Records []Record
	// ctxJSON is the records' shared context, encoded once.
	ctxJSON []byte
	times   timeCache
}

// NewBatch returns a batch of records, for sinks' tests and for sending
// records made elsewhere.
func NewBatch(id ID, records []Record) *Batch { return &Batch{ID: id, Records: records} }

// AppendJSON appends the JSON form of record i to dst.
func (b *Batch) AppendJSON(dst []byte, i int) []byte {
	return appendRecord(dst, &b.Records[i], b.ctxJSON, &b.times)
}

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
	ids     IDSource
	added   uint64
	dropped uint64
	_       [64]byte // keeps neighbouring shards' locks off one cache line
}

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
	p.lanes.Put(lane)
	budget := p.budget.Share()
	sh.mu.Lock()
	sh.added++
	// The frame is written straight into the block's free space; append
	// moves it to an array of its own only when it does not fit, which
	// is then the block's last frame.
	tail := sh.cur[len(sh.cur):]
	frame := appendFrame(tail, sh.ids.New(at), at, name, r)
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

// heldBatch is a batch whose send failed, kept to be sent again as it was.
type heldBatch struct {
	id      ID
	frames  string
	records int
}

// flusher is the state of the one flush running at a time.
type flusher struct {
	mu      sync.Mutex
	names   *pseudonyms
	ctx     Context
	ctxJSON []byte
	ids     IDSource
	taken   [][]byte // blocks taken from the shards, back to the pool once copied
	arena   strings.Builder
	// eventGroup and groups sort a flush's frames by event.
	eventGroup map[string]int
	groups     [][]frameRef
	recs       []Record
	props      []Property
	fe         []string
	held       []heldBatch
	drops      backlog.Drops
	failing    atomic.Bool

	statMu    sync.Mutex
	sent      uint64
	retried   uint64
	dropped   uint64
	rejected  uint64
	errors    uint64
	heldBytes int64
}

func (f *flusher) init(opts Options) {
	f.names = newPseudonyms(opts.Secret, opts.RawIdentifiers)
	f.ctx = opts.Context
	f.ctxJSON = appendContext(nil, &opts.Context)
	f.eventGroup = make(map[string]int)
}

// blockSize is the size of the blocks shards keep frames in. Blocks come
// from a pool and go back once a flush has copied their frames, so adding
// a record never grows or copies a buffer, and a burst leaves no large
// buffer behind. A frame larger than a block gets an array of its own.
const blockSize = 64 << 10

var blocks = sync.Pool{New: func() any { return new([blockSize]byte) }}

func newBlock() []byte { return blocks.Get().(*[blockSize]byte)[:0] }

// Flush delivers every record added so far, after the batches kept from
// failed sends: batches of at most MaxBatchRecords, each within
// WriteTimeout and all within ctx. On failure the batches not yet
// delivered are kept (within MaxPendingBytes) for the next flush and the
// error is returned; callers of Add never see it.
func (p *Pipeline) Flush(ctx context.Context) error {
	f := &p.flushing
	f.mu.Lock()
	defer f.mu.Unlock()
	batches, bytes := p.gather()
	if len(batches) == 0 {
		return nil
	}
	p.budget.Hold(bytes)
	var sendErr error
	for i, hb := range batches {
		err := p.send(ctx, hb)
		switch {
		case err == nil:
			f.statMu.Lock()
			f.sent += uint64(hb.records)
			f.heldBytes -= int64(len(hb.frames))
			f.statMu.Unlock()
		case errors.Is(err, ErrRejected):
			f.statMu.Lock()
			f.dropped += uint64(hb.records)
			f.rejected += uint64(hb.records)
			f.heldBytes -= int64(len(hb.frames))
			f.statMu.Unlock()
			p.reports.Report(reportDrop, fmt.Errorf("%w: %d records rejected by the sink: %w", ErrDropped, hb.records, err))
		default:
			f.held = append(f.held[:0], batches[i:]...)
			sendErr = err
		}
		if sendErr != nil {
			break
		}
	}
	f.statMu.Lock()
	defer f.statMu.Unlock()
	if sendErr == nil {
		f.held = f.held[:0]
		f.heldBytes = 0
		f.failing.Store(false)
		p.budget.Hold(0)
		return nil
	}
	f.errors++
	f.failing.Store(true)
	var n int
	for _, hb := range f.held {
		n += hb.records
	}
	p.budget.Hold(f.heldBytes)
	err := fmt.Errorf("%w: %d records kept for the next flush: %w", ErrSend, n, sendErr)
	p.reports.Report(reportSend, err)
	return err
}

// gather swaps the shards' buffers out and cuts their frames into
// batches, after the batches kept from failed sends, and reports drops.
// It returns the batches and the bytes they hold.
func (p *Pipeline) gather() ([]heldBatch, int64) {
	f := &p.flushing
	var shardDrops uint64
	total := 0
	f.taken = f.taken[:0]
	for i := range p.shards {
		sh := &p.shards[i]
		sh.mu.Lock()
		f.taken = append(f.taken, sh.full...)
		clear(sh.full)
		sh.full = sh.full[:0]
		if len(sh.cur) > 0 {
			f.taken = append(f.taken, sh.cur)
			sh.cur = nil
		}
		total += int(sh.bytes)
		sh.bytes = 0
		sh.records = 0
		shardDrops += sh.dropped
		sh.mu.Unlock()
	}
	f.arena.Reset()
	f.arena.Grow(total)
	f.groupByEvent()
	for i, b := range f.taken {
		if cap(b) == blockSize {
			blocks.Put((*[blockSize]byte)(b[:blockSize]))
		}
		f.taken[i] = nil
	}
	frames := f.arena.String()
	f.arena = strings.Builder{} // frames now owns the bytes

	batches := f.held
	f.held = nil
	f.statMu.Lock()
	var retried int
	for _, hb := range batches {
		retried += hb.records
	}
	f.retried += uint64(retried)
	if limit := p.budget.Limit(); f.heldBytes+int64(len(frames)) > limit {
		// Only reachable when shards filled before the budget shrank;
		// the shares normally keep new records within what is left.
		f.dropped += uint64(countFrames(frames))
		frames = ""
	}
	f.heldBytes += int64(len(frames))
	bytes := f.heldBytes
	allDrops := shardDrops + f.dropped
	f.statMu.Unlock()
	f.drops.Report(&p.reports, reportDrop, allDrops, func(n uint64) error {
		return fmt.Errorf("%w: %d records since the last report: pending records reached %d bytes, a record was over %d bytes, the sink rejected a batch, or records came after Close",
			ErrDropped, n, p.opts.MaxPendingBytes, p.opts.MaxRecordBytes)
	})
	now := time.Now()
	for pos := 0; pos < len(frames); {
		start, n := pos, 0
		for pos < len(frames) && n < p.opts.MaxBatchRecords {
			pos += frameLen(frames, pos)
			n++
		}
		batches = append(batches, heldBatch{id: f.ids.New(now), frames: frames[start:pos], records: n})
	}
	return batches, bytes
}

// groupByEvent writes the taken frames into the arena grouped by event,
// in the order events first appear: a batch then holds few events, and a
// sink that sends each event on its own (a subject per event) fills
// large messages instead of one small message per event and batch.
func (f *flusher) groupByEvent() {
	clear(f.eventGroup)
	for i := range f.groups {
		f.groups[i] = f.groups[i][:0]
	}
	n := 0
	for blk, b := range f.taken {
		for pos := 0; pos < len(b); {
			size := int(uint32(b[pos]) | uint32(b[pos+1])<<8 | uint32(b[pos+2])<<16 | uint32(b[pos+3])<<24)
			name := eventOf(b[pos:])
			g, ok := f.eventGroup[string(name)] // no allocation: a lookup converts in place
			if !ok {
				g = n
				n++
				f.eventGroup[string(name)] = g
				if g == len(f.groups) {
					f.groups = append(f.groups, nil)
				}
			}
			f.groups[g] = append(f.groups[g], frameRef{block: blk, pos: pos, size: size})
			pos += size
		}
	}
	for _, g := range f.groups[:n] {
		for _, r := range g {
			f.arena.Write(f.taken[r.block][r.pos : r.pos+r.size])
		}
	}
}

// frameRef locates a frame in a taken block.
type frameRef struct{ block, pos, size int }

// eventOf returns the event name of the frame at the start of b.
func eventOf(b []byte) []byte {
	n, k := binary.Uvarint(b[frameHeader:])
	start := frameHeader + k
	return b[start : start+int(n)]
}

func countFrames(s string) int {
	n := 0
	for pos := 0; pos < len(s); pos += frameLen(s, pos) {
		n++
	}
	return n
}

// send decodes one batch and hands it to the sink within WriteTimeout; a
// panicking sink counts as a failed send.
func (p *Pipeline) send(ctx context.Context, hb heldBatch) (err error) {
	f := &p.flushing
	f.recs, f.props, f.fe = f.recs[:0], f.props[:0], f.fe[:0]
	rd := frameReader{s: hb.frames}
	for rd.pos < len(rd.s) {
		f.recs = append(f.recs, Record{})
		f.props, f.fe = rd.decode(&f.recs[len(f.recs)-1], f.names, &f.ctx, f.props, f.fe)
	}
	b := &Batch{ID: hb.id, Records: f.recs, ctxJSON: f.ctxJSON}
	sctx, cancel := context.WithTimeout(ctx, p.opts.WriteTimeout)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("record: sink panicked: %v", v)
		}
	}()
	return p.sink.Send(sctx, b)
}

// abandonHeld gives up the kept batches (Close ran out of time) and
// counts their records as dropped.
func (p *Pipeline) abandonHeld() int64 {
	f := &p.flushing
	f.mu.Lock()
	defer f.mu.Unlock()
	f.statMu.Lock()
	defer f.statMu.Unlock()
	var n int64
	for _, hb := range f.held {
		n += int64(hb.records)
	}
	f.dropped += uint64(n)
	f.held, f.heldBytes = nil, 0
	return n
}
