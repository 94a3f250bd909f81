package dbcount

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// plan is a validated query turned into SQL fragments.
type plan struct {
	op       Operation
	from     string // quoted table
	rangeCol string // quoted column batches range over
	agg      string // the select list of one batch
	cond     string // " AND ..." after the range condition, with placeholders from 3
	args     []any  // the arguments of cond
	batch    int64
	timeout  time.Duration
}

func (c *Counter) plan(q Query, w Window) (*plan, error) {
	if c.opt.Dialect != Postgres && c.opt.Dialect != SQLite {
		return nil, fmt.Errorf("%w %q: set Options.Dialect to %q or %q", ErrDialect, c.opt.Dialect, Postgres, SQLite)
	}
	p := &plan{op: q.Operation, timeout: c.opt.StatementTimeout}
	var err error
	if p.from, err = quote("table", q.Table, true); err != nil {
		return nil, err
	}
	pk, err := quote("primary key", c.opt.PrimaryKey, false)
	if err != nil {
		return nil, err
	}
	col := ""
	if q.Column != "" {
		if col, err = quote("column", q.Column, false); err != nil {
			return nil, err
		}
	}
	p.rangeCol = pk
	switch q.Operation {
	case Count:
		p.agg, p.batch = "count(*)", CountBatch
		if col != "" {
			p.agg = "count(" + col + ")"
		}
	case DistinctCount:
		// Ranges over the counted column itself, so that a value is seen in
		// one batch only and the per-batch counts add up.
		p.agg, p.batch, p.rangeCol = "count(DISTINCT "+col+")", DistinctBatch, col
	case Sum:
		p.agg, p.batch = "sum("+col+")", SumBatch
	case Average:
		p.agg, p.batch = "sum("+col+"), count("+col+")", AverageBatch
	default:
		return nil, fmt.Errorf("%w %q: want count, distinct_count, sum or average", ErrOperation, q.Operation)
	}
	if col == "" && q.Operation != Count {
		return nil, fmt.Errorf("%w: %s needs a column", ErrIdentifier, q.Operation)
	}
	if c.opt.BatchSize > 0 {
		p.batch = c.opt.BatchSize
	}
	var cond strings.Builder
	if strings.TrimSpace(q.Where) != "" {
		if err := checkWhere(q.Where); err != nil {
			return nil, err
		}
		cond.WriteString(" AND (" + q.Where + ")")
	}
	if !w.To.IsZero() {
		tc := q.TimestampColumn
		if tc == "" {
			tc = "created_at"
		}
		ts, err := quote("timestamp column", tc, false)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&cond, " AND %s >= %s AND %s < %s", ts, c.ph(3), ts, c.ph(4))
		p.args = []any{w.From.UTC(), w.To.UTC()}
	}
	p.cond = cond.String()
	return p, nil
}

// ph is the n-th placeholder of the dialect.
func (c *Counter) ph(n int) string {
	if c.opt.Dialect == Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// Run computes q over the rows whose TimestampColumn lies in w: count and
// distinct_count as int64, sum and average as float64 (0 when no row
// matches).
func (c *Counter) Run(ctx context.Context, q Query, w Window) (any, error) {
	v, _, err := c.RunStats(ctx, q, w)
	return v, err
}

// Stats says how a query ran.
type Stats struct {
	// Batches is the number of batch statements that completed.
	Batches int
	// Cancelled is the number of batch statements the database cancelled.
	Cancelled int
	// BatchSize is the batch size at the end, after any halving.
	BatchSize int64
}

// RunStats is Run, also reporting how the query was split.
func (c *Counter) RunStats(ctx context.Context, q Query, w Window) (v any, st Stats, err error) {
	p, err := c.plan(q, w)
	if err != nil {
		return nil, st, err
	}
	defer func() { st.BatchSize = p.batch }()
	v, err = c.run(ctx, p, &st)
	return v, st, err
}

func (c *Counter) run(ctx context.Context, p *plan, st *Stats) (any, error) {
	conn, release, err := c.conn(ctx, ctx, p)
	if err != nil {
		return nil, err
	}
	defer release()
	lo, hi, ranged, err := c.bounds(ctx, conn, p)
	if err != nil {
		return nil, err
	}
	if !ranged {
		// distinct_count over a non-integer column: one statement.
		return c.single(ctx, conn, p)
	}
	if lo > hi {
		return result(p.op, 0, 0), nil
	}
	// Ceiling of span/MaxBatches, without overflowing on huge spans.
	span := uint64(hi - lo)
	if need := int64(span/uint64(c.opt.MaxBatches)) + 1; need > p.batch {
		p.batch = need
	}
	w := &work{next: lo, hi: hi, batch: p.batch, min: c.opt.MinBatchSize, st: st}
	workers := c.opt.Workers
	if c.opt.Dialect == SQLite {
		workers = 1
	}
	if batches := span/uint64(p.batch) + 1; uint64(workers) > batches {
		workers = int(batches)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range workers - 1 {
		// Each further worker has a connection of its own. One that the
		// pool cannot give at once leaves the work to the others: with
		// MaxOpenConns reached, queries each holding one connection and
		// waiting for a second would wait for each other.
		actx, stop := context.WithTimeout(ctx, extraConnWait)
		more, done, err := c.conn(ctx, actx, p)
		stop()
		if err != nil {
			break
		}
		wg.Go(func() {
			defer done()
			c.work(ctx, more, p, w, cancel)
		})
	}
	c.work(ctx, conn, p, w, cancel)
	wg.Wait()
	p.batch = w.batch
	if w.err != nil {
		return nil, w.err
	}
	return result(p.op, w.total, w.count), nil
}

// extraConnWait is how long a query waits for the connection of a further
// worker.
const extraConnWait = 50 * time.Millisecond

// conn takes a connection from the pool for one query, waiting as long as
// acquire allows, with the query's statement timeout set on PostgreSQL;
// release resets it and gives it back.
func (c *Counter) conn(ctx, acquire context.Context, p *plan) (conn *sql.Conn, release func(), err error) {
	conn, err = c.db.Conn(acquire)
	if err != nil {
		return nil, nil, fmt.Errorf("dbcount: connecting: %w", err)
	}
	if c.opt.Dialect != Postgres || p.timeout <= 0 {
		return conn, func() { conn.Close() }, nil
	}
	ms := strconv.FormatInt(max(p.timeout.Milliseconds(), 1), 10)
	if _, err := conn.ExecContext(ctx, "SET statement_timeout = "+ms); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("dbcount: setting statement_timeout: %w", err)
	}
	return conn, func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.ExecContext(rctx, "RESET statement_timeout") //nolint:errcheck // a broken connection is discarded by the pool anyway
		conn.Close()
	}, nil
}

// work is the range of one query still to count, shared by its workers:
// ranges given back after a cancellation first, then the rest from next.
type work struct {
	mu    sync.Mutex
	redo  [][2]int64
	next  int64
	hi    int64
	done  bool // next has passed hi
	batch int64
	min   int64
	total float64
	count float64
	err   error
	st    *Stats
}

// take returns the next range to count, at most batch rows long.
func (w *work) take() (lo, hi int64, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, 0, false
	}
	if n := len(w.redo); n > 0 {
		r := w.redo[n-1]
		lo, hi = r[0], r[1]
		if w.batch-1 < hi-lo {
			hi = lo + w.batch - 1
			w.redo[n-1][0] = hi + 1
		} else {
			w.redo = w.redo[:n-1]
		}
		return lo, hi, true
	}
	if w.done {
		return 0, 0, false
	}
	lo, hi = w.next, w.hi
	if w.batch-1 < hi-lo {
		hi = lo + w.batch - 1
	}
	if hi == w.hi {
		w.done = true
	} else {
		w.next = hi + 1
	}
	return lo, hi, true
}

// cancelled gives [lo, hi] back at half its size, or fails the query when
// that would go below the smallest batch.
func (w *work) cancelled(p *plan, lo, hi int64, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.st.Cancelled++
	half := (hi - lo + 1) / 2
	if half < w.min {
		w.fail(fmt.Errorf("%w (%s on %s, rows %d..%d): %w", ErrCanceled, p.op, p.from, lo, hi, err))
		return
	}
	w.batch = min(w.batch, half)
	w.redo = append(w.redo, [2]int64{lo, hi})
}

func (w *work) fail(err error) {
	if w.err == nil {
		w.err = err
	}
}

// work counts ranges on conn until none is left or the query failed; a
// failure cancels the other workers.
func (c *Counter) work(ctx context.Context, conn *sql.Conn, p *plan, w *work, cancel context.CancelFunc) {
	for {
		lo, hi, ok := w.take()
		if !ok {
			return
		}
		s, k, err := c.batch(ctx, conn, p, lo, hi)
		if err != nil {
			if c.cancelled(ctx, err) {
				w.cancelled(p, lo, hi, err)
				continue
			}
			// The first failure is the one reported: the others' follow
			// from the cancellation it causes.
			w.mu.Lock()
			w.fail(fmt.Errorf("dbcount: %s on %s, rows %d..%d: %w", p.op, p.from, lo, hi, err))
			w.mu.Unlock()
			cancel()
			return
		}
		w.mu.Lock()
		w.st.Batches++
		w.total += s
		w.count += k
		w.mu.Unlock()
	}
}

func result(op Operation, total, count float64) any {
	switch op {
	case Count, DistinctCount:
		return int64(total)
	case Average:
		if count == 0 {
			return float64(0)
		}
		return total / count
	}
	return total
}

// bounds returns the smallest and largest value of the range column over the
// whole table (cheap with an index), and whether it is an integer column
// that can be ranged over.
func (c *Counter) bounds(ctx context.Context, conn *sql.Conn, p *plan) (lo, hi int64, ranged bool, err error) {
	sctx, cancel := c.stmtContext(ctx, p)
	defer cancel()
	var a, b any
	q := "SELECT min(" + p.rangeCol + "), max(" + p.rangeCol + ") FROM " + p.from
	if err := conn.QueryRowContext(sctx, q).Scan(&a, &b); err != nil {
		return 0, 0, false, fmt.Errorf("dbcount: bounds of %s on %s: %w", p.rangeCol, p.from, err)
	}
	if a == nil || b == nil {
		return 1, 0, true, nil // empty table: no batch runs
	}
	x, ok1 := a.(int64)
	y, ok2 := b.(int64)
	if !ok1 || !ok2 {
		if p.op != DistinctCount {
			return 0, 0, false, fmt.Errorf("dbcount: %s on %s: primary key %s is not an integer column", p.op, p.from, p.rangeCol)
		}
		return 0, 0, false, nil
	}
	return x, y, true, nil
}

// stmtContext bounds one statement. PostgreSQL cancels on the server at
// the statement timeout, which keeps the connection usable; the context
// deadline, a second later, is only a backstop there. SQLite is interrupted
// through the context.
func (c *Counter) stmtContext(ctx context.Context, p *plan) (context.Context, context.CancelFunc) {
	if p.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	d := p.timeout
	if c.opt.Dialect == Postgres {
		d += time.Second
	}
	return context.WithTimeout(ctx, d)
}

// batch runs the aggregate over rangeCol in [lo, hi].
func (c *Counter) batch(ctx context.Context, conn *sql.Conn, p *plan, lo, hi int64) (sum, count float64, err error) {
	sctx, cancel := c.stmtContext(ctx, p)
	defer cancel()
	q := "SELECT " + p.agg + " FROM " + p.from + " WHERE " + p.rangeCol + " >= " + c.ph(1) +
		" AND " + p.rangeCol + " <= " + c.ph(2) + p.cond
	args := append([]any{lo, hi}, p.args...)
	return scanAgg(conn.QueryRowContext(sctx, q, args...), p.op)
}

// single runs the aggregate over the whole table in one statement.
func (c *Counter) single(ctx context.Context, conn *sql.Conn, p *plan) (any, error) {
	sctx, cancel := c.stmtContext(ctx, p)
	defer cancel()
	cond := p.cond
	if c.opt.Dialect == Postgres {
		// Placeholders were numbered after the two range bounds.
		cond = strings.NewReplacer("$3", "$1", "$4", "$2").Replace(cond)
	}
	q := "SELECT " + p.agg + " FROM " + p.from + " WHERE TRUE" + cond
	s, k, err := scanAgg(conn.QueryRowContext(sctx, q, p.args...), p.op)
	if err != nil {
		return nil, fmt.Errorf("dbcount: %s on %s: %w", p.op, p.from, err)
	}
	return result(p.op, s, k), nil
}

func scanAgg(row *sql.Row, op Operation) (sum, count float64, err error) {
	var s, k sql.NullFloat64
	if op == Average {
		err = row.Scan(&s, &k)
	} else {
		err = row.Scan(&s)
	}
	return s.Float64, k.Float64, err
}

// cancelled reports whether err is the database cancelling a statement (its
// timeout), as opposed to the caller's context ending or another failure.
func (c *Counter) cancelled(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) && st.SQLState() == "57014" { // query_canceled
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// SQLite reports an interrupted statement as SQLITE_INTERRUPT.
	return c.opt.Dialect == SQLite && strings.Contains(err.Error(), "interrupt")
}
