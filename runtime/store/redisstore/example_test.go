package redisstore_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/keys"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
	"github.com/usagekit/usagekit/runtime/track"
)

func Example() {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		fmt.Println(err)
		return
	}
	opt.DB = 3 // the examples' own database
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	ctx := context.Background()
	rdb.FlushDB(ctx)
	defer rdb.FlushDB(ctx)

	// A tracker writing to Redis; any redis.UniversalClient works,
	// including a ClusterClient.
	st := redisstore.New(rdb, redisstore.Options{})
	now := func() time.Time { return time.Date(2024, 2, 14, 9, 0, 0, 0, time.UTC) }
	tr := track.New(track.Options{Store: st, Now: now})
	d := &event.Descriptor{
		Name: "issue_created",
		Updates: []event.Update{
			{Kind: event.Total, Key: keys.Counter("issue_created", nil), AllTime: true, Weekly: true},
			{Kind: event.UniqueCount, Unique: event.UniqueUser, Key: keys.Unique("issue_created", nil, event.UniqueUser), Weekly: true},
		},
		Always: 0b11,
	}
	for _, user := range []event.UserID{7, 8, 7} {
		tr.Track(ctx, d, &event.Record{User: user})
	}
	if err := tr.Close(ctx); err != nil {
		fmt.Println(err)
		return
	}

	fmt.Println(rdb.Get(ctx, "{event_counters}_issue_created-2024-07").Val())
	fmt.Println(rdb.PFCount(ctx, "{hll_counters}_issue_created-user-2024-07").Val())
	// The metric engine reads through the same store, in one round trip.
	v, err := st.Read(ctx, []store.Lookup{
		{Keys: []string{"{event_counters}_issue_created"}},
		{Keys: keys.Weekly("{hll_counters}_issue_created-user", keys.Last(4, now().AddDate(0, 0, 7))), Unique: true},
	})
	fmt.Println(v, err)
	// Output:
	// 3
	// 2
	// [3 2] <nil>
}
