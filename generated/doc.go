// Package generated is the typed tracking and metrics API generated from the
// definitions in ../definitions: one Track function per active event, whose
// parameters make a wrong identifier or property a compile error; the event
// registry (Events); a descriptor and a typed calculator per metric
// (Metrics); and the Instrumentation interface the application implements
// for the metrics only it can compute. Beside them, usage.ts is the browser
// client of the same events, for the track endpoint (runtime/trackapi).
//
// Every other file of this package is generated: edit the definitions and
// run "make generate" (or "go generate" here). "make test" fails when these
// files are stale.
package generated

//go:generate go run ../generator/cmd/usagekit generate --definitions ../definitions --out . --ts usage.ts
