package ping

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/runtime/keys"
)

// Slot is an instance's weekly sending time, in UTC.
type Slot struct {
	Weekday time.Weekday
	Hour    int
	Minute  int
}

const minutesPerWeek = 7 * 24 * 60

// SlotOf derives the weekly slot from a SHA-256 of the instance UUID: stable
// for one instance, spread evenly over the week across instances so that a
// collector is not hit by every instance at once.
func SlotOf(uuid string) Slot {
	sum := sha256.Sum256([]byte(uuid))
	m := int(binary.BigEndian.Uint64(sum[:8]) % minutesPerWeek) // minutes after Monday 00:00
	return Slot{Weekday: time.Weekday((m/(24*60) + 1) % 7), Hour: m / 60 % 24, Minute: m % 60}
}

// offset is the slot's distance from Monday 00:00.
func (s Slot) offset() time.Duration {
	day := (int(s.Weekday) + 6) % 7
	return time.Duration(day*24*60+s.Hour*60+s.Minute) * time.Minute
}

// In returns the slot's time in the ISO week w.
func (s Slot) In(w keys.Week) time.Time { return w.Monday().Add(s.offset()) }

// Next returns the first slot time strictly after t.
func (s Slot) Next(t time.Time) time.Time {
	w := keys.WeekOf(t)
	if at := s.In(w); at.After(t) {
		return at
	}
	return s.In(w.Add(1))
}

// String is "Wednesday 14:07 UTC".
func (s Slot) String() string { return fmt.Sprintf("%s %02d:%02d UTC", s.Weekday, s.Hour, s.Minute) }

// ScheduleOptions configure a Scheduler. The zero value works for a single
// replica.
type ScheduleOptions struct {
	// Redis holds the weekly lock so that one replica of many sends. Nil
	// means this process is the only sender.
	Redis redis.UniversalClient
	// LockPrefix starts the lock key, which continues with the UUID and the
	// ISO week. Default "usagekit:ping:lock:".
	LockPrefix string
	// RetryInterval is the wait after a failed send before trying again in
	// the same week. Default 1h.
	RetryInterval time.Duration
	// OptOut, when it returns true, stops sending (checked at every slot).
	// Previews still work.
	OptOut func() bool
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// After waits. Default time.After; tests pass a fake.
	After func(time.Duration) <-chan time.Time
	// OnResult is told the outcome of every slot: whether this replica sent
	// and the error, if any.
	OnResult func(sent bool, err error)
}

// lockTTL keeps a week's lock past the end of the week, so a replica waking
// late in the week still sees that the ping went out.
const lockTTL = 8 * 24 * time.Hour

// Scheduler sends the ping weekly at the instance's slot.
type Scheduler struct {
	p    *Pinger
	opt  ScheduleOptions
	slot Slot

	mu   sync.Mutex
	sent keys.Week // without Redis: the last week this process sent
}

// NewScheduler returns a scheduler for p.
func NewScheduler(p *Pinger, opt ScheduleOptions) *Scheduler {
	if opt.LockPrefix == "" {
		opt.LockPrefix = "usagekit:ping:lock:"
	}
	if opt.RetryInterval <= 0 {
		opt.RetryInterval = time.Hour
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.After == nil {
		opt.After = time.After
	}
	return &Scheduler{p: p, opt: opt, slot: SlotOf(p.opt.Instance.UUID)}
}

// Slot returns the instance's weekly slot.
func (s *Scheduler) Slot() Slot { return s.slot }

// lockKey is the lock of one instance and week.
func (s *Scheduler) lockKey(w keys.Week) string {
	return s.opt.LockPrefix + s.p.opt.Instance.UUID + w.Suffix()
}

// Tick sends this week's ping unless the instance opted out or another
// replica (or this one) already sent it or is sending it. It returns whether
// this call sent. On failure the week's lock is released so a later tick
// can try again.
func (s *Scheduler) Tick(ctx context.Context) (sent bool, err error) {
	if s.opt.OptOut != nil && s.opt.OptOut() {
		return false, nil
	}
	if s.p.opt.Instance.UUID == "" {
		return false, ErrNoUUID
	}
	w := keys.WeekOf(s.opt.Now())
	release, ok, err := s.lock(ctx, w)
	if err != nil || !ok {
		return false, err
	}
	if _, err := s.p.Send(ctx); err != nil {
		release()
		return false, err
	}
	return true, nil
}

var unlock = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// lock takes the week's lock: SET NX EX in Redis, or the process's memory
// without Redis. release gives it back after a failed send.
func (s *Scheduler) lock(ctx context.Context, w keys.Week) (release func(), ok bool, err error) {
	if s.opt.Redis == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.sent == w {
			return nil, false, nil
		}
		prev := s.sent
		s.sent = w
		return func() {
			s.mu.Lock()
			s.sent = prev
			s.mu.Unlock()
		}, true, nil
	}
	var b [16]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand.Read does not fail
	token := hex.EncodeToString(b[:])
	key := s.lockKey(w)
	ok, err = s.opt.Redis.SetNX(ctx, key, token, lockTTL).Result()
	if err != nil {
		return nil, false, fmt.Errorf("ping: taking lock %s: %w", key, err)
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		unlock.Run(ctx, s.opt.Redis, []string{key}, token) //nolint:errcheck // the lock expires anyway
	}, ok, nil
}

// Run sends the ping at every weekly slot until ctx ends, and returns
// ctx's error. A replica that starts after this week's slot sends at once
// if nobody has. Until the week's ping is out, Run looks again every
// RetryInterval: after a failed send, while another replica holds the lock
// (it may fail and release it), and while the instance is opted out (it may
// opt in); each look is one SET NX when the lock is taken.
func (s *Scheduler) Run(ctx context.Context) error {
	for {
		now := s.opt.Now()
		w := keys.WeekOf(now)
		wait := s.slot.In(w).Sub(now)
		if wait <= 0 {
			sent, err := s.Tick(ctx)
			if s.opt.OnResult != nil {
				s.opt.OnResult(sent, err)
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			wait = s.slot.In(w.Add(1)).Sub(now)
			if !sent && !errors.Is(err, ErrNoUUID) {
				// Not sent: this send failed, another replica holds the
				// lock (and may fail), or the instance opted out (and may
				// opt in). Look again within the week.
				wait = min(wait, s.opt.RetryInterval)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.opt.After(wait):
		}
	}
}
