package intake

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// kind is what an intake endpoint receives.
type kind int

const (
	kindPing kind = iota
	kindMetadata
	kindError
	kindRecords
	numKinds
)

var kindNames = [numKinds]string{"ping", "metadata", "error_report", "record"}

// metrics are the intake's counters, served at /metrics.
type metrics struct {
	received   [numKinds]atomic.Uint64 // requests
	stored     [numKinds]atomic.Uint64 // pings, metadata, reports, records
	duplicates [numKinds]atomic.Uint64
	mu         sync.Mutex
	rejected   map[[2]int]uint64 // kind, status -> requests
	lag        atomic.Int64      // nanoseconds, of the newest thing stored
}

func (m *metrics) refused(k kind, status int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.rejected == nil {
		m.rejected = map[[2]int]uint64{}
	}
	m.rejected[[2]int{int(k), status}]++
}

func (m *metrics) setLag(d time.Duration) { m.lag.Store(int64(d)) }

// serveMetrics writes the counters in Prometheus's text exposition format.
func (in *Intake) serveMetrics(w http.ResponseWriter, _ *http.Request) {
	m := &in.metrics
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	counter := func(name, help string, vals *[numKinds]atomic.Uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", name, help, name)
		for k := range numKinds {
			fmt.Fprintf(w, "%s{kind=%q} %d\n", name, kindNames[k], vals[k].Load())
		}
	}
	counter("usagekit_collector_received_total", "Requests received, by what they carry.", &m.received)
	counter("usagekit_collector_stored_total", "Pings, metadata, error reports and records stored.", &m.stored)
	counter("usagekit_collector_duplicates_total", "Pings, metadata and records received again and stored once.", &m.duplicates)
	fmt.Fprintf(w, "# HELP usagekit_collector_rejected_total Requests refused, by what they carried and the status.\n# TYPE usagekit_collector_rejected_total counter\n")
	m.mu.Lock()
	keys := make([][2]int, 0, len(m.rejected))
	for k := range m.rejected {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i][0] < keys[j][0] || keys[i][0] == keys[j][0] && keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "usagekit_collector_rejected_total{kind=%q,status=\"%d\"} %d\n", kindNames[k[0]], k[1], m.rejected[k])
	}
	m.mu.Unlock()
	fmt.Fprintf(w, "# HELP usagekit_collector_lag_seconds How old the newest ping or record stored was when it arrived.\n# TYPE usagekit_collector_lag_seconds gauge\n")
	fmt.Fprintf(w, "usagekit_collector_lag_seconds %g\n", math.Max(0, time.Duration(m.lag.Load()).Seconds()))
	if in.opt.MoreMetrics != nil {
		in.opt.MoreMetrics(w)
	}
}
