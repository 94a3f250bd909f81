// Package api is the shop's track endpoint: browsers send event names.
package api

import "context"

// Track tracks the event called name for the signed-in customer.
func Track(ctx context.Context, name string) {}

// Pages track what the browser reports; the names are constants.
func Pages(ctx context.Context, dynamic string) {
	Track(ctx, "place_order")
	Track(ctx, "plcae_order")
	Track(ctx, "refund_order")
	Track(ctx, dynamic) // known at run time only: not judged
}
