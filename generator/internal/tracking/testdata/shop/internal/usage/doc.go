// Package usage is the typed usage tracking generated from the shop's
// definitions.
package usage

//go:generate go tool usagekit generate --definitions ../../definitions --out .
