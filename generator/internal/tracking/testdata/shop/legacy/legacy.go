// Package legacy still refunds through an event that was removed, whose
// Track function is gone, and cancels through a misspelt one: it no longer
// compiles.
package legacy

import (
	"context"

	"github.com/usagekit/usagekit/runtime/event"

	"example.com/shop/internal/usage"
)

// Refund refunds an order.
func Refund(ctx context.Context, customer int64) {
	usage.TrackRefundOrder(ctx, event.UserID(customer))
}

// Cancel cancels an order; the Track function's name is misspelt.
func Cancel(ctx context.Context, customer int64) {
	usage.TrackCancelOrdr(ctx, event.UserID(customer))
}
