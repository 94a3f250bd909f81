// Package ping assembles the usage ping: every active or broken metric
// computed by the metric engine, nested by key_path into one JSON document
// with the instance's facts at the top level, plus per-metric metadata. It
// sends the ping to a collector (export.go), weekly from one replica of many
// (schedule.go), and previews it over HTTP (preview.go).
//
// Nothing a metric does can abort a ping: a metric that fails reports -1 and
// its error goes to the metadata.
package ping

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/usagekit/usagekit/runtime/metric"
)

// Failed is the value a metric that could not be computed reports.
const Failed = -1

// Data categories.
const (
	Operational  = "operational"
	Optional     = "optional"
	Subscription = "subscription"
	Standard     = "standard"
)

// ErrNoUUID is returned when the instance has no UUID: without it a
// collector cannot tell instances apart or deduplicate pings.
var ErrNoUUID = errors.New("ping: instance UUID is empty")

// Instance is the facts that identify the sending installation. They appear
// at the top level of the payload as metrics of data_source system.
type Instance struct {
	// UUID identifies the installation; required. It also seeds the weekly
	// schedule.
	UUID string
	// Hostname defaults to os.Hostname.
	Hostname string
	// Version is the application's version.
	Version string
	// Facts are further top-level values (edition, installation_type, ...).
	Facts map[string]any
}

// Instance fact key paths.
const (
	KeyUUID       = "uuid"
	KeyHostname   = "hostname"
	KeyVersion    = "version"
	KeyRecordedAt = "recorded_at"
	// KeyCollectedDataCategories is filled with the permitted categories
	// when a definition declares it without a value of its own.
	KeyCollectedDataCategories = "settings.collected_data_categories"
)

// Options configure a Pinger.
type Options struct {
	// Engine computes the metrics. Required.
	Engine *metric.Engine
	// Metrics are the defined metrics, usually the generated Metrics(app).
	Metrics []*metric.Descriptor
	// Instance is the installation's facts.
	Instance Instance
	// Categories are the data categories the payload may carry. Default:
	// operational, optional, subscription and standard. A metric without a
	// category is optional, as in GitLab.
	Categories []string
	// NoOptional leaves optional metrics out (the instance's administrator
	// switched optional data off).
	NoOptional bool
	// Client sends the ping. Required for Send.
	Client *Client
}

// Pinger builds and sends usage pings. It is safe for concurrent use.
type Pinger struct {
	opt Options
}

// New returns a Pinger.
func New(opt Options) *Pinger {
	if opt.Instance.Hostname == "" {
		opt.Instance.Hostname, _ = os.Hostname()
	}
	if len(opt.Categories) == 0 {
		opt.Categories = []string{Operational, Optional, Subscription, Standard}
	}
	if opt.NoOptional {
		opt.Categories = slices.DeleteFunc(slices.Clone(opt.Categories), func(c string) bool { return c == Optional })
	}
	return &Pinger{opt: opt}
}

// MetricMeta is the metadata of one metric.
type MetricMeta struct {
	Name string `json:"name"`
	// TimeElapsed is in seconds.
	TimeElapsed float64 `json:"time_elapsed"`
	Error       string  `json:"error,omitempty"`
}

// Payload is one computed ping.
type Payload struct {
	UUID       string
	RecordedAt time.Time
	Version    string
	// Data is the document sent: maps nested by key_path segments.
	Data map[string]any
	// Metrics has the metadata of every metric computed, in key_path order.
	Metrics []MetricMeta
}

// MarshalJSON encodes the payload document.
func (p *Payload) MarshalJSON() ([]byte, error) { return json.Marshal(p.Data) }

// Metadata is the document sent after the payload.
type Metadata struct {
	UUID       string       `json:"uuid"`
	RecordedAt string       `json:"recorded_at"`
	Metrics    []MetricMeta `json:"metrics"`
}

// Metadata returns the payload's metadata document.
func (p *Payload) Metadata() Metadata {
	return Metadata{UUID: p.UUID, RecordedAt: formatTime(p.RecordedAt), Metrics: p.Metrics}
}

// IdempotencyKey identifies the ping: a collector seeing the same key twice
// keeps one copy.
func (p *Payload) IdempotencyKey() string { return p.UUID + "/" + formatTime(p.RecordedAt) }

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Permitted reports whether a metric belongs in the payload: active or broken
// (a missing status counts as active) with a permitted data category.
func (p *Pinger) Permitted(d *metric.Descriptor) bool {
	switch d.Status {
	case metric.Active, metric.Broken, "":
	default:
		return false
	}
	c := d.DataCategory
	if c == "" {
		c = Optional
	}
	return slices.Contains(p.opt.Categories, c)
}

// Descriptors returns the metrics a ping computes: the permitted metrics and
// the instance facts, in key_path order. A defined fact without a value of
// its own (hostname, version, the facts of Instance.Facts and
// settings.collected_data_categories) takes the Pinger's; uuid and
// recorded_at are always the Pinger's, so that the payload matches its
// idempotency key.
func (p *Pinger) Descriptors(recordedAt time.Time) []*metric.Descriptor {
	inst := p.opt.Instance
	facts := map[string]any{
		KeyUUID:       inst.UUID,
		KeyHostname:   inst.Hostname,
		KeyVersion:    inst.Version,
		KeyRecordedAt: formatTime(recordedAt),
	}
	for k, v := range inst.Facts {
		facts[k] = v
	}
	// GitLab's settings.collected_data_categories is known here too, but
	// only reported when defined.
	known := map[string]any{KeyCollectedDataCategories: slices.Clone(p.opt.Categories)}
	var out []*metric.Descriptor
	for _, d := range p.opt.Metrics {
		if !p.Permitted(d) {
			continue
		}
		v, ok := facts[d.KeyPath]
		if ok {
			delete(facts, d.KeyPath)
		} else {
			v, ok = known[d.KeyPath]
		}
		// uuid and recorded_at are the ping's own, whatever the
		// application's method says: the collector deduplicates by them.
		own := d.KeyPath == KeyUUID || d.KeyPath == KeyRecordedAt
		if ok && (own || d.Value == nil && d.Database == nil && len(d.Events) == 0) {
			c := *d
			c.Value = constant(v)
			d = &c
		}
		out = append(out, d)
	}
	for k, v := range facts {
		out = append(out, &metric.Descriptor{KeyPath: k, TimeFrame: metric.None, DataSource: "system",
			DataCategory: Standard, Status: metric.Active, Value: constant(v)})
	}
	slices.SortStableFunc(out, func(a, b *metric.Descriptor) int { return strings.Compare(a.KeyPath, b.KeyPath) })
	return out
}

func constant(v any) metric.ValueFunc {
	return func(context.Context) (any, error) { return v, nil }
}

// Build computes every permitted metric and assembles the payload. It fails
// only without an instance UUID or engine; failing metrics report Failed.
func (p *Pinger) Build(ctx context.Context) (*Payload, error) {
	if p.opt.Instance.UUID == "" {
		return nil, ErrNoUUID
	}
	if p.opt.Engine == nil {
		return nil, errors.New("ping: no metric engine")
	}
	recordedAt := p.opt.Engine.Now().Truncate(time.Second)
	ds := p.Descriptors(recordedAt)
	results := p.opt.Engine.Compute(ctx, ds)
	pl := &Payload{
		UUID:       p.opt.Instance.UUID,
		RecordedAt: recordedAt,
		Version:    p.opt.Instance.Version,
		Data:       map[string]any{},
		Metrics:    make([]MetricMeta, 0, len(results)),
	}
	for _, r := range results {
		v, err := r.Value, r.Err
		if err == nil {
			err = checkValue(v)
		}
		if err == nil {
			err = put(pl.Data, r.KeyPath, v)
		}
		meta := MetricMeta{Name: r.KeyPath, TimeElapsed: r.Elapsed.Seconds()}
		if err != nil {
			// The name is beside the error already.
			meta.Error = strings.TrimPrefix(err.Error(), r.KeyPath+": ")
			// A failure to place the value (a key_path clash) cannot place
			// -1 either; put reports that in the metadata only.
			_ = put(pl.Data, r.KeyPath, Failed)
		}
		pl.Metrics = append(pl.Metrics, meta)
	}
	return pl, nil
}

// checkValue rejects values that JSON cannot carry, so one bad application
// metric fails alone instead of failing the whole encoding.
func checkValue(v any) error {
	switch v := v.(type) {
	case nil, string, bool, int, int64, int32, uint64, uint32, json.Number:
		return nil
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("ping: value %v is not a JSON number", v)
		}
		return nil
	}
	if _, err := json.Marshal(v); err != nil {
		return fmt.Errorf("ping: value of type %T: %w", v, err)
	}
	return nil
}

// put stores v at the dot-separated key path inside data.
func put(data map[string]any, keyPath string, v any) error {
	parts := strings.Split(keyPath, ".")
	m := data
	for i, part := range parts[:len(parts)-1] {
		switch next := m[part].(type) {
		case nil:
			n := map[string]any{}
			m[part] = n
			m = n
		case map[string]any:
			m = next
		default:
			return fmt.Errorf("ping: %s: %s is already a value", keyPath, strings.Join(parts[:i+1], "."))
		}
	}
	last := parts[len(parts)-1]
	if _, ok := m[last].(map[string]any); ok {
		return fmt.Errorf("ping: %s is already a parent of other metrics", keyPath)
	}
	m[last] = v
	return nil
}
