package metric

import (
	"context"
	"fmt"
	"time"

	"github.com/usagekit/usagekit/runtime/dbcount"
)

// database computes a database metric with the 7d/28d constraints: 28d is
// timestamp_column from 30 to 2 days ago, 7d from 9 to 2 days ago.
func (e *Engine) database(ctx context.Context, d *Descriptor) (any, error) {
	if e.db == nil {
		return nil, fmt.Errorf("%s: %w", d.KeyPath, ErrNoDatabase)
	}
	q := dbcount.Query{
		Operation:       d.Database.Operation,
		Table:           d.Database.Table,
		Column:          d.Database.Column,
		Where:           d.Database.Where,
		TimestampColumn: d.Database.TimestampColumn,
	}
	now := e.Now()
	switch d.TimeFrame {
	case Monthly:
		q.From, q.To = now.Add(-30*24*time.Hour), now.Add(-2*24*time.Hour)
	case Weekly:
		q.From, q.To = now.Add(-9*24*time.Hour), now.Add(-2*24*time.Hour)
	}
	v, err := e.db.Run(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.KeyPath, err)
	}
	return v, nil
}
