package tracktest

import (
	"context"
	"fmt"
	"testing"

	"github.com/usagekit/usagekit/runtime/metric"
)

// Metric returns the descriptor with the given key_path from ds (as returned
// by the generated Metrics function), failing t when there is none.
func Metric(t testing.TB, ds []*metric.Descriptor, keyPath string) *metric.Descriptor {
	t.Helper()
	for _, d := range ds {
		if d.KeyPath == keyPath {
			return d
		}
	}
	t.Fatalf("no metric %s among %d descriptors", keyPath, len(ds))
	return nil
}

// MetricValue computes d over the recorded events. Windows are taken one
// week after the recorder's clock, so events tracked now count in 7d, 28d
// and all-time metrics alike.
func (r *Recorder) MetricValue(ctx context.Context, d *metric.Descriptor) (float64, error) {
	v, err := r.engine.Value(ctx, d)
	if err != nil {
		return 0, fmt.Errorf("tracktest: metric %s: %w", d.KeyPath, err)
	}
	switch n := v.(type) {
	case int64:
		return float64(n), nil
	case int:
		return float64(n), nil
	case uint64:
		return float64(n), nil
	case float64:
		return n, nil
	}
	return 0, fmt.Errorf("tracktest: metric %s is a %T, not a number", d.KeyPath, v)
}

// AssertMetricChange fails t unless the value of d grows by exactly by
// across fn (a negative by for a decrease; unique counts are estimates, but
// exact at the small cardinalities of tests).
func (r *Recorder) AssertMetricChange(t testing.TB, d *metric.Descriptor, by float64, fn func()) {
	t.Helper()
	ctx := context.Background()
	before, err := r.MetricValue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	fn()
	after, err := r.MetricValue(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if after-before != by {
		t.Errorf("metric %s changed by %v (from %v to %v), want %v", d.KeyPath, after-before, before, after, by)
	}
}
