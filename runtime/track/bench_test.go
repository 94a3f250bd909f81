package track

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
)

// mix is the realistic workload of the benchmarks: 20 events, each with
// its total (all-time and weekly) and a weekly unique count of users, and
// a stream of events by 100,000 users drawn at random.
type mix struct {
	events []*event.Descriptor
	seq    []mixItem
}

type mixItem struct {
	ev   int32
	user event.UserID
}

const (
	mixEvents = 20
	mixUsers  = 100_000
	mixSeq    = 1 << 20
)

func newMix() *mix {
	m := &mix{}
	for i := range mixEvents {
		name := "bench_event_" + strconv.Itoa(i)
		m.events = append(m.events, &event.Descriptor{
			Name: name,
			Updates: []event.Update{
				{Kind: event.Total, Key: keys.Counter(name, nil), AllTime: true, Weekly: true},
				{Kind: event.UniqueCount, Unique: event.UniqueUser, Key: keys.Unique(name, nil, event.UniqueUser), Weekly: true},
			},
			Always: 0b11,
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m.seq = make([]mixItem, mixSeq)
	for i := range m.seq {
		m.seq[i] = mixItem{ev: int32(rng.IntN(mixEvents)), user: event.UserID(rng.IntN(mixUsers) + 1)}
	}
	return m
}

// track does what a generated Track function does with item i.
func (m *mix) track(ctx context.Context, t *Tracker, i int) {
	it := m.seq[i&(mixSeq-1)]
	r := event.Record{User: it.user}
	t.Track(ctx, m.events[it.ev], &r)
}

// BenchmarkTrack measures the hot path: aggregation in memory, no I/O. As
// in a running process, the buffers are flushed (into a memstore, with the
// timer stopped) every 2^20 events, so the figures are the steady state in
// which buffers are reused; an untimed first round puts them in place, as
// a process does in its first flush interval.
func BenchmarkTrack(b *testing.B) {
	m := newMix()
	ctx := context.Background()
	const round = 1 << 20
	for _, g := range []int{1, 2} {
		b.Run(strconv.Itoa(g)+"goroutines", func(b *testing.B) {
			tr := New(Options{FlushInterval: -1, MaxPendingBytes: 1 << 40})
			for i := range round {
				m.track(ctx, tr, i*7919)
			}
			if err := tr.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for start := 0; start < b.N; start += round {
				end := min(b.N, start+round)
				var wg sync.WaitGroup
				for w := range g {
					wg.Go(func() {
						for i := start + w; i < end; i += g {
							m.track(ctx, tr, i*7919)
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				if err := tr.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			tr.Close(ctx)
			if s := tr.Stats(); s.Dropped != 0 || s.Flushed != uint64(round+b.N) {
				b.Fatalf("stats %+v after %d events", s, b.N)
			}
		})
	}
}

// BenchmarkEndToEnd tracks b.N events of the mix into the real Redis and
// closes, then checks the totals; it reports events per second. The naive
// variants write the same keys without the tracker: one round trip per key
// per event, and a pipeline of the same commands without aggregation.
func BenchmarkEndToEnd(b *testing.B) {
	m := newMix()
	rdb := redistest.Client(b, 1)
	ctx := context.Background()
	week := keys.WeekOf(time.Now()).Suffix()
	type keyset struct{ total, weekly, users string }
	ks := make([]keyset, len(m.events))
	for i, d := range m.events {
		ks[i] = keyset{d.Updates[0].Key, d.Updates[0].Key + week, d.Updates[1].Key + week}
	}
	verify := func(b *testing.B, dropped uint64) {
		b.StopTimer()
		var sum int64
		for _, k := range ks {
			n, _ := rdb.Get(ctx, k.total).Int64()
			sum += n
		}
		if sum != int64(b.N)-int64(dropped) {
			b.Fatalf("redis counted %d of %d events, %d dropped", sum, b.N, dropped)
		}
		b.ReportMetric(float64(sum)/b.Elapsed().Seconds(), "events/s")
		rdb.FlushDB(ctx)
	}
	// A producer in a tight loop outruns any store, so the tracker either
	// holds the backlog or drops: "tracker" gives it room (1 GiB) and must
	// count every event; "tracker-64MiB" keeps the default limit, drops
	// what does not fit and must account for each drop exactly.
	for _, v := range []struct {
		name  string
		limit int64
	}{{"tracker", 1 << 30}, {"tracker-64MiB", 0}} {
		b.Run(v.name, func(b *testing.B) {
			rdb.FlushDB(ctx)
			b.ResetTimer()
			tr := New(Options{Store: redisstore.New(rdb, redisstore.Options{}), MaxPendingBytes: v.limit})
			for i := range b.N {
				m.track(ctx, tr, i)
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := tr.Close(cctx); err != nil {
				b.Fatal(err)
			}
			s := tr.Stats()
			if v.limit > 0 && s.Dropped > 0 {
				b.Fatalf("%d events dropped with a %d byte limit", s.Dropped, v.limit)
			}
			b.ReportMetric(float64(s.Dropped)/float64(b.N), "dropped/op")
			verify(b, s.Dropped)
		})
	}
	b.Run("naive-roundtrip", func(b *testing.B) {
		rdb.FlushDB(ctx)
		b.ResetTimer()
		for i := range b.N {
			it := m.seq[i&(mixSeq-1)]
			k := ks[it.ev]
			rdb.Incr(ctx, k.total)
			rdb.Incr(ctx, k.weekly)
			rdb.PFAdd(ctx, k.users, int64(it.user))
		}
		verify(b, 0)
	})
	b.Run("naive-pipeline", func(b *testing.B) {
		rdb.FlushDB(ctx)
		b.ResetTimer()
		var pipe redis.Pipeliner = rdb.Pipeline()
		for i := range b.N {
			it := m.seq[i&(mixSeq-1)]
			k := ks[it.ev]
			pipe.Incr(ctx, k.total)
			pipe.Incr(ctx, k.weekly)
			pipe.PFAdd(ctx, k.users, int64(it.user))
			if pipe.Len() >= 3000 {
				if _, err := pipe.Exec(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
		if _, err := pipe.Exec(ctx); err != nil {
			b.Fatal(err)
		}
		verify(b, 0)
	})
}
