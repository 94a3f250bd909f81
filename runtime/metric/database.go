package metric

import (
	"context"
	"fmt"
)

// database computes a database metric over its time frame's window.
func (e *Engine) database(ctx context.Context, d *Descriptor) (any, error) {
	if e.db == nil {
		return nil, fmt.Errorf("%s: %w", d.KeyPath, ErrNoDatabase)
	}
	v, err := e.db.Run(ctx, *d.Database, d.TimeFrame.DatabaseWindow(e.Now()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.KeyPath, err)
	}
	return v, nil
}
