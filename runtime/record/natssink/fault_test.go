package natssink_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/internal/natstest"
	"github.com/usagekit/usagekit/internal/netproxy"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/natssink"
	"github.com/usagekit/usagekit/runtime/track"
)

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

func waitUntil(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The connection to NATS is cut while events keep coming: Track calls
// neither fail nor wait, records are kept up to the limit and the rest
// dropped and counted, and once the connection is back the pipeline
// delivers what it kept by itself. The stream then holds exactly the
// records not counted as dropped, each once.
func TestCutAndRestore(t *testing.T) {
	direct := natstest.Connect(t, "")
	stream, subject := natstest.Names(t, direct)
	proxy := netproxy.New(t, direct.ConnectedAddr())
	// No reconnect buffer: a publish while disconnected fails at once
	// instead of waiting in the client.
	nc := natstest.Connect(t, "nats://"+proxy.Addr(), nats.ReconnectBufSize(-1))
	log := &errLog{}
	const limit = 128 << 10
	_, p := newPipeline(t, nc, natssink.Options{Stream: stream, Subject: subject},
		record.Options{FlushInterval: 20 * time.Millisecond, WriteTimeout: 300 * time.Millisecond,
			MaxPendingBytes: limit, ErrorHandler: log.handle})
	tr := track.New(track.Options{Records: p})

	trackN(tr, 0, 500) // within the limit
	waitUntil(t, "the first records to be delivered", 10*time.Second, func() bool { return p.Stats().Sent == 500 })

	proxy.Cut()
	start := time.Now()
	trackN(tr, 500, 21_500) // far more than the limit holds
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("20,000 Track calls took %v with NATS unreachable", d)
	}
	waitUntil(t, "a send to fail", 10*time.Second, func() bool { return p.Stats().SendErrors > 0 })
	time.Sleep(500 * time.Millisecond) // the outage goes on; the pipeline keeps retrying
	if s := p.Stats(); s.Dropped == 0 || s.PendingBytes > limit {
		t.Errorf("while cut: %+v", s)
	}

	proxy.Restore()
	waitUntil(t, "the kept records to be delivered by themselves", 20*time.Second, func() bool { return p.Stats().Pending == 0 })
	trackN(tr, 22_000, 1000)
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	t.Logf("stats %+v", s)
	if s.Added != 23_000 || s.Sent+s.Dropped != s.Added || s.Pending != 0 || s.Dropped > 21_500 {
		t.Errorf("stats %+v", s)
	}
	checkOnce(t, readStream(t, direct, stream), int(s.Added-s.Dropped), subject)
	if log.count(record.ErrDropped) != 1 || log.count(record.ErrSend) != 1 {
		t.Errorf("reports (one of each kind, rate limited): %v", log.errs)
	}
}

// A three-node JetStream cluster holds the stream with three replicas;
// its leader is killed while records stream in. Every record tracked
// before Close is stored exactly once.
func TestClusterLeaderKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a three-node cluster")
	}
	nodes := natstest.Cluster(t, 3)
	nc := natstest.Connect(t, natstest.ClusterURL(nodes))
	stream, subject := natstest.Names(t, nc)
	log := &errLog{}
	_, p := newPipeline(t, nc, natssink.Options{Stream: stream, Subject: subject, Replicas: 3},
		record.Options{FlushInterval: 50 * time.Millisecond, WriteTimeout: 2 * time.Second,
			MaxPendingBytes: 256 << 20, ErrorHandler: log.handle})
	tr := track.New(track.Options{Records: p})
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	leader := func() string {
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		s, err := js.Stream(actx, stream)
		if err != nil || s.CachedInfo().Cluster == nil {
			return ""
		}
		return s.CachedInfo().Cluster.Leader
	}
	first := leader()
	if first == "" {
		t.Fatal("the stream has no leader")
	}

	done := make(chan int)
	go func() {
		n := 0
		for start := time.Now(); time.Since(start) < 5*time.Second; n += 200 {
			trackN(tr, n, 200)
			time.Sleep(10 * time.Millisecond)
		}
		done <- n
	}()
	time.Sleep(1500 * time.Millisecond)
	for _, node := range nodes {
		if node.Name == first {
			node.Kill()
		}
	}
	tracked := <-done
	cctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	if err := tr.Close(cctx); err != nil {
		t.Fatal(err)
	}
	next := leader()
	s := p.Stats()
	t.Logf("leader %s killed, then %s; %d records, %d failed sends, %d retried", first, next, tracked, s.SendErrors, s.Retried)
	if next == "" || next == first {
		t.Errorf("leader after the kill: %q", next)
	}
	if s.Added != uint64(tracked) || s.Sent != s.Added || s.Dropped != 0 {
		t.Errorf("stats %+v for %d tracked", s, tracked)
	}
	checkOnce(t, readStream(t, nc, stream), tracked, subject)
}
