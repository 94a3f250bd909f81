package track

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/memstore"
)

const total = "{event_counters}_issue_created"

func TestSyncMode(t *testing.T) {
	ms := memstore.New(memstore.Options{})
	tr := New(Options{Store: ms, Sync: true})
	defer tr.Close(context.Background())
	for i := range 3 {
		trackIssue(context.Background(), tr, event.UserID(i+1), 1, "", nil)
		// Written through before Track returns.
		if v, _ := ms.Get(total); v != float64(i+1) {
			t.Fatalf("after event %d the total is %v", i+1, v)
		}
	}
}

type sinkFunc func(ctx context.Context, name string, r *event.Record)

func (f sinkFunc) Event(ctx context.Context, name string, r *event.Record) { f(ctx, name, r) }

func TestSink(t *testing.T) {
	var got []string
	var errs []error
	tr := New(Options{
		FlushInterval: -1,
		Sink: sinkFunc(func(_ context.Context, name string, r *event.Record) {
			if r.Label == "boom" {
				panic("sink exploded")
			}
			got = append(got, name+":"+r.Label)
		}),
		ErrorHandler: func(err error) {
			errs = append(errs, err)
			panic("handler exploded too")
		},
	})
	if !tr.WantsCustom() {
		t.Error("WantsCustom false with a sink")
	}
	if New(Options{}).WantsCustom() {
		t.Error("WantsCustom true without a sink")
	}
	ctx := context.Background()
	trackIssue(ctx, tr, 1, 1, "a", nil)
	trackIssue(ctx, tr, 1, 1, "boom", nil) // neither panic escapes
	trackIssue(ctx, tr, 1, 1, "b", nil)
	if strings.Join(got, " ") != "issue_created:a issue_created:b" {
		t.Errorf("sink got %q", got)
	}
	if len(errs) != 1 || !errors.Is(errs[0], ErrPanic) || errs[0].Error() != "track: event sink panicked on event issue_created: sink exploded" {
		t.Errorf("handler got %v", errs)
	}
	tr.Close(ctx)
	// The event whose sink panicked is still counted.
	if s := tr.Stats(); s.SinkPanics != 1 || s.Flushed != 3 {
		t.Errorf("stats %+v", s)
	}
}

// Past MaxPendingBytes whole events are dropped: what the store holds plus
// what was dropped is exactly what was tracked.
func TestDropsAreCountedExactly(t *testing.T) {
	ms := memstore.New(memstore.Options{})
	down := &failing{Store: ms}
	var errs []error
	tr := New(Options{Store: down, FlushInterval: -1, MaxPendingBytes: 64 << 10, ErrorHandler: func(err error) { errs = append(errs, err) }})
	ctx := context.Background()
	const n = 20000
	for i := range n {
		trackIssue(ctx, tr, event.UserID(i+1), event.ProjectID(i+1), "", nil)
		if i%5000 == 0 {
			if err := tr.Flush(ctx); !errors.Is(err, ErrFlush) || !errors.Is(err, errDown) {
				t.Fatalf("flush against a down store: %v", err)
			}
		}
	}
	s := tr.Stats()
	if s.Dropped == 0 || s.Dropped >= n {
		t.Fatalf("dropped %d of %d with a 64 KiB limit", s.Dropped, n)
	}
	if s.PendingBytes > 64<<10 {
		t.Errorf("pending bytes %d over the limit", s.PendingBytes)
	}
	if s.FlushErrors != 4 || s.Retried == 0 {
		t.Errorf("stats %+v", s)
	}
	down.mu.Lock()
	down.up = true
	down.mu.Unlock()
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = tr.Stats()
	v, _ := ms.Get(total)
	if s.Tracked != n || s.Flushed+s.Dropped != n || uint64(v) != s.Flushed || s.Pending != 0 {
		t.Errorf("total %v; stats %+v", v, s)
	}
	// One report per kind: the limiter holds back the rest.
	var flushes, drops int
	for _, err := range errs {
		switch {
		case errors.Is(err, ErrFlush):
			flushes++
		case errors.Is(err, ErrDropped):
			drops++
			if !strings.Contains(err.Error(), "pending work reached 65536 bytes") {
				t.Errorf("drop report %q", err)
			}
		}
	}
	if flushes != 1 || drops != 1 {
		t.Errorf("reports: %d flush, %d drop, want 1 and 1: %v", flushes, drops, errs)
	}
}

func TestClose(t *testing.T) {
	ms := memstore.New(memstore.Options{})
	tr := New(Options{Store: ms, FlushInterval: time.Hour})
	ctx := context.Background()
	for i := range 100 {
		trackIssue(ctx, tr, event.UserID(i), 1, "", nil)
	}
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	trackIssue(ctx, tr, 1, 1, "", nil) // after Close: dropped, not written
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if v, _ := ms.Get(total); v != 100 {
		t.Errorf("total %v, want 100", v)
	}
	if s := tr.Stats(); s.Tracked != 101 || s.Flushed != 100 || s.Dropped != 1 {
		t.Errorf("stats %+v", s)
	}

	// A store that stays down: Close gives up at the deadline, reports the
	// loss and counts it.
	tr = New(Options{Store: &failing{Store: ms}, FlushInterval: -1})
	trackIssue(ctx, tr, 1, 1, "", nil)
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	err := tr.Close(cctx)
	if err == nil || !strings.HasPrefix(err.Error(), "track: close: 1 events not written: track: flush failed") {
		t.Errorf("close against a down store: %v", err)
	}
	if s := tr.Stats(); s.Dropped != 1 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
	var nilTracker *Tracker
	nilTracker.Track(ctx, issueCreated, &event.Record{})
	if nilTracker.Close(ctx) != nil || nilTracker.WantsCustom() {
		t.Error("nil tracker")
	}
}

func TestDefault(t *testing.T) {
	ctx := context.Background()
	d := From(ctx)
	if d == nil || d != Default() {
		t.Fatal("From without a tracker in the context must give the default")
	}
	ms, ok := d.Store().(*memstore.Store)
	if !ok {
		t.Fatalf("default store is %T, want the embedded memstore", d.Store())
	}
	before, _ := ms.Get(total) // the default outlives a run: go test -count
	trackIssue(ctx, From(ctx), 1, 1, "", nil)
	d.Flush(ctx)
	if v, _ := ms.Get(total); v-before != 1 {
		t.Errorf("default tracker counted %v", v-before)
	}
	other := New(Options{FlushInterval: -1})
	if From(NewContext(ctx, other)) != other {
		t.Error("From ignores the context's tracker")
	}
	SetDefault(other)
	defer SetDefault(d)
	if From(ctx) != other {
		t.Error("SetDefault ignored")
	}
}

// Many goroutines track while the background flusher runs; nothing is lost
// and the race detector sees no conflict.
func TestConcurrent(t *testing.T) {
	ms := memstore.New(memstore.Options{})
	tr := New(Options{Store: ms, FlushInterval: time.Millisecond})
	ctx := context.Background()
	const workers, each = 8, 5000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				trackIssue(ctx, tr, event.UserID(w*each+i+1), event.ProjectID(i%7+1), "bug", ptr(1))
			}
		})
	}
	wg.Wait()
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	const n = workers * each
	if v, _ := ms.Get(total); v != n {
		t.Errorf("total %v, want %d", v, n)
	}
	if v, _ := ms.Get("{event_sums}_issue_created-operator:sum(value)"); v != n {
		t.Errorf("sum %v, want %d", v, n)
	}
	if c := ms.Count("{hll_counters}_issue_created-project-" + weekFromCode(tr.weekOf(time.Now())).Suffix()[1:]); c != 7 {
		t.Errorf("projects %d, want 7", c)
	}
	if s := tr.Stats(); s.Flushed != n || s.Dropped != 0 {
		t.Errorf("stats %+v", s)
	}
}

// Memory stays bounded by MaxPendingBytes while the store is down, however
// many events arrive: the heap grows by about the limit, not with the
// number of events.
func TestMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("tracks two million events")
	}
	const limit = 16 << 20
	down := &failing{Store: memstore.New(memstore.Options{})}
	tr := New(Options{Store: down, FlushInterval: -1, MaxPendingBytes: limit})
	ctx := context.Background()
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	var peak uint64
	for round := range 10 {
		for i := range 200_000 {
			id := round*200_000 + i + 1
			trackIssue(ctx, tr, event.UserID(id), event.ProjectID(id), "", nil)
		}
		tr.Flush(ctx)
		peak = max(peak, heap())
	}
	s := tr.Stats()
	if s.Dropped == 0 {
		t.Fatal("nothing dropped: the limit was not reached")
	}
	if s.PendingBytes > limit {
		t.Errorf("pending bytes %d over the limit %d", s.PendingBytes, limit)
	}
	grown := int64(peak) - int64(before)
	t.Logf("limit %d MiB, heap grew %.1f MiB, %d of %d events dropped", limit>>20, float64(grown)/(1<<20), s.Dropped, s.Tracked)
	if grown > 2*limit {
		t.Errorf("heap grew %d bytes for a %d byte limit", grown, limit)
	}
}

// flaky fails exactly the Apply calls whose numbers (from 1) are listed,
// applying nothing of them.
type flaky struct {
	recorder
	calls int
	fail  map[int]bool
}

func (f *flaky) Apply(ctx context.Context, b *store.Batch) error {
	f.calls++
	if f.fail[f.calls] {
		return errDown
	}
	return f.recorder.Apply(ctx, b)
}

// A flush is cut into writes of at most MaxBatch updates; when one fails,
// only it and the ones after it are sent again, so nothing is counted twice.
func TestChunkedFlushRetriesOnlyTheRest(t *testing.T) {
	ms := memstore.New(memstore.Options{})
	st := &flaky{recorder: recorder{Store: ms}, fail: map[int]bool{2: true}}
	tr := New(Options{Store: st, FlushInterval: -1, MaxBatch: 10})
	ctx := context.Background()
	for i := range 25 {
		trackIssue(ctx, tr, event.UserID(i+1), event.ProjectID(i+1), "", nil)
	}
	if err := tr.Flush(ctx); !errors.Is(err, errDown) {
		t.Fatalf("first flush: %v", err)
	}
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// 2 counters + 25 users + 25 projects = 52 updates: 6 writes of at most
	// 10, the second failing once.
	if st.calls != 7 {
		t.Errorf("%d writes, want 7", st.calls)
	}
	sent := 0
	for _, b := range st.batches {
		if w := weight(&b); w > 10 {
			t.Errorf("a write of %d updates", w)
		}
		sent += weight(&b)
	}
	if sent != 52 {
		t.Errorf("%d updates applied, want 52: some sent twice or lost", sent)
	}
	week := weekFromCode(tr.weekOf(time.Now())).Suffix()
	if v, _ := ms.Get(total); v != 25 {
		t.Errorf("total %v", v)
	}
	if n := ms.Count("{hll_counters}_issue_created-user" + week); n != 25 {
		t.Errorf("users %d", n)
	}
	if s := tr.Stats(); s.Flushed != 25 || s.FlushErrors != 1 || s.Retried != 25 {
		t.Errorf("stats %+v", s)
	}
}

func TestSplit(t *testing.T) {
	b := &store.Batch{
		Incrs: []store.Incr{{Key: "a", By: 1}, {Key: "b", By: 2}},
		Adds:  []store.Add{{Key: "h", Members: []string{"1", "2", "3", "4", "5"}, Expire: time.Hour}, {Key: "e"}},
	}
	chunks := split(b, 3)
	var got []string
	for _, c := range chunks {
		var parts []string
		for _, in := range c.Incrs {
			parts = append(parts, in.Key)
		}
		for _, a := range c.Adds {
			parts = append(parts, a.Key+strings.Join(a.Members, ""))
			if a.Key == "h" && a.Expire != time.Hour {
				t.Error("a split PFADD lost its expiry")
			}
		}
		got = append(got, strings.Join(parts, " "))
	}
	if want := []string{"a b h1", "h234", "h5 e"}; !slices.Equal(got, want) {
		t.Errorf("split: %q, want %q", got, want)
	}
	if j := join(chunks); weight(j) != weight(b) {
		t.Errorf("join weighs %d, want %d", weight(j), weight(b))
	}
}

// Near the limit an event that only repeats members already buffered still
// fits; a new member does not.
func TestRepeatsFitAtTheLimit(t *testing.T) {
	tr := New(Options{FlushInterval: -1, MaxPendingBytes: 1})
	// One lane, so every call lands in the shard of its user whichever
	// processor runs it (the race detector makes sync.Pool forget lanes).
	tr.lanes.SetBits(0)
	// Give every shard room for exactly one event description and one
	// member of each of the four unique rules that apply.
	room := costDesc + costRule*int64(len(issueCreated.Updates)) + 3*costIntMember + costStrMember + 3
	tr.budget.SetShare(room)
	ctx := context.Background()
	for range 100 {
		trackIssue(ctx, tr, 42, 7, "bug", ptr(1))
	}
	trackIssue(ctx, tr, 42, 8, "bug", ptr(1)) // a new project: no room
	if s := tr.Stats(); s.Tracked != 101 || s.Dropped != 1 || s.PendingBytes != room {
		t.Errorf("stats %+v, want 101 tracked, 1 dropped, %d bytes", s, room)
	}
}

// With a record pipeline every Track call also makes a record, stamped by
// the tracker's clock, and Close delivers them all before returning.
func TestRecords(t *testing.T) {
	var mu sync.Mutex
	var got []string
	sink := record.SinkFunc(func(_ context.Context, b *record.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		for i := range b.Len() {
			r := b.Record(i)
			got = append(got, r.Event+" "+r.OccurredAt.Format(time.RFC3339Nano)+" user "+r.Identifiers.User)
		}
		return nil
	})
	p, err := record.New(sink, record.Options{RawIdentifiers: true, FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	clk := newClock("2026-11-25T10:00:00Z")
	tr := New(Options{FlushInterval: -1, Records: p, Now: clk.Now})
	if !tr.WantsCustom() {
		t.Error("WantsCustom false with records")
	}
	ctx := context.Background()
	trackIssue(ctx, tr, 7, 1, "bug", nil)
	clk.Set("2026-11-25T10:01:00Z")
	trackIssue(ctx, tr, 8, 1, "", nil)
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := []string{"issue_created 2026-11-25T10:00:00Z user 7", "issue_created 2026-11-25T10:01:00Z user 8"}
	slices.Sort(got) // the pipeline keeps a buffer per processor, so order is not kept
	if !slices.Equal(got, want) {
		t.Errorf("records %q, want %q", got, want)
	}
	if s := p.Stats(); s.Added != 2 || s.Sent != 2 {
		t.Errorf("pipeline stats %+v", s)
	}
}

// The stamp clock agrees with the system clock, never goes back within a
// reading, and renews a reading that is a second old or in the future.
func TestStampClock(t *testing.T) {
	var c stampClock
	before := time.Now()
	a := c.now()
	b := c.now()
	after := time.Now()
	if a.Before(before) || b.Before(a) || after.Before(b) {
		t.Errorf("stamps %v, %v outside [%v, %v] or out of order", a, b, before, after)
	}
	for _, base := range []time.Time{
		time.Now().Add(-2 * time.Second),   // over a second old
		time.Now().Add(time.Second),        // in the future by the monotonic clock
		time.Now().Add(time.Hour).Round(0), // the wall clock stepped back an hour
	} {
		c.base.Store(&stampBase{mono: base, wall: base.UnixNano()})
		before = time.Now()
		got := c.now()
		if d := got.Sub(before); d < 0 || d > time.Second {
			t.Errorf("from a reading of %v: stamp %v, %v after the system clock", base, got, d)
		}
	}
}
