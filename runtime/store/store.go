// Package store defines where event counts live. The tracker writes
// aggregated batches to a Store; the metric engine reads counters and unique
// counts back. Implementations: the Redis store (package redisstore) for
// production and the embedded store (package memstore), the default when no
// Redis is configured.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrClosed is returned by a store used after Close.
var ErrClosed = errors.New("store: closed")

// Incr adds By to the counter at Key (INCRBY, or INCRBYFLOAT when By is not
// whole or Float is set).
type Incr struct {
	Key string
	By  float64
	// Float asks for INCRBYFLOAT even when By is whole: a sum may already
	// hold a fraction, which INCRBY refuses.
	Float bool
	// Expire, when non-zero, sets the key's time to live once, when the key
	// has none (EXPIRE ... NX), so later writes do not extend it.
	Expire time.Duration
}

// Add adds Members to the HyperLogLog at Key (PFADD).
type Add struct {
	Key     string
	Members []string
	Expire  time.Duration
}

// Batch is one flush of aggregated updates.
type Batch struct {
	Incrs []Incr
	Adds  []Add
}

// Len is the number of updates in the batch.
func (b *Batch) Len() int { return len(b.Incrs) + len(b.Adds) }

// Lookup asks for one number: the sum of the counters at Keys (a missing key
// counts as zero), or, when Unique, the cardinality of the union of the
// HyperLogLogs at Keys.
type Lookup struct {
	Keys   []string
	Unique bool
}

// Store is a place to count events. Implementations are safe for concurrent
// use.
type Store interface {
	// Apply performs every update of b. On error some updates may have been
	// applied; the caller decides whether to retry.
	Apply(ctx context.Context, b *Batch) error
	// Read answers every lookup, in order, in as few round trips as the
	// store allows.
	Read(ctx context.Context, lookups []Lookup) ([]float64, error)
}
