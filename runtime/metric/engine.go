package metric

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/store"
)

// Errors the engine reports in Result.Err, wrapped with the metric's key path.
var (
	// ErrNoSource is reported for a metric that says neither how to read
	// events, nor a database query, nor an application ValueFunc.
	ErrNoSource = errors.New("metric: no way to compute the metric")
	// ErrNoStore is reported for an internal_events metric when the engine
	// has no store.
	ErrNoStore = errors.New("metric: no store configured")
	// ErrNoDatabase is reported for a database metric when the engine has no
	// database.
	ErrNoDatabase = errors.New("metric: no database configured")
	// ErrTimeout is reported for a metric that did not finish within its
	// timeout.
	ErrTimeout = errors.New("metric: timed out")
	// ErrPanic is reported for a metric whose computation panicked.
	ErrPanic = errors.New("metric: panicked")
)

// EngineOptions configure an Engine. The zero value works: no store, no
// database, the system clock and DefaultTimeout.
type EngineOptions struct {
	// Store is where event counters live. Required for internal_events
	// metrics.
	Store store.Store
	// DB is the application database. Required for database metrics.
	DB *sql.DB
	// Dialect names the SQL dialect of DB: "postgres" or "sqlite". Default:
	// guessed from DB's driver.
	Dialect string
	// Now is the clock. Default: time.Now. Windows are computed in UTC.
	Now func() time.Time
	// Timeout bounds each metric's computation. Default: DefaultTimeout.
	// Batched store reads share one timeout for the whole batch.
	Timeout time.Duration
	// StatementTimeout bounds each statement of a database metric; the
	// database cancels a slower one and the batch is retried at half the
	// size. Default dbcount.DefaultStatementTimeout.
	StatementTimeout time.Duration
	// Workers is how many database and application metrics run at once.
	// Default 1: one at a time, so a ping never adds more than one query to
	// the database's load.
	Workers int
}

// DefaultTimeout is the per-metric timeout used when EngineOptions.Timeout is
// zero.
const DefaultTimeout = 30 * time.Second

// Engine computes metric values. It is safe for concurrent use.
type Engine struct {
	opt EngineOptions
	db  *dbcount.Counter
}

// NewEngine returns an engine with the given options.
func NewEngine(opt EngineOptions) *Engine {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	e := &Engine{opt: opt}
	if opt.DB != nil {
		e.db = dbcount.New(opt.DB, dbcount.Options{Dialect: opt.Dialect, StatementTimeout: opt.StatementTimeout})
	}
	return e
}

// Result is the outcome of computing one metric.
type Result struct {
	KeyPath string
	// Value is the metric's value: int64 or float64 for numbers, or
	// whatever the application's ValueFunc returned. It is nil when Err is
	// set.
	Value any
	// Err says why the metric could not be computed.
	Err error
	// Elapsed is the time the metric took. Metrics read from the store in
	// one batch share the batch's time.
	Elapsed time.Duration
}

// Now returns the engine's clock reading, in UTC.
func (e *Engine) Now() time.Time { return e.opt.Now().UTC() }

// Value computes one metric.
func (e *Engine) Value(ctx context.Context, d *Descriptor) (any, error) {
	r := e.Compute(ctx, []*Descriptor{d})
	return r[0].Value, r[0].Err
}

// Compute computes every metric of ds, in order, and never stops at a
// failure: each Result carries its own error. Event metrics are read from
// the store in a few batched round trips; database and application metrics
// run Workers at a time, each under the timeout, with panics recovered.
func (e *Engine) Compute(ctx context.Context, ds []*Descriptor) []Result {
	out := make([]Result, len(ds))
	for i, d := range ds {
		out[i].KeyPath = d.KeyPath
	}
	e.computeEvents(ctx, ds, out)
	var wg sync.WaitGroup
	sem := make(chan struct{}, e.opt.Workers)
	for i, d := range ds {
		if isEventMetric(d) {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			start := time.Now()
			v, err := e.guarded(ctx, d)
			out[i].Value, out[i].Err, out[i].Elapsed = v, err, time.Since(start)
		}()
	}
	wg.Wait()
	return out
}

// guarded runs a database or application metric under the timeout in its own
// goroutine, so that a metric ignoring its context cannot hold the ping.
func (e *Engine) guarded(ctx context.Context, d *Descriptor) (any, error) {
	ctx, cancel := context.WithTimeout(ctx, e.opt.Timeout)
	defer cancel()
	type reply struct {
		v   any
		err error
	}
	ch := make(chan reply, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				// The value only: a stack trace would carry file paths into
				// the payload's metadata.
				ch <- reply{err: fmt.Errorf("%s: %w: %v", d.KeyPath, ErrPanic, p)}
			}
		}()
		v, err := e.one(ctx, d)
		ch <- reply{v, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil && errors.Is(r.err, context.DeadlineExceeded) && !errors.Is(r.err, ErrTimeout) {
			r.err = fmt.Errorf("%s: %w after %s: %w", d.KeyPath, ErrTimeout, e.opt.Timeout, r.err)
		}
		return r.v, r.err
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s: %w after %s", d.KeyPath, ErrTimeout, e.opt.Timeout)
		}
		return nil, fmt.Errorf("%s: %w", d.KeyPath, ctx.Err())
	}
}

// one computes a metric that is not read from the event store.
func (e *Engine) one(ctx context.Context, d *Descriptor) (any, error) {
	switch {
	case d.Value != nil:
		v, err := d.Value(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.KeyPath, err)
		}
		return v, nil
	case d.Application:
		return nil, fmt.Errorf("%s: %w: the application computes it (%s)", d.KeyPath, ErrNoSource, applicationSource(d))
	case d.Database != nil:
		return e.database(ctx, d)
	}
	return nil, fmt.Errorf("%s: %w (data_source %s)", d.KeyPath, ErrNoSource, d.DataSource)
}

// applicationSource says why the application computes d, for errors.
func applicationSource(d *Descriptor) string {
	if d.InstrumentationClass != "" {
		return "instrumentation_class " + d.InstrumentationClass
	}
	return "data_source " + d.DataSource
}

// As converts what Engine.Value returns to a typed result, for generated
// calculators: counts come back as int64 and sums as float64, and either
// converts to the other.
func As[T int64 | float64 | string | bool | map[string]any](v any, err error) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	if x, ok := v.(T); ok {
		return x, nil
	}
	switch n := v.(type) {
	case int64:
		if x, ok := any(float64(n)).(T); ok {
			return x, nil
		}
	case float64:
		if x, ok := any(int64(math.Round(n))).(T); ok {
			return x, nil
		}
	}
	return zero, fmt.Errorf("metric value %v is a %T, not a %T", v, v, zero)
}

// ErrNoApplication fails the application metrics of descriptors made by
// WithValue for a nil application.
var ErrNoApplication = errors.New("metric: no application given to compute the metric")

// WithValue returns a copy of d that the engine computes by calling method
// on app: generated code passes the application's implementation of its
// Instrumentation interface and the interface's method. A nil app makes
// the metric fail with ErrNoApplication.
func WithValue[A any, T any](d *Descriptor, app A, method func(A, context.Context) (T, error)) *Descriptor {
	c := *d
	c.Value = func(ctx context.Context) (any, error) {
		if any(app) == nil {
			return nil, ErrNoApplication
		}
		return method(app, ctx)
	}
	return &c
}
