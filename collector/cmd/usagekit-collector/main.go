// Command usagekit-collector receives usage pings and event records and
// stores them in a warehouse (SQLite by default, PostgreSQL in production).
//
//	usagekit-collector [--listen ADDR] [--database sqlite:PATH|postgres://...] [--definitions DIR] [--nats URL] [--demo] ...
//
// Run "usagekit-collector --help" for every flag; each also reads an
// environment variable (USAGEKIT_COLLECTOR_LISTEN, ...).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/time/rate"

	"github.com/usagekit/usagekit/collector/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stderr))
}

// run parses the command line and serves until ctx ends; it returns the
// exit code: 0, 1 when the collector failed, 2 on bad usage.
func run(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	fs := flag.NewFlagSet("usagekit-collector", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("USAGEKIT_COLLECTOR_" + name); v != "" {
			return v
		}
		return def
	}
	var cfg server.Config
	fs.StringVar(&cfg.Listen, "listen", env("LISTEN", "127.0.0.1:8080"), "the `address` to serve on ($USAGEKIT_COLLECTOR_LISTEN)")
	fs.StringVar(&cfg.Database, "database", env("DATABASE", "sqlite:usagekit-collector.db"), "the warehouse: sqlite:PATH or postgres://... ($USAGEKIT_COLLECTOR_DATABASE)")
	fs.StringVar(&cfg.Definitions, "definitions", env("DEFINITIONS", ""), "the definitions `dir`: pings are checked against them, the SaaS metrics computed ($USAGEKIT_COLLECTOR_DEFINITIONS)")
	fs.StringVar(&cfg.TokensFile, "tokens", env("TOKENS", ""), "a `file` of bearer tokens, one a line; without it every request is accepted ($USAGEKIT_COLLECTOR_TOKENS)")
	fs.StringVar(&cfg.SaaSUUID, "saas-uuid", env("SAAS_UUID", ""), "the SaaS instance's `uuid`: its metrics are computed weekly from its records ($USAGEKIT_COLLECTOR_SAAS_UUID)")
	fs.StringVar(&cfg.NATS, "nats", env("NATS", ""), "a NATS `url` with JetStream: load its record stream into the warehouse ($USAGEKIT_COLLECTOR_NATS)")
	fs.StringVar(&cfg.Stream, "stream", env("STREAM", "USAGEKIT_RECORDS"), "the record `stream`, with --nats ($USAGEKIT_COLLECTOR_STREAM)")
	fs.StringVar(&cfg.Consumer, "consumer", env("CONSUMER", "usagekit-collector"), "the durable consumer every collector loading the stream shares, with --nats ($USAGEKIT_COLLECTOR_CONSUMER)")
	fs.BoolVar(&cfg.Demo, "demo", env("DEMO", "") == "true", "fill an empty warehouse with a year of demo data for the metrics of --definitions ($USAGEKIT_COLLECTOR_DEMO=true)")
	fs.StringVar(&cfg.DictionaryURL, "dictionary-url", env("DICTIONARY_URL", ""), "the `URL` of the metrics dictionary (usagekit docs), linked from the dashboards ($USAGEKIT_COLLECTOR_DICTIONARY_URL)")
	ratePerSource := fs.Float64("rate", 0, "requests a second each source may make on average; 0: no limit ($USAGEKIT_COLLECTOR_RATE)")
	fs.IntVar(&cfg.Burst, "burst", 20, "requests a source may make at once, with --rate")
	if v := getenv("USAGEKIT_COLLECTOR_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			fmt.Fprintf(stderr, "usagekit-collector: $USAGEKIT_COLLECTOR_RATE %q: want a number\n", v)
			return 2
		}
		*ratePerSource = f
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "usagekit-collector: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg.Rate = rate.Limit(*ratePerSource)
	cfg.Logger = slog.New(slog.NewTextHandler(stderr, nil))
	c, err := server.New(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit-collector: %s\n", strings.TrimPrefix(err.Error(), "collector: "))
		return 2
	}
	defer c.Close()
	if err := c.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "usagekit-collector: %v\n", err)
		return 1
	}
	return 0
}
