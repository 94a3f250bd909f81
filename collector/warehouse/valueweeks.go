package warehouse

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/usagekit/usagekit/runtime/keys"
)

// On PostgreSQL metric_key_values is partitioned by ISO week, a partition
// created as the first ping of its week arrives (migration 00005 says
// why). A ping's week comes from the clock of its sender, so the weeks a
// ping may be of are bounded: a sender cannot make a partition for every
// week of a century.

// Bounds of a ping's recorded_at around the collector's clock.
const (
	maxPingAge    = 10 * 365 * 24 * time.Hour
	maxPingFuture = 7 * 24 * time.Hour
)

// valueWeeks remembers the weeks whose partition exists, so that a ping of
// a known week costs no statement.
type valueWeeks struct {
	mu    sync.Mutex
	known map[int32]bool
}

// weekNumber is an ISO week as metric_key_values holds it: year * 100 +
// week.
func weekNumber(wk keys.Week) int32 { return int32(wk.Year*100 + wk.Week) }

// checkRecordedAt refuses a ping recorded more than ten years before the
// collector's clock or more than a week after it.
func checkRecordedAt(at, now time.Time) error {
	if at.Before(now.Add(-maxPingAge)) || at.After(now.Add(maxPingFuture)) {
		return fieldErr(ErrBadPing, "recorded_at", "recorded_at %s: want a time within ten years before the collector's clock (%s) and a week after it",
			at.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// ensureValueWeeks creates the partitions of metric_key_values that the
// weeks of pings need and the warehouse lacks (PostgreSQL).
func (w *Warehouse) ensureValueWeeks(ctx context.Context, pings []parsedPing) error {
	if w.d.name != Postgres {
		return nil
	}
	for _, p := range pings {
		wk := keys.WeekOf(p.facts.recordedAt)
		n := weekNumber(wk)
		w.weeks.mu.Lock()
		known := w.weeks.known[n]
		w.weeks.mu.Unlock()
		if known {
			continue
		}
		// Two collectors making one partition at once: the loser's
		// error is a name taken, and a second try finds the partition.
		q := `SELECT metric_key_values_week($1)`
		if _, err := w.db.ExecContext(ctx, q, n); err != nil {
			if _, err := w.db.ExecContext(ctx, q, n); err != nil {
				return fmt.Errorf("warehouse: creating the partition of %s: %w", wk, err)
			}
		}
		w.weeks.mu.Lock()
		if w.weeks.known == nil {
			w.weeks.known = map[int32]bool{}
		}
		w.weeks.known[n] = true
		w.weeks.mu.Unlock()
	}
	return nil
}
