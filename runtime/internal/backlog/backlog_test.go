package backlog

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestReporter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	var r Reporter
	r.Init(func(err error) { got = append(got, err.Error()) }, time.Minute, func() time.Time { return now })
	boom := errors.New("boom")
	if !r.Report(0, boom) || r.Report(0, boom) || r.Report(0, boom) {
		t.Error("a kind was not rate limited")
	}
	if !r.Report(1, errors.New("other kind")) {
		t.Error("kinds share a limit")
	}
	now = now.Add(time.Minute)
	r.Report(0, boom)
	want := []string{"boom", "other kind", "boom (2 similar reports suppressed)"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("reports %q, want %q", got, want)
	}
	var d Drops
	var told []uint64
	describe := func(n uint64) error { told = append(told, n); return boom }
	now = now.Add(time.Minute)
	d.Report(&r, 2, 5, describe) // reported
	d.Report(&r, 2, 8, describe) // suppressed: 3 not remembered as told
	d.Report(&r, 2, 8, describe) // still suppressed
	now = now.Add(time.Minute)
	d.Report(&r, 2, 10, describe) // tells the 5 since the last report
	if len(told) != 4 || told[0] != 5 || told[3] != 5 {
		t.Errorf("drop counts described %v, want 5 first and 5 last", told)
	}
}

func TestBudget(t *testing.T) {
	var b Budget
	b.Init(1000, 4)
	if b.Share() != 250 || b.Limit() != 1000 {
		t.Errorf("share %d", b.Share())
	}
	b.Hold(600)
	if b.Share() != 100 {
		t.Errorf("share after holding 600: %d", b.Share())
	}
	b.Hold(5000)
	if b.Share() != 0 {
		t.Errorf("share after holding more than the limit: %d", b.Share())
	}
}

func TestLoopDrain(t *testing.T) {
	var l Loop
	flushed := make(chan struct{}, 10)
	l.Start(time.Millisecond, func() { flushed <- struct{}{} }, func() bool { return false })
	<-flushed
	if !l.Stop() || l.Stop() || !l.Closed() {
		t.Error("Stop is not once")
	}
	tries := 0
	n, err := l.Drain(context.Background(), 50*time.Millisecond,
		func(context.Context) error { tries++; return errors.New("down") },
		func() int64 { return 7 })
	if n != 7 || err == nil || err.Error() != "down" || tries < 2 {
		t.Errorf("Drain = %d, %v after %d tries", n, err, tries)
	}
	n, err = l.Drain(context.Background(), time.Second, func(context.Context) error { return nil }, func() int64 { return 1 })
	if n != 0 || err != nil {
		t.Errorf("Drain of a healthy flush = %d, %v", n, err)
	}
}

// A processor that finds its lane's shard locked moves to the next lane,
// after waiting for the lock; one that finds it free stays.
func TestLanesLockMovesOnContention(t *testing.T) {
	var l Lanes
	l.Init(4)
	l.SetBits(2)
	lane := &l.ids[3]
	var mu sync.Mutex
	if got := l.Lock(lane, &mu); got != lane {
		t.Errorf("free lock: lane %d, want %d", *got, *lane)
	}
	locked := make(chan *int)
	go func() { locked <- l.Lock(lane, &mu) }()
	select {
	case <-locked:
		t.Fatal("Lock returned while the lock was held")
	case <-time.After(50 * time.Millisecond):
	}
	mu.Unlock()
	if got := <-locked; got != &l.ids[0] {
		t.Errorf("held lock: lane %d, want the next lane 0", *got)
	}
	if mu.TryLock() {
		t.Error("Lock returned without holding the lock")
	}
}
