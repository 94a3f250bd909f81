package warehouse_test

import (
	"context"
	"sync"
	"testing"

	"github.com/usagekit/usagekit/collector/warehouse"
)

// TestStorePingAtOnce: the same ping sent many times at once (retries
// crossing) is stored once, with its values once, and every other send is
// told it is a duplicate.
func TestStorePingAtOnce(t *testing.T) {
	ctx := context.Background()
	for name, w := range open(t) {
		t.Run(name, func(t *testing.T) {
			const sends = 8
			var wg sync.WaitGroup
			var mu sync.Mutex
			stored, dups := 0, 0
			for range sends {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, err := w.StorePing(ctx, warehouse.Ping{Payload: []byte(pingA)})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						t.Error(err)
					case st.Duplicate:
						dups++
					default:
						stored++
					}
				}()
			}
			wg.Wait()
			var pings, values int
			w.DB().QueryRowContext(ctx, `SELECT count(*) FROM pings`).Scan(&pings)
			w.DB().QueryRowContext(ctx, `SELECT count(*) FROM metric_values`).Scan(&values)
			if stored != 1 || dups != sends-1 || pings != 1 || values != 5 {
				t.Errorf("%d stored, %d duplicates; %d pings and %d values in the warehouse; want 1, %d; 1 and 5", stored, dups, pings, values, sends-1)
			}
		})
	}
}
