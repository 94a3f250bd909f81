// Package server runs a collector: the warehouse, the intake, the record
// loader when a JetStream stream is configured, the weekly computation of
// the SaaS instance's metrics, and the dashboards, behind one HTTP server
// with timeouts set.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/santhosh-tekuri/jsonschema/v5"
	"golang.org/x/time/rate"

	"github.com/usagekit/usagekit/collector/dashboard"
	"github.com/usagekit/usagekit/collector/demo"
	"github.com/usagekit/usagekit/collector/intake"
	"github.com/usagekit/usagekit/collector/loader"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/generator/wireschema"
)

// Config is a collector's configuration. The zero value of everything but
// Database works: no definitions, no broker, no tokens.
type Config struct {
	// Listen is the address to serve on. Default 127.0.0.1:8080.
	Listen string
	// Database is sqlite:PATH or postgres://... Default
	// sqlite:usagekit-collector.db.
	Database string
	// Definitions is the definitions directory: pings are checked against
	// the payload schema of its metrics, and the SaaS instance's metrics
	// are its event metrics. Default: none.
	Definitions string
	// TokensFile holds the bearer tokens accepted, one a line. Default:
	// none, every request is accepted.
	TokensFile string
	// Rate and Burst limit each source. Default: none.
	Rate  rate.Limit
	Burst int
	// SaaSUUID is the SaaS instance: its metrics are computed from its
	// records, weekly. Default: none.
	SaaSUUID string
	// NATS is the address of a NATS server with JetStream, whose record
	// stream the collector loads into the warehouse. Default: none.
	NATS string
	// Stream is the record stream, and Consumer the durable consumer that
	// every collector loading it shares. Defaults: the record sink's
	// stream, USAGEKIT_RECORDS, and "usagekit-collector".
	Stream, Consumer string
	// Demo fills an empty warehouse with a year of demo data for the
	// metrics of Definitions (see package demo) before serving.
	Demo bool
	// Logger logs the collector's own failures. Default slog.Default().
	Logger *slog.Logger
	// DictionaryURL is where the metrics dictionary is published, for the
	// dashboards' links to it. Default: no links.
	DictionaryURL string
}

// Collector is a configured collector, ready to serve.
type Collector struct {
	cfg       Config
	Warehouse *warehouse.Warehouse
	Set       *model.Set // nil without definitions
	handler   http.Handler
	nc        *nats.Conn     // nil without NATS
	loader    *loader.Loader // nil without NATS
}

// New opens the warehouse and reads the definitions.
func New(ctx context.Context, cfg Config) (*Collector, error) {
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:8080"
	}
	if cfg.Database == "" {
		cfg.Database = "sqlite:usagekit-collector.db"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	c := &Collector{cfg: cfg}
	opt := intake.Options{Rate: cfg.Rate, Burst: cfg.Burst, ErrorHandler: func(err error) { cfg.Logger.Error("intake", "err", err) }}
	if cfg.Definitions != "" {
		set, err := generator.Load(cfg.Definitions)
		if err != nil {
			return nil, fmt.Errorf("collector: definitions: %w", err)
		}
		c.Set = set
		if opt.PayloadSchema, err = payloadSchema(set); err != nil {
			return nil, err
		}
	}
	if cfg.TokensFile != "" {
		tokens, err := readTokens(cfg.TokensFile)
		if err != nil {
			return nil, err
		}
		opt.Tokens = tokens
	}
	if cfg.Demo && c.Set == nil {
		return nil, fmt.Errorf("collector: --demo needs --definitions: the demo data are values of their metrics")
	}
	w, err := warehouse.Open(ctx, cfg.Database, warehouse.Options{ErrorHandler: func(err error) { cfg.Logger.Warn("warehouse", "err", err) }})
	if err != nil {
		return nil, err
	}
	c.Warehouse = w
	opt.Warehouse = w
	if cfg.Demo {
		if err := c.fillDemo(ctx); err != nil {
			w.Close()
			return nil, err
		}
	}
	if cfg.NATS != "" {
		if err := c.connect(ctx); err != nil {
			w.Close()
			return nil, err
		}
		opt.MoreMetrics = c.loader.WriteMetrics
	}
	mux := http.NewServeMux()
	mux.Handle("/", intake.New(opt))
	dash, err := dashboard.New(dashboard.Options{Warehouse: w, Set: c.Set, DictionaryURL: cfg.DictionaryURL})
	if err != nil {
		w.Close()
		return nil, err
	}
	for _, p := range dashboard.Patterns {
		mux.Handle(p, dash)
	}
	c.handler = mux
	return c, nil
}

// Handler is the collector's HTTP handler.
func (c *Collector) Handler() http.Handler { return c.handler }

// Close closes the connection to NATS and the warehouse.
func (c *Collector) Close() error {
	if c.nc != nil {
		c.nc.Close()
	}
	return c.Warehouse.Close()
}

// connect connects to NATS and binds the loader's durable consumer. The
// server must answer at start, so that a wrong address is an error, not
// a silent wait; afterwards the connection reconnects for ever.
func (c *Collector) connect(ctx context.Context) error {
	nc, err := nats.Connect(c.cfg.NATS, nats.Name("usagekit-collector"), nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				c.cfg.Logger.Warn("NATS disconnected", "err", err)
			}
		}))
	if err != nil {
		return fmt.Errorf("collector: NATS at %s: %w", c.cfg.NATS, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return fmt.Errorf("collector: JetStream at %s: %w", c.cfg.NATS, err)
	}
	l, err := loader.New(ctx, js, c.Warehouse, loader.Options{
		Stream: c.cfg.Stream, Consumer: c.cfg.Consumer,
		ErrorHandler: func(err error) { c.cfg.Logger.Error("loading records", "err", err) },
	})
	if err != nil {
		nc.Close()
		return fmt.Errorf("collector: %w", err)
	}
	c.nc, c.loader = nc, l
	return nil
}

// fillDemo fills the warehouse with the demo when it holds no ping yet,
// so that restarting a demo collector keeps its data.
func (c *Collector) fillDemo(ctx context.Context) error {
	var pings int
	if err := c.Warehouse.DB().QueryRowContext(ctx, `SELECT count(*) FROM pings`).Scan(&pings); err != nil {
		return fmt.Errorf("collector: demo: %w", err)
	}
	if pings > 0 {
		c.cfg.Logger.Info("demo data already stored", "pings", pings)
		return nil
	}
	saas := c.cfg.SaaSUUID
	if saas == "" {
		saas = DemoSaaSUUID
	}
	res, err := demo.Fill(ctx, c.Warehouse, c.Set, demo.Options{SaaSUUID: saas})
	if err != nil {
		return fmt.Errorf("collector: demo: %w", err)
	}
	c.cfg.Logger.Info("demo data stored", "instances", res.Instances, "pings", res.Pings, "values", res.Values, "records", res.Records)
	return nil
}

// DemoSaaSUUID is the demo's SaaS instance when no SaaSUUID is configured.
const DemoSaaSUUID = "5aa5aa5a-0000-4000-8000-000000000001"

// Serve serves on the configured address until ctx ends, then shuts down,
// giving requests under way ten seconds.
func (c *Collector) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", c.cfg.Listen)
	if err != nil {
		return fmt.Errorf("collector: %w", err)
	}
	srv := &http.Server{
		Handler:           c.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	c.cfg.Logger.Info("collector listening", "addr", ln.Addr().String(), "database", strings.SplitN(c.cfg.Database, "?", 2)[0])
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if c.cfg.SaaSUUID != "" && c.Set != nil {
		go c.computeWeekly(ctx)
	}
	if c.loader != nil {
		go c.loader.Run(ctx)
	}
	if c.Set != nil {
		go c.keepSeries(ctx)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// computeWeekly stores the SaaS instance's computed ping now and then
// every hour: the ping of a week is stored once, on the first try in it.
func (c *Collector) computeWeekly(ctx context.Context) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if _, err := c.Warehouse.StoreComputedPing(ctx, c.cfg.SaaSUUID, "", c.Set.Descriptors(), time.Now()); err != nil && ctx.Err() == nil {
			c.cfg.Logger.Error("computing the SaaS instance's metrics", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// keepSeries keeps the weekly series of every metric of the definitions
// now and then every hour, so that a metric's page reads kept weeks and
// computes at most those that changed since.
func (c *Collector) keepSeries(ctx context.Context) {
	keyPaths := make([]string, len(c.Set.Metrics))
	for i, m := range c.Set.Metrics {
		keyPaths[i] = m.KeyPath
	}
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if err := c.Warehouse.KeepSeries(ctx, warehouse.SourcePing, keyPaths); err != nil && ctx.Err() == nil {
			c.cfg.Logger.Error("keeping the metrics' series", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// payloadSchema compiles the payload schema of the definitions.
func payloadSchema(set *model.Set) (*jsonschema.Schema, error) {
	doc, err := wireschema.Payload(set)
	if err != nil {
		return nil, err
	}
	s, err := wireschema.Compile("payload.json", doc)
	if err != nil {
		return nil, fmt.Errorf("collector: payload schema: %w", err)
	}
	return s, nil
}

// readTokens reads bearer tokens, one a line; blank lines and lines
// starting with # are skipped.
func readTokens(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("collector: tokens: %w", err)
	}
	var out []string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		if line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("collector: tokens: %s has no token", path)
	}
	return out, nil
}
