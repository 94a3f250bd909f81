package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/redis/go-redis/v9"
	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/runtime/dbcount"
	"github.com/usagekit/usagekit/runtime/metric"
	"github.com/usagekit/usagekit/runtime/ping"
	"github.com/usagekit/usagekit/runtime/store/redisstore"
)

func init() {
	register(command{
		name:    "ping",
		summary: "compute the usage ping from definitions and print or send it",
		usage: `usagekit ping [flags]

Computes every active and broken metric of the definitions, straight from
the YAML, against Redis (event counters) and optionally a database, and
prints the payload as JSON. With --send it posts the payload and then its
metadata to a collector instead, retrying failures.

Metrics that need application code (system, license, any instrumentation
class: the methods of the generated Instrumentation interface) cannot be
computed here and report -1 with their error in the metadata; uuid,
hostname, version and recorded_at come from the flags.

  --definitions DIR   the definitions (default definitions)
  --redis URL         Redis holding the counters (default $REDIS_URL)
  --database URL      postgres://... (PostgreSQL) or sqlite:PATH (SQLite)
  --now TIME          compute as of TIME (RFC 3339 or YYYY-MM-DD, UTC); default now
  --send URL          post the payload to the collector at URL
  --gzip              compress what --send posts
  --uuid UUID         the instance UUID (required with --send)
  --hostname NAME     the instance host name (default this host's)
  --version VERSION   the instance version (default the usagekit version)
  --no-optional       leave metrics of data_category optional out
  --metadata          print {"payload": ..., "metadata": ...}
  --timeout D         per-metric timeout (default 30s)

Exit status: 0 computed (and sent), 1 the definitions have problems or
sending failed, 2 bad usage or a service could not be reached.`,
		run: runPing,
	})
}

// previewUUID stands in for the instance UUID in a preview.
const previewUUID = "00000000-0000-0000-0000-000000000000"

// pingFlags are the command line of usagekit ping.
type pingFlags struct {
	defs, redisURL, dbURL, sendURL string
	uuid, hostname, version        string
	gzip, noOptional, withMeta     bool
	timeout                        time.Duration
	now                            func() time.Time
}

// parse reads args into f; a non-negative code means stop with it.
func (f *pingFlags) parse(args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("ping", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&f.defs, "definitions", "definitions", "the definitions `dir`ectory")
	fl.StringVar(&f.redisURL, "redis", os.Getenv("REDIS_URL"), "Redis `url` holding the counters")
	fl.StringVar(&f.dbURL, "database", "", "database `url`: postgres://... or sqlite:PATH")
	nowFlag := fl.String("now", "", "compute as of `time` (RFC 3339 or YYYY-MM-DD)")
	fl.StringVar(&f.sendURL, "send", "", "post the payload to the collector at `url`")
	fl.BoolVar(&f.gzip, "gzip", false, "compress what --send posts")
	fl.StringVar(&f.uuid, "uuid", "", "the instance `uuid`")
	fl.StringVar(&f.hostname, "hostname", "", "the instance host `name`")
	fl.StringVar(&f.version, "version", version(), "the instance `version`")
	fl.BoolVar(&f.noOptional, "no-optional", false, "leave optional metrics out")
	fl.BoolVar(&f.withMeta, "metadata", false, "print the metadata too")
	fl.DurationVar(&f.timeout, "timeout", metric.DefaultTimeout, "per-metric `timeout`")
	if err := parseFlags(fl, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "usagekit ping: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case fl.NArg() > 0:
		return fail("unexpected argument %q; definitions are given with --definitions", fl.Arg(0))
	case f.redisURL == "":
		return fail("--redis URL (or $REDIS_URL) is required: event metrics are read from Redis")
	case f.sendURL != "" && f.uuid == "":
		return fail("--send needs --uuid: the collector tells instances apart by it")
	}
	if f.uuid == "" {
		f.uuid = previewUUID
	}
	f.now = time.Now
	if *nowFlag != "" {
		t, err := parseNow(*nowFlag)
		if err != nil {
			return fail("%v", err)
		}
		f.now = func() time.Time { return t }
	}
	return -1
}

func runPing(args []string, stdout, stderr io.Writer) int {
	var f pingFlags
	if code := f.parse(args, stderr); code >= 0 {
		return code
	}
	fail := func(code int, format string, a ...any) int {
		// Errors of the ping package start with its name; once is enough.
		fmt.Fprintf(stderr, "usagekit ping: %s\n", strings.TrimPrefix(fmt.Sprintf(format, a...), "ping: "))
		return code
	}
	set, err := generator.Load(f.defs)
	if err != nil {
		return loadFailed(stderr, "ping", "nothing was computed", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	engine, closeAll, err := f.engine(ctx)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	defer closeAll()
	ds := set.Descriptors()
	popt := ping.Options{
		Engine:     engine,
		Metrics:    ds,
		Instance:   ping.Instance{UUID: f.uuid, Hostname: f.hostname, Version: f.version},
		NoOptional: f.noOptional,
	}
	if f.sendURL != "" {
		popt.Client = ping.NewClient(f.sendURL, ping.ClientOptions{Gzip: f.gzip, OnRetry: func(url string, attempt int, wait time.Duration, err error) {
			fmt.Fprintf(stderr, "usagekit ping: posting to %s failed (%v); attempt %d in %s\n", url, err, attempt, wait.Round(100*time.Millisecond))
		}})
		pl, err := ping.New(popt).Send(ctx)
		if err != nil {
			return fail(exitProblems, "%v", err)
		}
		explainFailures(stderr, ds, pl, f.dbURL != "")
		fmt.Fprintf(stdout, "sent %d metrics to %s (uuid %s, recorded_at %s)\n", len(pl.Metrics), f.sendURL, pl.UUID,
			pl.RecordedAt.Format(time.RFC3339))
		return exitOK
	}
	pl, err := ping.New(popt).Build(ctx)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	explainFailures(stderr, ds, pl, f.dbURL != "")
	if err := printPayload(stdout, pl, f.withMeta); err != nil {
		return fail(exitUsage, "%v", err)
	}
	return exitOK
}

// engine connects to Redis and, when given, the database, and returns the
// metric engine over them and what closes the connections.
func (f *pingFlags) engine(ctx context.Context) (*metric.Engine, func(), error) {
	// The command reports connection failures itself, in one line.
	redisstore.RedirectLogs(nil)
	ropt, err := redis.ParseURL(f.redisURL)
	if err != nil {
		return nil, nil, fmt.Errorf("--redis %q: want redis://[user:password@]host[:port][/db] or rediss://... (%w)", f.redisURL, err)
	}
	rdb := redis.NewClient(ropt)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, nil, fmt.Errorf("connecting to Redis at %s: %w", ropt.Addr, err)
	}
	eopt := metric.EngineOptions{Store: redisstore.New(rdb, redisstore.Options{}), Now: f.now, Timeout: f.timeout}
	closeAll := func() { rdb.Close() }
	if f.dbURL != "" {
		db, dialect, err := openDatabase(ctx, f.dbURL)
		if err != nil {
			rdb.Close()
			return nil, nil, err
		}
		eopt.DB, eopt.Dialect = db, dialect
		closeAll = func() { rdb.Close(); db.Close() }
	}
	return metric.NewEngine(eopt), closeAll, nil
}

// explainFailures says on stderr which metrics report -1 and why: the
// application's metrics and, without --database, the database metrics in
// one line each, the rest one by one.
func explainFailures(w io.Writer, ds []*metric.Descriptor, pl *ping.Payload, haveDB bool) {
	var app, db int
	kind := map[string]string{}
	for _, d := range ds {
		switch {
		case d.Application:
			kind[d.KeyPath] = "application"
		case d.Database != nil && !haveDB:
			kind[d.KeyPath] = "database"
		}
	}
	var others []string
	for _, m := range pl.Metrics {
		if m.Error == "" {
			continue
		}
		switch kind[m.Name] {
		case "application":
			app++
		case "database":
			db++
		default:
			others = append(others, fmt.Sprintf("usagekit ping: %s reports -1: %s", m.Name, m.Error))
		}
	}
	if app > 0 {
		fmt.Fprintf(w, "usagekit ping: %d %s of the generated Instrumentation interface report -1: only the application computes them\n", app, plural(app, "metric", "metrics"))
	}
	if db > 0 {
		fmt.Fprintf(w, "usagekit ping: %d database %s report -1: give --database postgres://... or sqlite:PATH\n", db, plural(db, "metric", "metrics"))
	}
	for _, o := range others {
		fmt.Fprintln(w, o)
	}
}

// openDatabase opens and checks the database of --database.
func openDatabase(ctx context.Context, u string) (*sql.DB, string, error) {
	driver, dsn, dialect, err := openArgs(u)
	if err != nil {
		return nil, "", fmt.Errorf("--database: %w", err)
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, "", fmt.Errorf("--database: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("connecting to the database: %w", err)
	}
	return db, dialect, nil
}

// printPayload writes the payload as indented JSON, with its metadata when
// asked.
func printPayload(w io.Writer, pl *ping.Payload, withMeta bool) error {
	var out any = pl
	if withMeta {
		out = struct {
			Payload  *ping.Payload `json:"payload"`
			Metadata ping.Metadata `json:"metadata"`
		}{pl, pl.Metadata()}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the payload: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// parseNow reads --now: RFC 3339, or a date meaning midnight UTC.
func parseNow(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--now %q: want RFC 3339 (2026-11-25T12:00:00Z) or a date (2026-11-25)", s)
}

// openArgs maps a database URL to a database/sql driver, its data source
// name and the SQL dialect. An SQLite file must exist and is opened read
// only: a mistyped path must not create an empty database whose every
// metric reads 0.
func openArgs(u string) (driver, dsn, dialect string, err error) {
	switch {
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return "pgx", u, dbcount.Postgres, nil
	case strings.HasPrefix(u, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(u, "sqlite:"), "//")
		fi, err := os.Stat(path)
		if err != nil {
			return "", "", "", fmt.Errorf("%q: %w", u, err)
		}
		if !fi.Mode().IsRegular() {
			return "", "", "", fmt.Errorf("%q: %s is not a file", u, path)
		}
		return "sqlite", "file:" + sqliteEscaper.Replace(path) + "?mode=ro", dbcount.SQLite, nil
	}
	return "", "", "", fmt.Errorf("%q: want postgres://... or sqlite:PATH", u)
}

// sqliteEscaper escapes what would end the path of an SQLite URI filename.
var sqliteEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
