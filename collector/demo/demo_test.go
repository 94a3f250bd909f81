package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/usagekit/usagekit/collector/demo"
	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/internal/testservers"
)

func TestMain(m *testing.M) { testservers.Main(m, testservers.Postgres) }

// TestFill: the demo is what its doc says — instances joining, versions
// rolling out, the feature's lift from FeatureVersion on, the broken
// release — on both databases, and the same for the same options.
func TestFill(t *testing.T) {
	set, err := generator.Load("../../definitions")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	for name, w := range warehousetest.Open(t, warehouse.Options{}) {
		t.Run(name, func(t *testing.T) {
			res, err := demo.Fill(ctx, w, set, demo.Options{Instances: 20, Weeks: 40, Now: now, SaaSUUID: "saas", RecordWeeks: 3})
			if err != nil {
				t.Fatal(err)
			}
			if res.Instances != 20 || res.Pings < 20*40/2 || res.Pings >= 20*40 || res.Records == 0 || len(res.Feature) == 0 || res.Broken == "" {
				t.Fatalf("Fill = %+v", res)
			}
			db := w.DB()
			var versions, weeks int
			db.QueryRow(`SELECT count(DISTINCT version), count(DISTINCT week) FROM pings WHERE source = 'ping'`).Scan(&versions, &weeks)
			if versions < 8 || weeks != 40 {
				t.Errorf("%d versions over %d weeks", versions, weeks)
			}
			// The broken release fails its metric in every ping of it.
			var broken, all int
			db.QueryRow(`SELECT count(*) FILTER (WHERE v.value = -1), count(*) FROM metric_values v JOIN pings p ON p.id = v.ping_id
				WHERE v.key_path = `+ph(w)+` AND p.version = `+ph2(w), res.Broken, demo.BrokenVersion).Scan(&broken, &all)
			if all == 0 || broken != all {
				t.Errorf("%s on %s: %d of %d pings fail", res.Broken, demo.BrokenVersion, broken, all)
			}
			var saas int
			db.QueryRow(`SELECT count(*) FROM pings WHERE uuid = 'saas' AND source = 'warehouse'`).Scan(&saas)
			if saas != 3 {
				t.Errorf("%d computed SaaS pings, want 3", saas)
			}
			again, err := demo.Fill(ctx, warehousetest.OpenSQLite(t, warehouse.Options{}), set, demo.Options{Instances: 20, Weeks: 40, Now: now})
			if err != nil || again.Pings != res.Pings || again.Values != res.Values {
				t.Errorf("the same options again: %+v, %v; first %+v", again, err, res)
			}
		})
	}
}

func ph(w *warehouse.Warehouse) string {
	if w.Dialect() == warehouse.Postgres {
		return "$1"
	}
	return "?"
}

func ph2(w *warehouse.Warehouse) string {
	if w.Dialect() == warehouse.Postgres {
		return "$2"
	}
	return "?"
}
