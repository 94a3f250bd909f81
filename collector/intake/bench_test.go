package intake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/collector/intake"
	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/generator/wireschema"
	"github.com/usagekit/usagekit/runtime/metric"
)

// mark is the part of benchPing's uuid and hostname a benchmark rewrites
// for each ping.
const mark = "999999999999"

// benchPing is a ping of 2,000 number metrics in 40 groups, and the
// payload schema of their definitions, compiled as the collector compiles
// it.
func benchPing(b *testing.B) ([]byte, *jsonschema.Schema) {
	metrics := map[string]any{}
	set := &model.Set{}
	for g := range 40 {
		group := map[string]any{}
		for m := range 50 {
			group[fmt.Sprintf("metric_%d", m)] = g*1000 + m
			set.Metrics = append(set.Metrics, &model.Metric{KeyPath: fmt.Sprintf("group_%d.metric_%d", g, m),
				ValueType: "number", Status: metric.Active, Description: "A count of things."})
		}
		metrics[fmt.Sprintf("group_%d", g)] = group
	}
	metrics["uuid"] = "00000000-0000-4000-8000-" + mark
	metrics["recorded_at"] = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).Format(time.RFC3339)
	metrics["version"] = "17.6.0"
	metrics["hostname"] = "host-" + mark + ".example.com"
	payload, err := json.Marshal(metrics)
	if err != nil {
		b.Fatal(err)
	}
	doc, err := wireschema.Payload(set)
	if err != nil {
		b.Fatal(err)
	}
	s, err := wireschema.Compile("payload.json", doc)
	if err != nil {
		b.Fatal(err)
	}
	return payload, s
}

// BenchmarkPingIntakePostgres posts pings of 2,000 metrics each, every one
// from another instance, to a collector's intake over real HTTP, four
// senders at a time, into a PostgreSQL warehouse: an op is one ping
// checked against the payload schema of its metrics' definitions, as a
// collector started with --definitions checks it, and stored with its
// 2,000 values.
func BenchmarkPingIntakePostgres(b *testing.B) {
	w := warehousetest.OpenPostgres(b, warehouse.Options{})
	payload, schema := benchPing(b)
	srv := httptest.NewServer(intake.New(intake.Options{Warehouse: w, PayloadSchema: schema}))
	defer srv.Close()
	// One payload, its uuid and hostname rewritten for each ping, so that
	// making pings costs the benchmark little.
	var seq atomic.Int64
	body := func() []byte {
		return bytes.ReplaceAll(payload, []byte(mark), fmt.Appendf(nil, "%012d", seq.Add(1)))
	}
	b.SetParallelism(2) // four senders on two cores
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := http.Post(srv.URL+"/usage_data", "application/json", bytes.NewReader(body()))
			if err != nil {
				b.Error(err)
				return
			}
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
			}
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pings/s")
}

// BenchmarkPayloadCheck measures the check of a ping of 2,000 metrics
// against their payload schema, by the intake's fast path and by the full
// validation it falls back on (decoding into maps, then jsonschema).
func BenchmarkPayloadCheck(b *testing.B) {
	payload, schema := benchPing(b)
	full, err := intake.CheckFull(schema)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		check func([]byte) []string
	}{
		{"fast", intake.New(intake.Options{PayloadSchema: schema}).Check},
		{"full", full},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if problems := c.check(payload); problems != nil {
					b.Fatal(problems)
				}
			}
		})
	}
}
