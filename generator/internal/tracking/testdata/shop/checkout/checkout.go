// Package checkout places orders and shows the cart.
package checkout

import (
	"context"

	"github.com/usagekit/usagekit/runtime/event"

	"example.com/shop/internal/usage"
)

// PlaceOrder places an order for a customer.
func PlaceOrder(ctx context.Context, customer int64) {
	usage.TrackPlaceOrder(ctx, event.UserID(customer))
}

// viewed is called when a customer opens the cart; the Track function is
// passed as a value, which counts as tracking too.
var viewed = usage.TrackViewCart

// ViewCart shows the cart.
func ViewCart(ctx context.Context, customer int64) {
	viewed(ctx, event.UserID(customer))
}
