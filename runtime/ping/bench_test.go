package ping_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/ping"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
)

// BenchmarkPing2000 computes and encodes a ping of 2,000 Redis-backed
// metrics: 1,000 28d totals and 1,000 28d unique counts, each over four
// weeks of keys that exist. The bound: at most 1s per ping against
// local Redis.
// benchRedisDB is the Redis database of the benchmarks.
const benchRedisDB = 10

func BenchmarkPing2000(b *testing.B) {
	rs := redisstore.New(redistest.Client(b, benchRedisDB), redisstore.Options{})
	ctx := context.Background()
	weeks := keys.Last(4, now)
	members := make([]string, 50)
	var batch store.Batch
	var ds []*metric.Descriptor
	for i := range 1000 {
		ev := fmt.Sprintf("event_%04d", i)
		for j, w := range weeks {
			batch.Incrs = append(batch.Incrs, store.Incr{Key: keys.Counter(ev, nil) + w.Suffix(), By: float64(i + j)})
			for k := range members {
				members[k] = strconv.Itoa(i*100 + j*10 + k)
			}
			batch.Adds = append(batch.Adds, store.Add{Key: keys.Unique(ev, nil, event.UniqueUser) + w.Suffix(), Members: append([]string(nil), members...)})
		}
		ds = append(ds,
			&metric.Descriptor{KeyPath: "counts." + ev + "_monthly", TimeFrame: metric.Monthly, DataSource: "internal_events", Status: metric.Active,
				DataCategory: ping.Operational, Events: []metric.EventRule{{Event: ev}}},
			&metric.Descriptor{KeyPath: "redis_hll_counters." + ev + "_users_monthly", TimeFrame: metric.Monthly, DataSource: "internal_events",
				Status: metric.Active, DataCategory: ping.Operational, Events: []metric.EventRule{{Event: ev, Unique: event.UniqueUser}}})
	}
	if err := rs.Apply(ctx, &batch); err != nil {
		b.Fatal(err)
	}
	p := ping.New(ping.Options{
		Engine:   metric.NewEngine(metric.EngineOptions{Store: rs, Now: func() time.Time { return now }}),
		Metrics:  ds,
		Instance: ping.Instance{UUID: "bench", Hostname: "h", Version: "1"},
	})
	for b.Loop() {
		pl, err := p.Build(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, m := range pl.Metrics {
			if m.Error != "" {
				b.Fatal(m.Name, m.Error)
			}
		}
		if _, err := json.Marshal(pl); err != nil {
			b.Fatal(err)
		}
	}
}
