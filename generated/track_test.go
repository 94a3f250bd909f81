package generated_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/generated"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/store"
	"github.com/usagekit/usagekit/runtime/store/memstore"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
	"github.com/usagekit/usagekit/runtime/track"
)

// trackedAt pins the clock of the counting tests: ISO week 2026-48.
var trackedAt = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// trackThroughGenerated calls generated Track functions the way an
// application does, through a tracker in the context, then closes it.
func trackThroughGenerated(t *testing.T, st store.Store) {
	t.Helper()
	clock := func() time.Time { return trackedAt }
	tr := track.New(track.Options{Store: st, Now: clock, FlushInterval: -1})
	ctx := track.NewContext(context.Background(), tr)
	generated.TrackCreateIssue(ctx, 1, 10, 100, generated.CreateIssueProperties{Confidential: true, Label: "incident"})
	generated.TrackCreateIssue(ctx, 2, 10, 100, generated.CreateIssueProperties{Label: "issue"})
	generated.TrackCreateIssue(ctx, 1, 11, 100, generated.CreateIssueProperties{})
	generated.TrackCompletePipeline(ctx, 10, 100, generated.CompletePipelineProperties{Label: "failed", Value: 12.5})
	generated.TrackCompletePipeline(ctx, 10, 100, generated.CompletePipelineProperties{Label: "success", Value: 30})
	for i := range 50 {
		// 50 pushes by 25 users to 5 projects; every other push protected.
		generated.TrackPushToRepository(ctx, event.UserID(i%25+1), event.ProjectID(i%5+1), 100,
			generated.PushToRepositoryProperties{BranchProtected: i%2 == 0, Value: 1})
	}
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s := tr.Stats(); s.Tracked != 55 || s.Flushed != 55 || s.Dropped != 0 {
		t.Fatalf("tracker stats %+v", s)
	}
}

// counted is what trackThroughGenerated leaves in a store: "n" is a GET,
// "#n" a PFCOUNT.
var counted = map[string]string{
	"{event_counters}_create_issue":                                    "3",
	"{event_counters}_create_issue-2026-48":                            "3",
	"{event_counters}_create_issue-filter:[confidential:true]":         "1",
	"{hll_counters}_create_issue-user-2026-48":                         "#2",
	"{event_counters}_complete_pipeline":                               "2",
	"{event_counters}_complete_pipeline-2026-48":                       "2",
	"{event_counters}_complete_pipeline-filter:[label:failed]-2026-48": "1",
	"{event_sums}_complete_pipeline-operator:sum(value)-2026-48":       "42.5",
	"{event_counters}_push_to_repository":                              "50",
	"{hll_counters}_push_to_repository-project-2026-48":                "#5",
	// Protected pushes are the even i: users 1, 3, ..., 25 and 2, 4, ..., 24.
	"{hll_counters}_push_to_repository-filter:[branch_protected:true]-user-2026-48": "#25",
}

func checkCounted(t *testing.T, get func(string) string, pfcount func(string) int64) {
	t.Helper()
	for key, want := range counted {
		if want[0] == '#' {
			if got := pfcount(key); "#"+strconv.FormatInt(got, 10) != want {
				t.Errorf("PFCOUNT %s = %d, want %s", key, got, want[1:])
			}
			continue
		}
		if got := get(key); got != want {
			t.Errorf("GET %s = %q, want %s", key, got, want)
		}
	}
}

// TestTrackCountsIntoMemstore: with no Redis, the embedded store counts.
func TestTrackCountsIntoMemstore(t *testing.T) {
	ms := memstore.New(memstore.Options{Now: func() time.Time { return trackedAt }})
	trackThroughGenerated(t, ms)
	checkCounted(t, func(k string) string {
		v, ok := ms.Get(k)
		if !ok {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}, func(k string) int64 { return int64(ms.Count(k)) })
}

// TestTrackCountsIntoRedis: the same calls land in Redis, key for key, in
// GitLab's layout (database 5 of $REDIS_URL).
func TestTrackCountsIntoRedis(t *testing.T) {
	url := os.Getenv("REDIS_URL")
	if url == "" {
		url = "redis://127.0.0.1:6379"
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL %q: %v", url, err)
	}
	opt.DB = 5
	rdb := redis.NewClient(opt)
	ctx := context.Background()
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("redis at %s: %v", url, err)
	}
	t.Cleanup(func() {
		rdb.FlushDB(context.Background())
		rdb.Close()
	})
	trackThroughGenerated(t, redisstore.New(rdb, redisstore.Options{}))
	checkCounted(t,
		func(k string) string { return rdb.Get(ctx, k).Val() },
		func(k string) int64 { return rdb.PFCount(ctx, k).Val() })
	if ttl := rdb.TTL(ctx, "{event_counters}_create_issue-2026-48").Val(); ttl < 41*24*time.Hour {
		t.Errorf("weekly key TTL %v, want six weeks", ttl)
	}
	if ttl := rdb.TTL(ctx, "{event_counters}_create_issue").Val(); ttl != -1 {
		t.Errorf("all-time key TTL %v, want none", ttl)
	}
}
