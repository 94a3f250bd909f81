package redistest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/internal/testproc"
)

// Cluster starts a three-node Redis Cluster (three redis-server processes
// with --cluster-enabled yes on loopback ports, slots split evenly, no
// replicas) and returns a client for it. The processes stop when the test
// ends. The test is skipped only when redis-server is not installed.
func Cluster(t testing.TB) *redis.ClusterClient {
	t.Helper()
	bin := serverBinary(t, "Redis Cluster")
	dir := t.TempDir()
	ports := testproc.FreePorts(t, 3, 10000) // and their cluster bus ports
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	nodes := make([]*redis.Client, len(ports))
	addrs := make([]string, len(ports))
	for i, port := range ports {
		p := strconv.Itoa(port)
		testproc.Start(t, bin,
			"--port", p, "--bind", "127.0.0.1", "--dir", dir,
			"--cluster-enabled", "yes", "--cluster-config-file", "nodes-"+p+".conf",
			"--cluster-node-timeout", "5000", "--save", "", "--appendonly", "no",
			"--logfile", "node-"+p+".log")
		addrs[i] = "127.0.0.1:" + p
		nodes[i] = redis.NewClient(&redis.Options{Addr: addrs[i]})
		t.Cleanup(func() { nodes[i].Close() })
	}
	for i, n := range nodes {
		testproc.WaitFor(t, ctx, "node "+addrs[i]+" to answer", func() bool { return n.Ping(ctx).Err() == nil })
	}
	// Slots split in three contiguous ranges, then the nodes meet.
	for i, n := range nodes {
		// CLUSTER ADDSLOTS (not ADDSLOTSRANGE) works on every version.
		lo, hi := i*16384/len(nodes), (i+1)*16384/len(nodes)-1
		slots := make([]int, 0, hi-lo+1)
		for s := lo; s <= hi; s++ {
			slots = append(slots, s)
		}
		if err := n.ClusterAddSlots(ctx, slots...).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTS %d..%d on %s: %v", lo, hi, addrs[i], err)
		}
	}
	for i := 1; i < len(nodes); i++ {
		if err := nodes[0].ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(ports[i])).Err(); err != nil {
			t.Fatalf("CLUSTER MEET %s: %v", addrs[i], err)
		}
	}
	for i, n := range nodes {
		testproc.WaitFor(t, ctx, "node "+addrs[i]+" to see the cluster ok", func() bool {
			info, err := n.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") &&
				strings.Contains(info, fmt.Sprintf("cluster_known_nodes:%d", len(nodes)))
		})
	}
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { c.Close() })
	testproc.WaitFor(t, ctx, "the cluster client to route", func() bool {
		return c.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() }) == nil &&
			c.Set(ctx, "{probe}", "1", time.Second).Err() == nil && c.Del(ctx, "{probe}").Err() == nil
	})
	return c
}

// serverBinary returns the path of redis-server, skipping the test (named
// by what) only when it is not installed.
func serverBinary(t testing.TB, what string) string {
	t.Helper()
	return testproc.Binary(t, "redis-server", "apt-get install redis-server", what)
}
