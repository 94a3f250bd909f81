package track

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/internal/netproxy"
	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
)

// faultClient connects to the test Redis (database 2) through a proxy the
// test can cut. Client retries are off so that a cut fails fast; the
// tracker does its own retrying.
func faultClient(t *testing.T) (*redis.Client, *netproxy.Proxy, *redis.Client) {
	t.Helper()
	direct := redistest.Client(t, 2)
	opt := redistest.Options(t, 2)
	proxy := netproxy.New(t, opt.Addr)
	opt.Addr = proxy.Addr()
	opt.MaxRetries = -1
	opt.DialTimeout = 200 * time.Millisecond
	opt.ReadTimeout = 500 * time.Millisecond
	opt.WriteTimeout = 500 * time.Millisecond
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c, proxy, direct
}

type errLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errLog) handle(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errLog) count(target error) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, err := range l.errs {
		if errors.Is(err, target) {
			n++
		}
	}
	return n
}

// The connection to Redis is cut while events keep coming: callers see
// nothing, work is kept up to the limit and the rest dropped and counted,
// and when the connection is back every kept event reaches Redis.
func TestFaultCutAndRestore(t *testing.T) {
	c, proxy, direct := faultClient(t)
	ctx := context.Background()
	log := &errLog{}
	const limit = 256 << 10
	tr := New(Options{
		Store:           redisstore.New(c, redisstore.Options{}),
		FlushInterval:   -1, // this test decides when to flush
		MaxPendingBytes: limit,
		ErrorHandler:    log.handle,
	})
	user := 0
	track := func(n int) {
		for range n {
			user++
			trackIssue(ctx, tr, event.UserID(user), event.ProjectID(user%100+1), "", nil)
		}
	}
	track(1000)
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}

	proxy.Cut()
	start := time.Now()
	track(1000)
	if err := tr.Flush(ctx); err == nil {
		t.Fatal("flush through a cut connection succeeded")
	}
	track(20000) // far past the limit
	if err := tr.Flush(ctx); err == nil {
		t.Fatal("second flush through a cut connection succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("tracking and two failed flushes took %v with Redis unreachable", d)
	}
	s := tr.Stats()
	if s.Dropped == 0 || s.FlushErrors != 2 || s.PendingBytes > limit {
		t.Fatalf("while cut: %+v", s)
	}

	proxy.Restore()
	if err := tr.Flush(ctx); err != nil {
		t.Fatalf("flush after restore: %v", err)
	}
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s = tr.Stats()
	got, _ := direct.Get(ctx, total).Int64()
	if s.Tracked != 22000 || uint64(got) != s.Tracked-s.Dropped || s.Flushed != uint64(got) || s.Pending != 0 {
		t.Errorf("redis total %d; stats %+v: want total = tracked - dropped", got, s)
	}
	if s.Retried == 0 {
		t.Errorf("nothing retried: %+v", s)
	}
	if log.count(ErrFlush) != 1 || log.count(ErrDropped) != 1 {
		t.Errorf("reports (rate limited to one per kind): %v", log.errs)
	}
}

// With background flushing, a cut and a restore need no help: counting
// resumes by itself, and Close loses nothing once Redis is back.
func TestFaultRecoversByItself(t *testing.T) {
	c, proxy, direct := faultClient(t)
	ctx := context.Background()
	tr := New(Options{
		Store:         redisstore.New(c, redisstore.Options{}),
		FlushInterval: 20 * time.Millisecond,
		WriteTimeout:  300 * time.Millisecond,
	})
	tracked := 0
	trackSome := func() {
		for range 500 {
			tracked++
			trackIssue(ctx, tr, event.UserID(tracked), 1, "", nil)
		}
	}
	waitFlushed := func(what string) {
		deadline := time.Now().Add(10 * time.Second)
		for tr.Stats().Pending != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("%s: still pending %+v", what, tr.Stats())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	trackSome()
	waitFlushed("before the cut")
	proxy.Cut()
	errsBefore := tr.Stats().FlushErrors
	trackSome()
	deadline := time.Now().Add(10 * time.Second)
	for tr.Stats().FlushErrors == errsBefore {
		if time.Now().After(deadline) {
			t.Fatal("no flush failed while the connection was cut")
		}
		time.Sleep(10 * time.Millisecond)
	}
	proxy.Restore()
	waitFlushed("after the restore")
	trackSome()
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := direct.Get(ctx, total).Int64()
	if s := tr.Stats(); got != int64(tracked) || s.Dropped != 0 || s.Flushed != uint64(tracked) {
		t.Errorf("redis total %d of %d tracked; stats %+v", got, tracked, s)
	}
	week := weekFromCode(tr.weekOf(time.Now())).Suffix()
	if n := direct.PFCount(ctx, "{hll_counters}_issue_created-user"+week).Val(); n < int64(tracked)*97/100 || n > int64(tracked)*103/100 {
		t.Errorf("PFCOUNT users %d, want about %d", n, tracked)
	}
}

// Redis accepts connections but never answers: Track still returns at
// once, and Flush gives up after WriteTimeout.
func TestFaultSlowRedis(t *testing.T) {
	ctx := context.Background()
	ln := netproxy.Blackhole(t)
	c := redis.NewClient(&redis.Options{Addr: ln, MaxRetries: -1, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	defer c.Close()
	tr := New(Options{Store: redisstore.New(c, redisstore.Options{}), FlushInterval: 10 * time.Millisecond, WriteTimeout: 100 * time.Millisecond})
	start := time.Now()
	for i := range 10000 {
		trackIssue(ctx, tr, event.UserID(i+1), 1, strconv.Itoa(i%3), nil)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("10000 Track calls took %v against an unresponsive Redis", d)
	}
	start = time.Now()
	if err := tr.Flush(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("flush against an unresponsive Redis: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("flush took %v with a 100ms write timeout", d)
	}
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := tr.Close(cctx); err == nil {
		t.Error("close against an unresponsive Redis reported no loss")
	}
	if s := tr.Stats(); s.Tracked != 10000 || s.Dropped != 10000 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
}

// Close with a context without deadline, as at the end of main, gives up
// after CloseTimeout when Redis is gone, and says how much it lost.
func TestCloseBoundedWithoutDeadline(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: netproxy.Blackhole(t), MaxRetries: -1})
	defer c.Close()
	tr := New(Options{Store: redisstore.New(c, redisstore.Options{}), FlushInterval: -1,
		WriteTimeout: 100 * time.Millisecond, CloseTimeout: 400 * time.Millisecond})
	for i := range 100 {
		trackIssue(context.Background(), tr, event.UserID(i+1), 1, "a", nil)
	}
	start := time.Now()
	err := tr.Close(context.Background())
	if d := time.Since(start); d < 400*time.Millisecond || d > 2*time.Second {
		t.Errorf("Close took %v, want about the 400ms CloseTimeout", d)
	}
	if err == nil || !strings.HasPrefix(err.Error(), "track: close: 100 events not written: ") {
		t.Errorf("Close: %v", err)
	}
}
