package dbcount

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// plan is a validated query turned into SQL fragments.
type plan struct {
	op       string
	from     string // quoted table
	rangeCol string // quoted column batches range over
	agg      string // the select list of one batch
	cond     string // " AND ..." after the range condition, with placeholders from 3
	args     []any  // the arguments of cond
	batch    int64
	timeout  time.Duration
}

func (c *Counter) plan(q Query) (*plan, error) {
	if c.opt.Dialect != Postgres && c.opt.Dialect != SQLite {
		return nil, fmt.Errorf("%w %q: set Options.Dialect to %q or %q", ErrDialect, c.opt.Dialect, Postgres, SQLite)
	}
	p := &plan{op: q.Operation, timeout: c.opt.StatementTimeout}
	if q.StatementTimeout != 0 {
		p.timeout = q.StatementTimeout
	}
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
	if q.BatchSize > 0 {
		p.batch = q.BatchSize
	}
	var cond strings.Builder
	if strings.TrimSpace(q.Where) != "" {
		if err := checkWhere(q.Where); err != nil {
			return nil, err
		}
		cond.WriteString(" AND (" + q.Where + ")")
	}
	if !q.To.IsZero() {
		tc := q.TimestampColumn
		if tc == "" {
			tc = "created_at"
		}
		ts, err := quote("timestamp column", tc, false)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&cond, " AND %s >= %s AND %s < %s", ts, c.ph(3), ts, c.ph(4))
		p.args = []any{q.From.UTC(), q.To.UTC()}
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

// Run computes q: count and distinct_count as int64, sum and average as
// float64 (0 when no row matches).
func (c *Counter) Run(ctx context.Context, q Query) (any, error) {
	v, _, err := c.RunStats(ctx, q)
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
func (c *Counter) RunStats(ctx context.Context, q Query) (v any, st Stats, err error) {
	p, err := c.plan(q)
	if err != nil {
		return nil, st, err
	}
	defer func() { st.BatchSize = p.batch }()
	v, err = c.run(ctx, p, &st)
	return v, st, err
}

func (c *Counter) run(ctx context.Context, p *plan, st *Stats) (any, error) {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("dbcount: connecting: %w", err)
	}
	defer conn.Close()
	if c.opt.Dialect == Postgres && p.timeout > 0 {
		ms := strconv.FormatInt(max(p.timeout.Milliseconds(), 1), 10)
		if _, err := conn.ExecContext(ctx, "SET statement_timeout = "+ms); err != nil {
			return nil, fmt.Errorf("dbcount: setting statement_timeout: %w", err)
		}
		defer func() {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			conn.ExecContext(rctx, "RESET statement_timeout") //nolint:errcheck // a broken connection is discarded by the pool anyway
		}()
	}
	lo, hi, ranged, err := c.bounds(ctx, conn, p)
	if err != nil {
		return nil, err
	}
	if !ranged {
		// distinct_count over a non-integer column: one statement.
		return c.single(ctx, conn, p)
	}
	if lo <= hi {
		// Ceiling of span/MaxBatches, without overflowing on huge spans.
		span := uint64(hi - lo)
		if need := int64(span/uint64(c.opt.MaxBatches)) + 1; need > p.batch {
			p.batch = need
		}
	}
	var total, count float64
	for start := lo; start <= hi && lo <= hi; {
		end := hi
		if p.batch-1 < hi-start {
			end = start + p.batch - 1
		}
		s, k, err := c.batch(ctx, conn, p, start, end)
		if err != nil {
			if c.cancelled(ctx, err) {
				st.Cancelled++
				if p.batch/2 < c.opt.MinBatchSize {
					return nil, fmt.Errorf("%w (%s on %s, rows %d..%d): %w", ErrCanceled, p.op, p.from, start, end, err)
				}
				p.batch /= 2
				continue
			}
			return nil, fmt.Errorf("dbcount: %s on %s, rows %d..%d: %w", p.op, p.from, start, end, err)
		}
		st.Batches++
		total += s
		count += k
		if end == hi {
			break
		}
		start = end + 1
	}
	return result(p.op, total, count), nil
}

func result(op string, total, count float64) any {
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

func scanAgg(row *sql.Row, op string) (sum, count float64, err error) {
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
