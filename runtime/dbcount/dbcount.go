// Package dbcount computes database metrics on database/sql: count,
// distinct_count, sum and average over one table, optionally restricted by a
// reviewed WHERE clause and a time window. Like GitLab's batch counter it
// splits the work into primary-key ranges (100,000 rows a statement for
// count, 10,000 for distinct_count, 1,000 for sum and average), so that no
// single statement scans a whole large table, and halves the range whenever
// the database cancels a statement for running too long.
//
// PostgreSQL (github.com/jackc/pgx/v5/stdlib, driver "pgx") and SQLite
// (modernc.org/sqlite, driver "sqlite") are supported and give the same
// answers.
package dbcount

import (
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// Operation is what a query computes over its column.
type Operation string

// Operations, as database metric definitions spell them.
const (
	Count         Operation = "count"
	DistinctCount Operation = "distinct_count"
	Sum           Operation = "sum"
	Average       Operation = "average"
)

// Float reports whether the operation's result is fractional (sum and
// average): such metrics are float64, counts int64.
func (o Operation) Float() bool { return o == Sum || o == Average }

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Sentinel errors, wrapped with details.
var (
	ErrOperation  = errors.New("dbcount: unsupported operation")
	ErrIdentifier = errors.New("dbcount: invalid identifier")
	ErrWhere      = errors.New("dbcount: invalid where clause")
	ErrDialect    = errors.New("dbcount: unknown SQL dialect")
	// ErrCanceled is returned when the database keeps cancelling a batch
	// even at the smallest batch size.
	ErrCanceled = errors.New("dbcount: statement cancelled at the smallest batch size")
)

// Default batch sizes, GitLab's.
const (
	CountBatch    = 100_000
	DistinctBatch = 10_000
	SumBatch      = 1_000
	AverageBatch  = 1_000
)

// Query is one database metric, as its definition's database block states
// it. The time window is not part of it: it depends on when the metric is
// computed (Window).
type Query struct {
	Operation Operation
	// Table may be qualified by a schema: "public.issues".
	Table string
	// Column is the column counted, distinct-counted, summed or averaged.
	// Empty means every row, for count only.
	Column string
	// Where is reviewed SQL ANDed with the window. It may not contain a
	// semicolon or a comment.
	Where string
	// TimestampColumn is the column a Window restricts. Default
	// created_at.
	TimestampColumn string
}

// Window bounds a query's TimestampColumn: From inclusive, To exclusive. The
// zero Window restricts nothing.
type Window struct {
	From, To time.Time
}

// Options configure a Counter. The zero value works.
type Options struct {
	// Dialect is Postgres or SQLite. Default: guessed from the driver's type
	// (pgx and lib/pq are Postgres; modernc.org/sqlite and mattn's are
	// SQLite).
	Dialect string
	// PrimaryKey is the integer column batches range over. Default id.
	PrimaryKey string
	// StatementTimeout bounds each statement: PostgreSQL cancels it on the
	// server (statement_timeout), SQLite is interrupted. A cancelled batch is
	// retried at half the size. Default 10s; negative means none.
	StatementTimeout time.Duration
	// MinBatchSize is the size below which a cancelled batch is not halved
	// again but reported as ErrCanceled. Default 1.
	MinBatchSize int64
	// MaxBatches bounds the statements of one query: over a sparse range
	// (ids up to a billion in a small table) the batch grows so that the
	// range takes at most MaxBatches statements. Default 10,000, GitLab's
	// loop limit.
	MaxBatches int64
	// BatchSize replaces the operation's batch size (GitLab's: CountBatch,
	// DistinctBatch, SumBatch, AverageBatch). Default 0: the operation's.
	BatchSize int64
	// Workers is how many batches of one query run at once on PostgreSQL,
	// each on a connection of its own from the pool. PostgreSQL counts a
	// large table with a leader and two workers itself
	// (max_parallel_workers_per_gather); two batches at a time keep a
	// batched count's load near that of one count(*) while each statement
	// stays short. Default 2; 1 runs batches one after another, as GitLab
	// does. SQLite always runs one.
	Workers int
}

// DefaultStatementTimeout is used when Options.StatementTimeout is zero.
const DefaultStatementTimeout = 10 * time.Second

// Counter runs queries against one database. It is safe for concurrent use.
type Counter struct {
	db  *sql.DB
	opt Options
}

// New returns a Counter on db.
func New(db *sql.DB, opt Options) *Counter {
	if opt.Dialect == "" {
		opt.Dialect = guessDialect(db)
	}
	if opt.PrimaryKey == "" {
		opt.PrimaryKey = "id"
	}
	if opt.StatementTimeout == 0 {
		opt.StatementTimeout = DefaultStatementTimeout
	}
	if opt.MinBatchSize <= 0 {
		opt.MinBatchSize = 1
	}
	if opt.MaxBatches <= 0 {
		opt.MaxBatches = 10_000
	}
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	return &Counter{db: db, opt: opt}
}

func guessDialect(db *sql.DB) string {
	if db == nil {
		return ""
	}
	t := strings.ToLower(fmt.Sprintf("%T", db.Driver()))
	switch {
	case strings.Contains(t, "sqlite"):
		return SQLite
	case strings.Contains(t, "stdlib"), strings.Contains(t, "pq."), strings.Contains(t, "pgx"):
		return Postgres
	}
	return ""
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,62}$`)

// quote validates a (possibly schema-qualified) identifier and quotes each
// part, so that nothing from a definition reaches SQL unchecked.
func quote(what, name string, qualified bool) (string, error) {
	parts := []string{name}
	if qualified {
		parts = strings.Split(name, ".")
		if len(parts) > 2 {
			return "", fmt.Errorf("%w: %s %q has more than one dot", ErrIdentifier, what, name)
		}
	}
	for i, p := range parts {
		if !identRE.MatchString(p) {
			return "", fmt.Errorf("%w: %s %q: want letters, digits and underscores, not starting with a digit", ErrIdentifier, what, name)
		}
		parts[i] = `"` + p + `"`
	}
	return strings.Join(parts, "."), nil
}

// checkWhere rejects what could end the statement or hide the rest of it. The
// clause itself is reviewed with the definition; this stops accidents.
func checkWhere(w string) error {
	inString := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c == '\'' {
			inString = !inString
			continue
		}
		if inString {
			continue
		}
		switch {
		case c == ';':
			return fmt.Errorf("%w: %q contains a semicolon", ErrWhere, w)
		case c == '-' && i+1 < len(w) && w[i+1] == '-', c == '/' && i+1 < len(w) && w[i+1] == '*':
			return fmt.Errorf("%w: %q contains a comment", ErrWhere, w)
		}
	}
	if inString {
		return fmt.Errorf("%w: %q has an unterminated string", ErrWhere, w)
	}
	return nil
}
