package redistest

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/internal/testproc"
)

// SentinelMaster is the name under which the Sentinel started by Sentinel
// monitors its master.
const SentinelMaster = "usagekit"

// Sentinel starts a Redis master and a Sentinel monitoring it (two
// redis-server processes on loopback ports) and returns the client an
// application configures with the Sentinel's address and the master name:
// redis.NewUniversalClient with MasterName set, which finds the master
// through the Sentinel. The processes stop when the test ends. The test is
// skipped only when redis-server is not installed.
func Sentinel(t testing.TB) redis.UniversalClient {
	t.Helper()
	bin := serverBinary(t, "Redis Sentinel")
	dir := t.TempDir()
	ports := testproc.FreePorts(t, 2)
	master, sentinel := strconv.Itoa(ports[0]), strconv.Itoa(ports[1])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	testproc.Start(t, bin, "--port", master, "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no",
		"--logfile", "master.log")
	// A Sentinel rewrites its configuration file, so it gets one of its own.
	conf := filepath.Join(dir, "sentinel.conf")
	text := "port " + sentinel + "\nbind 127.0.0.1\ndir " + dir + "\nlogfile sentinel.log\n" +
		"sentinel monitor " + SentinelMaster + " 127.0.0.1 " + master + " 1\n" +
		"sentinel down-after-milliseconds " + SentinelMaster + " 5000\n"
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	testproc.Start(t, bin, conf, "--sentinel")

	s := redis.NewSentinelClient(&redis.Options{Addr: "127.0.0.1:" + sentinel})
	t.Cleanup(func() { s.Close() })
	testproc.WaitFor(t, ctx, "the Sentinel to know the master", func() bool {
		addr, err := s.GetMasterAddrByName(ctx, SentinelMaster).Result()
		return err == nil && len(addr) == 2 && addr[1] == master
	})
	c := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:      []string{"127.0.0.1:" + sentinel},
		MasterName: SentinelMaster,
	})
	t.Cleanup(func() { c.Close() })
	testproc.WaitFor(t, ctx, "the client to reach the master", func() bool { return c.Ping(ctx).Err() == nil })
	return c
}
