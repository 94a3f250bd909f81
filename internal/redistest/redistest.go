// Package redistest gives tests their own Redis database and a throwaway
// Redis Cluster and Sentinel. The proxy that cuts connections is
// internal/netproxy.
package redistest

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/internal/testservers"
)

// URL is the Redis the tests use: $REDIS_URL, default redis://127.0.0.1:6379.
func URL() string { return testservers.Redis.URL() }

// Options returns client options for database db of the test Redis.
func Options(t testing.TB, db int) *redis.Options {
	t.Helper()
	opt, err := redis.ParseURL(URL())
	if err != nil {
		t.Fatalf("REDIS_URL %q: %v", URL(), err)
	}
	opt.DB = db
	return opt
}

// Client connects to database db of the test Redis and empties it before
// and after the test. Each package of tests keeps to its own database
// numbers, so FLUSHDB never touches another test's keys.
func Client(t testing.TB, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(Options(t, db))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.FlushDB(ctx).Err(); err != nil {
		c.Close()
		t.Fatalf("redis at %s (set REDIS_URL to use another): %v", URL(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.FlushDB(ctx)
		c.Close()
	})
	return c
}
