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

	"github.com/usagekit/usagekit/collector/intake"
	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/warehouse"
)

// BenchmarkPingIntakePostgres posts pings of 2,000 metrics each, every one
// from another instance, to a collector's intake over real HTTP, four
// senders at a time, into a PostgreSQL warehouse: an op is one ping
// stored with its 2,000 metric values.
func BenchmarkPingIntakePostgres(b *testing.B) {
	w := warehousetest.OpenPostgres(b, warehouse.Options{})
	srv := httptest.NewServer(intake.New(intake.Options{Warehouse: w}))
	defer srv.Close()
	metrics := map[string]any{}
	for g := range 40 {
		group := map[string]any{}
		for m := range 50 {
			group[fmt.Sprintf("metric_%d", m)] = g*1000 + m
		}
		metrics[fmt.Sprintf("group_%d", g)] = group
	}
	// One payload, its uuid and hostname rewritten for each ping, so that
	// making pings costs the benchmark little.
	const mark = "999999999999"
	metrics["uuid"] = "00000000-0000-4000-8000-" + mark
	metrics["recorded_at"] = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).Format(time.RFC3339)
	metrics["version"] = "17.6.0"
	metrics["hostname"] = "host-" + mark + ".example.com"
	payload, err := json.Marshal(metrics)
	if err != nil {
		b.Fatal(err)
	}
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
