// Package track records events: generated Track functions hand each event to
// a Tracker, which aggregates updates in process and flushes them to a store.
package track

import (
	"context"
	"sync/atomic"

	"github.com/usagekit/usagekit/runtime/event"
)

// Tracker aggregates tracked events and writes them to a store.
type Tracker struct {
	// filled in by the tracking implementation
}

type ctxKey struct{}

var defaultTracker atomic.Pointer[Tracker]

// Default returns the process-wide tracker used when a context carries none.
func Default() *Tracker { return defaultTracker.Load() }

// SetDefault replaces the process-wide tracker.
func SetDefault(t *Tracker) { defaultTracker.Store(t) }

// NewContext returns ctx carrying t; generated Track functions called with it
// use t instead of the default tracker.
func NewContext(ctx context.Context, t *Tracker) context.Context {
	return context.WithValue(ctx, ctxKey{}, t)
}

// From returns the tracker carried by ctx, or the default tracker.
func From(ctx context.Context) *Tracker {
	if t, ok := ctx.Value(ctxKey{}).(*Tracker); ok && t != nil {
		return t
	}
	return Default()
}

// Track records one event. It never blocks on the store and never panics;
// a nil Tracker ignores the call.
func (t *Tracker) Track(ctx context.Context, d *event.Descriptor, r *event.Record) {}

// WantsCustom reports whether records should carry custom properties, which
// only an event sink consumes.
func (t *Tracker) WantsCustom() bool { return false }
