// Package warehouse stores what the collector receives — instances, usage
// pings with one row per metric value, ping metadata and error reports, and
// event records — in SQLite (a file, the default) or PostgreSQL, and
// computes the SaaS instance's event metrics from the records in SQL, from
// the runtime's one metric description (metric.Descriptor).
//
// The schema is created and upgraded by embedded, versioned migrations
// (pressly/goose), applied when a warehouse is opened; on PostgreSQL an
// advisory lock lets several collectors start against one database at once.
package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also the database/sql driver "pgx"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// maxIdleConns is how many idle PostgreSQL connections a warehouse keeps
// for the next requests.
const maxIdleConns = 16

// ErrDSN is returned for a database address that names no known database.
var ErrDSN = errors.New("warehouse: unknown database address")

//go:embed migrations
var migrations embed.FS

// Options configure a Warehouse. The zero value works.
type Options struct {
	// Now is the clock, for received_at and first/last seen. Default
	// time.Now.
	Now func() time.Time
	// ErrorHandler hears about failures that do not fail the call they
	// happen in: keeping a metric's computed weeks for the next read
	// (the series read is returned all the same). Default: none.
	ErrorHandler func(error)
}

// Warehouse is an opened, migrated warehouse. It is safe for concurrent
// use.
type Warehouse struct {
	db      *sql.DB
	d       dialect
	now     func() time.Time
	onError func(error)
	keys    keyCache
	weeks   valueWeeks
}

// Open opens the warehouse at dsn — "sqlite:PATH" (the file is created) or
// "postgres://..." — and brings its schema up to date.
func Open(ctx context.Context, dsn string, opt Options) (*Warehouse, error) {
	var driver, source, dialect string
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		driver, source, dialect = "pgx", dsn, Postgres
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		if path == "" {
			return nil, fmt.Errorf("%w %q: sqlite: needs a file path", ErrDSN, dsn)
		}
		// One writer at a time, and readers that wait for it rather than
		// failing: the collector writes from several goroutines.
		driver, source, dialect = "sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)", SQLite
	default:
		return nil, fmt.Errorf("%w %q: want sqlite:PATH or postgres://...", ErrDSN, dsn)
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return nil, fmt.Errorf("warehouse: opening %s: %w", dialect, err)
	}
	switch dialect {
	case SQLite:
		db.SetMaxOpenConns(1) // SQLite has one writer; a pool of one serialises without busy errors
	case Postgres:
		// The intake stores from as many goroutines as requests in flight.
		// database/sql keeps 2 idle connections by default, so every burst
		// past two closed its extra connections and the next opened them
		// again: a PostgreSQL backend process started, and the statements
		// prepared anew, some 25 times every 400 pings of four senders.
		db.SetMaxIdleConns(maxIdleConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	w, err := New(ctx, db, dialect, opt)
	if err != nil {
		db.Close()
		return nil, err
	}
	return w, nil
}

// New returns a warehouse on db, an open database of the given dialect,
// after bringing its schema up to date. Close closes db.
func New(ctx context.Context, db *sql.DB, dialect string, opt Options) (*Warehouse, error) {
	d, ok := dialects[dialect]
	if !ok {
		return nil, fmt.Errorf("%w: dialect %q", ErrDSN, dialect)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if err := db.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("warehouse: connecting to %s: %w", dialect, err)
	}
	if err := migrate(ctx, db, dialect); err != nil {
		return nil, err
	}
	return &Warehouse{db: db, d: d, now: opt.Now, onError: opt.ErrorHandler}, nil
}

// migrate applies the dialect's migrations not applied yet.
func migrate(ctx context.Context, db *sql.DB, dialect string) error {
	dir, err := fs.Sub(migrations, "migrations/"+dialect)
	if err != nil {
		return fmt.Errorf("warehouse: migrations of %s: %w", dialect, err)
	}
	gooseDialect := goose.DialectSQLite3
	var opts []goose.ProviderOption
	if dialect == Postgres {
		gooseDialect = goose.DialectPostgres
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return fmt.Errorf("warehouse: migration lock: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(gooseDialect, db, dir, opts...)
	if err != nil {
		return fmt.Errorf("warehouse: migrations of %s: %w", dialect, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("warehouse: migrating %s: %w", dialect, err)
	}
	return nil
}

// DB is the database, for tools and tests that read it directly.
func (w *Warehouse) DB() *sql.DB { return w.db }

// Dialect is Postgres or SQLite.
func (w *Warehouse) Dialect() string { return w.d.name }

// Close closes the database.
func (w *Warehouse) Close() error { return w.db.Close() }

// inPgxTx runs fn in a transaction of a pgx connection of the pool, for
// what database/sql cannot do (COPY), committed when fn returns nil.
func (w *Warehouse) inPgxTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		tx, err := dc.(*stdlib.Conn).Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // after Commit it does nothing
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
}

// inTx runs fn in a transaction, committed when fn returns nil.
func (w *Warehouse) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback() //nolint:errcheck // the error that matters is fn's
		return err
	}
	return tx.Commit()
}
