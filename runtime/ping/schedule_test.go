package ping_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usagekit/usagekit/internal/redistest"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/ping"
)

func TestSlotOf(t *testing.T) {
	s := ping.SlotOf("7b0e4a64-7d1c-4a1e-9a59-3d3c1f0a9b11")
	if s != ping.SlotOf("7b0e4a64-7d1c-4a1e-9a59-3d3c1f0a9b11") {
		t.Fatal("slot not stable")
	}
	if got := s.String(); got != "Monday 09:42 UTC" {
		t.Errorf("slot %s", got)
	}
	// Spread: 7,000 instances land on every weekday and hour about evenly.
	days := map[time.Weekday]int{}
	hours := map[int]int{}
	for i := range 7000 {
		s := ping.SlotOf(fmt.Sprintf("instance-%d", i))
		if s.Hour < 0 || s.Hour > 23 || s.Minute < 0 || s.Minute > 59 {
			t.Fatalf("slot %+v out of range", s)
		}
		days[s.Weekday]++
		hours[s.Hour]++
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		if days[d] < 850 || days[d] > 1150 {
			t.Errorf("%s: %d of 7000 instances, want about 1000", d, days[d])
		}
	}
	for h := range 24 {
		if hours[h] < 200 || hours[h] > 400 {
			t.Errorf("hour %d: %d of 7000 instances, want about 292", h, hours[h])
		}
	}
}

func TestSlotNext(t *testing.T) {
	s := ping.Slot{Weekday: time.Sunday, Hour: 23, Minute: 59}
	// Sunday ends the ISO week; from Wednesday 2026-11-25 the next slot is
	// Sunday 2026-11-29, and from just after it the Sunday a week later.
	tests := []struct{ from, want time.Time }{
		{now, time.Date(2026, 11, 29, 23, 59, 0, 0, time.UTC)},
		{time.Date(2026, 11, 29, 23, 59, 0, 0, time.UTC), time.Date(2026, 12, 6, 23, 59, 0, 0, time.UTC)},
		{time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 3, 23, 59, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		if got := s.Next(tt.from); !got.Equal(tt.want) {
			t.Errorf("Next(%v) = %v, want %v", tt.from, got, tt.want)
		}
	}
	m := ping.Slot{Weekday: time.Monday, Hour: 0, Minute: 0}
	if got := m.Next(now); !got.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("Monday slot: %v", got)
	}
}

// smallPinger is a pinger with one application metric, sending to url.
func smallPinger(url, uuid string) *ping.Pinger {
	return ping.New(ping.Options{
		Engine:   metric.NewEngine(metric.EngineOptions{Now: func() time.Time { return now }}),
		Instance: ping.Instance{UUID: uuid, Hostname: "h", Version: "1"},
		Metrics: []*metric.Descriptor{{KeyPath: "a", TimeFrame: "none", DataSource: "system", Status: "active",
			Value: func(context.Context) (any, error) { return 1, nil }}},
		Client: ping.NewClient(url, fast(ping.ClientOptions{MaxAttempts: 1})),
	})
}

func TestOneReplicaSends(t *testing.T) {
	rdb := redistest.Client(t, redisLockDB)
	c := newCollector(t, map[string][]step{"/": {{status: 500}}})
	sched := func(at time.Time) *ping.Scheduler {
		return ping.NewScheduler(smallPinger(c.URL, "inst-1"), ping.ScheduleOptions{Redis: rdb, Now: func() time.Time { return at }})
	}
	key := "usagekit:ping:lock:inst-1-2026-48"
	// A failed send releases the week's lock, so a later tick can send.
	if ok, err := sched(now).Tick(context.Background()); ok || err == nil {
		t.Fatalf("failing collector: sent %v, err %v", ok, err)
	}
	if n := rdb.Exists(context.Background(), key).Val(); n != 0 {
		t.Fatalf("lock %s kept after a failed send", key)
	}
	// Five replicas of one instance tick at once: one sends.
	var sent atomic.Int32
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := sched(now).Tick(context.Background())
			if err != nil {
				t.Error(err)
			}
			if ok {
				sent.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := sent.Load(); n != 1 || c.count("/") != 2 || len(c.stored("/")) != 1 {
		t.Fatalf("%d replicas sent, %d requests; want 1 and 2", n, c.count("/"))
	}
	// Later in the same week nobody sends again.
	if ok, err := sched(now.Add(48 * time.Hour)).Tick(context.Background()); ok || err != nil {
		t.Errorf("same week: sent %v, err %v", ok, err)
	}
	if ttl := rdb.TTL(context.Background(), key).Val(); ttl < 7*24*time.Hour {
		t.Errorf("lock %s TTL %v", key, ttl)
	}
	// The next week takes another lock.
	if ok, err := sched(now.Add(7 * 24 * time.Hour)).Tick(context.Background()); !ok || err != nil {
		t.Errorf("next week: %v, %v", ok, err)
	}
}

func TestOptOut(t *testing.T) {
	c := newCollector(t, nil)
	var out atomic.Bool
	out.Store(true)
	s := ping.NewScheduler(smallPinger(c.URL, "inst-2"), ping.ScheduleOptions{OptOut: out.Load, Now: func() time.Time { return now }})
	if ok, err := s.Tick(context.Background()); ok || err != nil || c.count("/") != 0 {
		t.Errorf("opted out: sent %v, err %v, %d requests", ok, err, c.count("/"))
	}
	out.Store(false)
	if ok, err := s.Tick(context.Background()); !ok || err != nil || c.count("/") != 1 {
		t.Errorf("opted in: sent %v, err %v, %d requests", ok, err, c.count("/"))
	}
	// Without Redis the process remembers the week itself.
	if ok, _ := s.Tick(context.Background()); ok {
		t.Error("sent twice in one week")
	}
}

// fakeClock drives Run: After advances the clock by the wait at once.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t
}

func (f *fakeClock) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t = f.t.Add(d)
	f.waits = append(f.waits, d)
	ch := make(chan time.Time, 1)
	ch <- f.t
	return ch
}

func TestRun(t *testing.T) {
	c := newCollector(t, map[string][]step{"/": {{status: 503}}})
	clock := &fakeClock{t: now}
	p := smallPinger(c.URL, "inst-3")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var results []string
	s := ping.NewScheduler(p, ping.ScheduleOptions{Now: clock.Now, After: clock.After, RetryInterval: time.Hour,
		OnResult: func(sent bool, err error) {
			results = append(results, fmt.Sprintf("%s sent=%v err=%v", clock.Now().Format("Mon 15:04"), sent, err != nil))
			if len(results) == 3 {
				cancel()
			}
		}})
	if err := s.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	// inst-3's slot, Monday 23:15, has passed this week when Run starts
	// on Wednesday: it sends at once, fails, retries an hour later, then
	// sends again at the next Monday's slot.
	if got := s.Slot().String(); got != "Monday 23:15 UTC" {
		t.Fatalf("slot %s", got)
	}
	want := []string{"Wed 12:30 sent=false err=true", "Wed 13:30 sent=true err=false", "Mon 23:15 sent=true err=false"}
	if w := clock.waits; len(w) != 2 || w[0] != time.Hour || !now.Add(time.Hour+w[1]).Equal(time.Date(2026, 11, 30, 23, 15, 0, 0, time.UTC)) {
		t.Errorf("waits %v", w)
	}
	if fmt.Sprint(results) != fmt.Sprint(want) {
		t.Errorf("results\n got %q\nwant %q", results, want)
	}
}

func TestRunLooksAgainWhileNotSent(t *testing.T) {
	c := newCollector(t, nil)
	clock := &fakeClock{t: now}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	looks := 0
	var sentAt time.Time
	s := ping.NewScheduler(smallPinger(c.URL, "inst-3"), ping.ScheduleOptions{Now: clock.Now, After: clock.After, RetryInterval: time.Hour,
		// Opted out for the first two looks, then in.
		OptOut: func() bool { looks++; return looks <= 2 },
		OnResult: func(sent bool, err error) {
			if sent {
				sentAt = clock.Now()
				cancel()
			}
		}})
	s.Run(ctx)
	if want := now.Add(2 * time.Hour); !sentAt.Equal(want) || c.count("/") != 1 {
		t.Errorf("sent at %v (%d requests), want %v: an hour after each opted-out look", sentAt, c.count("/"), want)
	}
}
