package record

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/usagekit/usagekit/runtime/internal/backlog"
)

// heldBatch is a batch not delivered yet: cut from new frames, or kept
// from a failed send to be sent again as it was.
type heldBatch struct {
	id      ID
	frames  string
	records int
	arena   *arena
}

// arena holds the frames of a piece, grouped by event. It is reused for a
// later piece once every batch cut from it is settled: fresh memory costs
// a page fault for every 4 KiB written, and on a VM that is more than the
// copy itself (about 11 µs a fault here, 170 ns a frame).
type arena struct {
	buf     []byte
	pending int // batches cut from it and not settled
}

// keptArenas bounds the arenas kept for reuse.
const keptArenas = 2

// inflight is a batch handed to the sink and not confirmed yet.
type inflight struct {
	hb     heldBatch
	ctx    context.Context
	cancel context.CancelFunc
	wait   func(context.Context) error // nil when the send is over
	err    error                       // the send's outcome when wait is nil
}

// maxInFlight bounds the batches an AsyncSink has been handed and the
// pipeline has not waited for: enough to keep a store busy while the next
// batch is prepared, few enough that little is sent again after a failure.
const maxInFlight = 4

// pieceBytes is how much of the taken frames a flush groups at a time, so
// that what it copies, decodes and encodes stays in the processor's caches
// however large the backlog.
const pieceBytes = 4 << 20

// maxEventGroups bounds the event names a flush remembers between
// pieces.
const maxEventGroups = 4096

// flusher is the state of the one flush running at a time.
type flusher struct {
	mu      sync.Mutex
	names   *pseudonyms
	ctx     Context
	ctxJSON []byte
	ids     IDSource // batch ids
	// taken is the blocks taken from the shards, not grouped yet, and
	// takenFrom the shard each came from, whose source in shardIDs gives
	// its records their ids.
	taken     [][]byte
	takenFrom []uint8
	shardIDs  [numShards]IDSource
	// eventGroup numbers event names; groupBytes, groupSeen and order sort
	// a piece's frames by event, in the order events first appear in it.
	eventGroup map[string]int32
	groupBytes []int
	groupSeen  []bool
	order      []int32
	frameGroup []int32
	window     []inflight
	fb         frameBatch // the batch being sent
	arenas     []*arena   // free for reuse
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
	f.eventGroup = make(map[string]int32)
	f.fb.in = newInterner()
	f.fb.ctx = &f.ctx
}

// Flush delivers every record added so far, after the batches kept from
// failed sends: batches of at most MaxBatchRecords, each within
// WriteTimeout and all within ctx. On failure the batches not yet
// delivered are kept (within MaxPendingBytes) for the next flush and the
// error is returned; callers of Add never see it.
func (p *Pipeline) Flush(ctx context.Context) error {
	f := &p.flushing
	f.mu.Lock()
	defer f.mu.Unlock()
	queue := p.take()
	if len(queue) == 0 && len(f.taken) == 0 {
		return nil
	}
	f.statMu.Lock()
	p.budget.Hold(f.heldBytes)
	f.statMu.Unlock()
	var sendErr error
	for len(queue) > 0 || len(f.taken) > 0 {
		if len(queue) == 0 {
			queue = p.nextPiece(queue)
		}
		hb := queue[0]
		queue = queue[1:]
		if sendErr != nil {
			f.held = append(f.held, hb)
			continue
		}
		f.window = append(f.window, p.start(ctx, hb))
		if len(f.window) == maxInFlight || f.window[0].wait == nil {
			sendErr = p.finishOldest()
		}
	}
	for len(f.window) > 0 && sendErr == nil {
		sendErr = p.finishOldest()
	}
	f.statMu.Lock()
	defer f.statMu.Unlock()
	if sendErr == nil {
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

// take swaps the shards' blocks out into f.taken and returns the batches
// kept from failed sends, which go first; it counts and reports drops.
func (p *Pipeline) take() []heldBatch {
	f := &p.flushing
	var shardDrops, records uint64
	var bytes int64
	f.taken, f.takenFrom = f.taken[:0], f.takenFrom[:0]
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
		for len(f.takenFrom) < len(f.taken) {
			f.takenFrom = append(f.takenFrom, uint8(i))
		}
		bytes += sh.bytes
		records += uint64(sh.records)
		sh.bytes, sh.records = 0, 0
		shardDrops += sh.dropped
		sh.mu.Unlock()
	}
	held := f.held
	f.held = nil
	f.statMu.Lock()
	var retried int
	for _, hb := range held {
		retried += hb.records
	}
	f.retried += uint64(retried)
	if limit := p.budget.Limit(); f.heldBytes+bytes > limit {
		// Only reachable when shards filled before the budget shrank;
		// the shares normally keep new records within what is left.
		f.dropped += records
		p.recycle(f.taken)
		f.taken, f.takenFrom, bytes = f.taken[:0], f.takenFrom[:0], 0
	}
	f.heldBytes += bytes
	allDrops := shardDrops + f.dropped
	f.statMu.Unlock()
	f.drops.Report(&p.reports, reportDrop, allDrops, func(n uint64) error {
		return fmt.Errorf("%w: %d records since the last report: pending records reached %d bytes, a record was over %d bytes, the sink rejected a batch, or records came after Close",
			ErrDropped, n, p.opts.MaxPendingBytes, p.opts.MaxRecordBytes)
	})
	return held
}

// recycle gives blocks back to the pool.
func (p *Pipeline) recycle(blks [][]byte) {
	for i, b := range blks {
		if cap(b) == blockSize {
			blocks.Put((*[blockSize]byte)(b[:blockSize]))
		}
		blks[i] = nil
	}
}

// nextPiece groups the frames of the next taken blocks, up to pieceBytes,
// by event into a string of their own, and appends the batches cut from
// it to queue. Grouping makes a batch hold few events, so a sink that
// sends each event on its own (a subject per event) fills large messages
// instead of one small message per event and batch.
func (p *Pipeline) nextPiece(queue []heldBatch) []heldBatch {
	f := &p.flushing
	n, total := 0, 0
	for n < len(f.taken) && (n == 0 || total+len(f.taken[n]) <= pieceBytes) {
		total += len(f.taken[n])
		n++
	}
	piece := f.taken[:n]
	if len(f.eventGroup) > maxEventGroups {
		clear(f.eventGroup)
	}
	// First pass: the id of every frame, its group, and the bytes of each
	// group. Ids are made here rather than in Add, off the caller's path,
	// each shard's in the order Add wrote them: they sort as they did
	// when the caller made them.
	f.order, f.frameGroup = f.order[:0], f.frameGroup[:0]
	for k, b := range piece {
		ids := &f.shardIDs[f.takenFrom[k]]
		for pos := 0; pos < len(b); {
			size := int(binary.LittleEndian.Uint32(b[pos:]))
			id := ids.at(int64(binary.LittleEndian.Uint64(b[pos+4+len(ID{}):])))
			copy(b[pos+4:], id[:])
			g, ok := f.eventGroup[string(eventOf(b[pos:]))] // no allocation: a lookup converts in place
			if !ok {
				g = int32(len(f.eventGroup))
				f.eventGroup[string(eventOf(b[pos:]))] = g
			}
			if int(g) >= len(f.groupBytes) {
				f.groupBytes = append(f.groupBytes, make([]int, int(g)+1-len(f.groupBytes))...)
				f.groupSeen = append(f.groupSeen, make([]bool, int(g)+1-len(f.groupSeen))...)
			}
			if !f.groupSeen[g] {
				f.groupSeen[g] = true
				f.order = append(f.order, g)
			}
			f.groupBytes[g] += size
			f.frameGroup = append(f.frameGroup, g)
			pos += size
		}
	}
	// Second pass: each frame to its group's place.
	off := 0
	for _, g := range f.order {
		off, f.groupBytes[g] = off+f.groupBytes[g], off
	}
	ar := f.arena(total)
	arena := ar.buf
	i := 0
	for _, b := range piece {
		for pos := 0; pos < len(b); i++ {
			size := int(binary.LittleEndian.Uint32(b[pos:]))
			g := f.frameGroup[i]
			copy(arena[f.groupBytes[g]:], b[pos:pos+size])
			f.groupBytes[g] += size
			pos += size
		}
	}
	for _, g := range f.order {
		f.groupBytes[g], f.groupSeen[g] = 0, false
	}
	p.recycle(piece)
	f.taken, f.takenFrom = f.taken[n:], f.takenFrom[n:]
	if total == 0 {
		return queue
	}
	// The arena is written again only once no batch over it is left (see
	// settle), and records copy what they keep (see interner).
	frames := unsafe.String(&arena[0], total)
	now := time.Now()
	for pos := 0; pos < len(frames); {
		start, n := pos, 0
		for pos < len(frames) && n < p.opts.MaxBatchRecords {
			pos += frameLen(frames, pos)
			n++
		}
		ar.pending++
		queue = append(queue, heldBatch{id: f.ids.New(now), frames: frames[start:pos], records: n, arena: ar})
	}
	return queue
}

// arena returns an arena of n bytes, reused when one is free and large
// enough.
func (f *flusher) arena(n int) *arena {
	for i, a := range f.arenas {
		if cap(a.buf) >= n {
			f.arenas = append(f.arenas[:i], f.arenas[i+1:]...)
			a.buf = a.buf[:n]
			return a
		}
	}
	return &arena{buf: make([]byte, n, max(n, pieceBytes+blockSize))}
}

// eventOf returns the event name of the frame at the start of b.
func eventOf(b []byte) []byte {
	n, k := binary.Uvarint(b[frameHeader:])
	start := frameHeader + k
	return b[start : start+int(n)]
}

// start prepares a batch and hands it to the sink within WriteTimeout; a
// panicking sink counts as a failed send.
func (p *Pipeline) start(ctx context.Context, hb heldBatch) (in inflight) {
	f := &p.flushing
	f.fb.prepare(hb.frames, f.names)
	b := &Batch{ID: hb.id, fb: &f.fb, ctxJSON: f.ctxJSON}
	in.hb = hb
	in.ctx, in.cancel = context.WithTimeout(ctx, p.opts.WriteTimeout)
	defer func() {
		if v := recover(); v != nil {
			in.wait, in.err = nil, fmt.Errorf("record: sink panicked: %v", v)
		}
	}()
	if as, ok := p.sink.(AsyncSink); ok {
		in.wait = as.SendAsync(in.ctx, b)
	} else {
		in.err = p.sink.Send(in.ctx, b)
	}
	return in
}

// finishOldest waits for the oldest batch in flight and counts its
// outcome. When it failed, it and every batch after it that did not
// arrive are kept, and the error is returned.
func (p *Pipeline) finishOldest() error {
	f := &p.flushing
	in := f.window[0]
	f.window = f.window[1:]
	err := p.wait(in)
	if err == nil || errors.Is(err, ErrRejected) {
		p.settle(in.hb, err)
		return nil
	}
	f.held = append(f.held, in.hb)
	// The later batches may have arrived; whatever did not is kept, in
	// order, and sent again with the same ids.
	for _, later := range f.window {
		later.cancel()
		if lerr := p.wait(later); lerr == nil || errors.Is(lerr, ErrRejected) {
			p.settle(later.hb, lerr)
		} else {
			f.held = append(f.held, later.hb)
		}
	}
	clear(f.window)
	f.window = f.window[:0]
	return err
}

// wait returns the outcome of a batch in flight; a panicking wait counts
// as a failed send.
func (p *Pipeline) wait(in inflight) (err error) {
	defer in.cancel()
	if in.wait == nil {
		return in.err
	}
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("record: sink panicked: %v", v)
		}
	}()
	return in.wait(in.ctx)
}

// settle counts a batch that is done with: delivered, or rejected by the
// sink (err wrapping ErrRejected) and dropped.
func (p *Pipeline) settle(hb heldBatch, err error) {
	f := &p.flushing
	if a := hb.arena; a != nil {
		if a.pending--; a.pending == 0 && len(f.arenas) < keptArenas {
			f.arenas = append(f.arenas, a)
		}
	}
	f.statMu.Lock()
	f.heldBytes -= int64(len(hb.frames))
	if err == nil {
		f.sent += uint64(hb.records)
		f.statMu.Unlock()
		return
	}
	f.dropped += uint64(hb.records)
	f.rejected += uint64(hb.records)
	f.statMu.Unlock()
	p.reports.Report(reportDrop, fmt.Errorf("%w: %d records rejected by the sink: %w", ErrDropped, hb.records, err))
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
