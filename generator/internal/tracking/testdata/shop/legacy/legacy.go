// Package legacy still refunds through an event that was removed; its
// Track function is gone, so this no longer compiles.
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
