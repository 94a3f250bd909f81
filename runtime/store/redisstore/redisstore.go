// Package redisstore keeps event counts in Redis, in GitLab's layout, through
// any redis.UniversalClient: a single server, Sentinel or Cluster.
//
// Writes are pipelined and split into chunks of bounded size; reads take one
// round trip for any number of lookups (MGET per hash tag for counters, one
// PFCOUNT per unique lookup). In a Cluster every key of a kind carries the
// same hash tag ({event_counters}, {event_sums}, {hll_counters}), so an MGET
// or a PFCOUNT over many weeks and events stays in one slot.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/usagekit/usagekit/runtime/store"
)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// ChunkArgs bounds the arguments (keys plus members) sent in one
	// pipeline round trip, so a large flush neither holds Redis busy for
	// long nor builds a huge buffer. Default 100,000.
	ChunkArgs int
	// MaxMembers bounds the members of one PFADD; larger sets are split
	// over several commands. Default 10,000.
	MaxMembers int
	// MaxKeys bounds the keys of one MGET. Default 1,000.
	MaxKeys int
}

// Store is a store.Store over Redis. It is safe for concurrent use; it does
// not own the client and never closes it.
type Store struct {
	c    redis.UniversalClient
	opts Options
}

var _ store.Store = (*Store)(nil)

// New returns a store writing through c.
func New(c redis.UniversalClient, opts Options) *Store {
	if opts.ChunkArgs <= 0 {
		opts.ChunkArgs = 100_000
	}
	if opts.MaxMembers <= 0 {
		opts.MaxMembers = 10_000
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 1_000
	}
	return &Store{c: c, opts: opts}
}

// Client returns the client the store writes through.
func (s *Store) Client() redis.UniversalClient { return s.c }

// Apply sends every update of b: INCRBY (INCRBYFLOAT for fractions), PFADD,
// and EXPIRE ... NX for updates that carry an expiry, so the first write of a
// weekly key sets its lifetime and later ones leave it alone. Chunks go out
// one after another and Apply stops at the first that fails; earlier chunks
// stay applied.
//
// Apply returns when ctx is done even if the client does not watch contexts
// (redis.Options.ContextTimeoutEnabled); the write it abandons may still
// land, so a caller that retries may count it twice, as with any timeout.
func (s *Store) Apply(ctx context.Context, b *store.Batch) error {
	var chunks []redis.Pipeliner
	pipe := s.c.Pipeline()
	args := 0
	cut := func(force bool) {
		if pipe.Len() > 0 && (force || args >= s.opts.ChunkArgs) {
			chunks = append(chunks, pipe)
			pipe = s.c.Pipeline()
			args = 0
		}
	}
	for _, in := range b.Incrs {
		if in.Float || in.By != math.Trunc(in.By) || math.Abs(in.By) >= 1<<53 {
			pipe.IncrByFloat(ctx, in.Key, in.By)
		} else {
			pipe.IncrBy(ctx, in.Key, int64(in.By))
		}
		args += 2
		if in.Expire > 0 {
			pipe.ExpireNX(ctx, in.Key, in.Expire)
			args += 2
		}
		cut(false)
	}
	for _, a := range b.Adds {
		for i := 0; i < len(a.Members) || i == 0; i += s.opts.MaxMembers {
			part := a.Members[i:min(len(a.Members), i+s.opts.MaxMembers)]
			els := make([]any, len(part))
			for j, m := range part {
				els[j] = m
			}
			// PFADD with no members still creates the key, as an empty
			// set of uniques should exist once written.
			pipe.PFAdd(ctx, a.Key, els...)
			args += 1 + len(part)
			cut(false)
		}
		if a.Expire > 0 {
			pipe.ExpireNX(ctx, a.Key, a.Expire)
			args += 2
		}
	}
	cut(true)
	return wait(ctx, "apply", func() error {
		for _, p := range chunks {
			if cmds, err := p.Exec(ctx); err != nil {
				return fmt.Errorf("redisstore: apply %d commands: %w", len(cmds), firstErr(cmds, err))
			}
		}
		return nil
	})
}

// wait runs f, returning early with ctx's error when ctx is done first.
func wait(ctx context.Context, op string, f func() error) error {
	if ctx.Done() == nil {
		return f()
	}
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("redisstore: %s: %w", op, ctx.Err())
	}
}

// firstErr picks the error of the first failed command, which names it.
func firstErr(cmds []redis.Cmder, err error) error {
	for _, c := range cmds {
		if c.Err() != nil && !errors.Is(c.Err(), redis.Nil) {
			return fmt.Errorf("%s: %w", c.Name(), c.Err())
		}
	}
	return err
}

// Read answers the lookups in one pipeline: the counters of all lookups go
// into MGETs grouped by hash tag, and each unique lookup is one PFCOUNT over
// all its keys, which Redis answers with the size of the union.
func (s *Store) Read(ctx context.Context, lookups []store.Lookup) ([]float64, error) {
	out := make([]float64, len(lookups))
	type group struct {
		keys []string
		refs []int // lookup index per key
	}
	groups := map[string]*group{}
	var tags []string // in first-seen order, for a stable command order
	pfcounts := map[int]*redis.IntCmd{}
	pipe := s.c.Pipeline()
	for i, l := range lookups {
		if len(l.Keys) == 0 {
			continue
		}
		if l.Unique {
			pfcounts[i] = pipe.PFCount(ctx, l.Keys...)
			continue
		}
		for _, k := range l.Keys {
			tag := hashTag(k)
			g := groups[tag]
			if g == nil {
				g = &group{}
				groups[tag] = g
				tags = append(tags, tag)
			}
			g.keys = append(g.keys, k)
			g.refs = append(g.refs, i)
		}
	}
	type mget struct {
		cmd  *redis.SliceCmd
		keys []string
		refs []int
	}
	var mgets []mget
	for _, tag := range tags {
		g := groups[tag]
		for i := 0; i < len(g.keys); i += s.opts.MaxKeys {
			j := min(len(g.keys), i+s.opts.MaxKeys)
			mgets = append(mgets, mget{pipe.MGet(ctx, g.keys[i:j]...), g.keys[i:j], g.refs[i:j]})
		}
	}
	if pipe.Len() == 0 {
		return out, nil
	}
	err := wait(ctx, "read", func() error {
		if cmds, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("redisstore: read %d lookups: %w", len(lookups), firstErr(cmds, err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i, c := range pfcounts {
		out[i] = float64(c.Val())
	}
	for _, m := range mgets {
		for j, v := range m.cmd.Val() {
			if v == nil {
				continue
			}
			str, _ := v.(string)
			f, err := strconv.ParseFloat(str, 64)
			if err != nil {
				return nil, fmt.Errorf("redisstore: read: key %q holds %q, not a number", m.keys[j], str)
			}
			out[m.refs[j]] += f
		}
	}
	return out, nil
}

// hashTag returns the part of key Redis Cluster hashes: the text between the
// first "{" and the next "}", when not empty, else the whole key.
func hashTag(key string) string {
	for i := 0; i < len(key); i++ {
		if key[i] == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j > i+1 {
						return key[i+1 : j]
					}
					return key
				}
			}
			return key
		}
	}
	return key
}
