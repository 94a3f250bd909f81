package track

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/internal/redistest"
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
			Rules: []event.Rule{
				{Kind: event.Total, Key: keys.Counter(name, nil), AllTime: true, Weekly: true},
				{Kind: event.UniqueCount, Unique: event.UniqueUser, Key: keys.Unique(name, nil, "user.id"), Weekly: true},
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

// BenchmarkTrack measures the hot path: aggregation in memory, no I/O (the
// limit is high enough that no flush runs while timing).
func BenchmarkTrack(b *testing.B) {
	m := newMix()
	ctx := context.Background()
	for _, g := range []int{1, 2} {
		b.Run(strconv.Itoa(g)+"goroutines", func(b *testing.B) {
			tr := New(Options{FlushInterval: -1, MaxPendingBytes: 1 << 30})
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := range g {
				wg.Go(func() {
					for i := w; i < b.N; i += g {
						m.track(ctx, tr, i*7919)
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			tr.Close(ctx)
			if s := tr.Stats(); s.Dropped != 0 || s.Flushed != uint64(b.N) {
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
		ks[i] = keyset{d.Rules[0].Key, d.Rules[0].Key + week, d.Rules[1].Key + week}
	}
	verify := func(b *testing.B) {
		b.StopTimer()
		var sum int64
		for _, k := range ks {
			n, _ := rdb.Get(ctx, k.total).Int64()
			sum += n
		}
		if sum != int64(b.N) {
			b.Fatalf("redis counted %d of %d events", sum, b.N)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		rdb.FlushDB(ctx)
	}
	b.Run("tracker", func(b *testing.B) {
		rdb.FlushDB(ctx)
		b.ResetTimer()
		tr := New(Options{Store: redisstore.New(rdb, redisstore.Options{})})
		for i := range b.N {
			m.track(ctx, tr, i)
		}
		if err := tr.Close(ctx); err != nil {
			b.Fatal(err)
		}
		verify(b)
	})
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
		verify(b)
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
		verify(b)
	})
}
