package record

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

// BenchmarkEncode measures what a flush does per record of the benchmark
// mix (a user, a label, a custom string property): pseudonymize, and
// write its JSON form from its frame.
func BenchmarkEncode(b *testing.B) {
	const n = 4096
	var frames []byte
	var ids IDSource
	labels := []string{"issue", "incident", "task", "epic", "bug"}
	at := time.Now()
	for i := range n {
		r := event.Record{User: event.UserID(i*7919%100_000 + 1), Label: labels[i%5],
			Custom: []event.Prop{{Name: "source", Value: event.StringValue("web")}}}
		frames = appendFrame(frames, ids.New(at), at.Add(time.Duration(i)*time.Microsecond), "bench_event_"+strconv.Itoa(i%20), &r)
	}
	ctx := Context{InstanceUUID: "c0ffee00-0000-4000-8000-000000000001", AppName: "bench", AppVersion: "1.0", Environment: "production", Host: "web-1"}
	fb := &frameBatch{in: newInterner(), ctx: &ctx}
	names := newPseudonyms([]byte("0123456789abcdef0123"), false)
	var out []byte
	s := string(frames)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		fb.prepare(s, names)
		bt := &Batch{fb: fb, ctxJSON: appendContext(nil, &ctx)}
		out = out[:0]
		for i := range bt.Len() {
			out = append(bt.AppendJSON(out, i), '\n')
		}
	}
	b.ReportMetric(float64(len(out))/n, "bytes/record")
}

// BenchmarkFlush measures a flush's own work per record, without a
// network: records of the benchmark mix (20 events, users drawn from
// 100,000, a label and a custom string property) are added with the timer
// stopped, then a flush gathers them, groups them by event, decodes,
// pseudonymizes and writes each record's JSON line, as natssink does.
func BenchmarkFlush(b *testing.B) {
	const round = 1 << 16
	var out []byte
	sink := SinkFunc(func(_ context.Context, bt *Batch) error {
		out = out[:0]
		for i := range bt.Len() {
			out = append(bt.AppendJSON(out, i), '\n')
		}
		return nil
	})
	p, err := New(sink, Options{Secret: []byte("0123456789abcdef0123"), FlushInterval: -1, MaxPendingBytes: 1 << 30,
		Context: Context{InstanceUUID: "c0ffee00-0000-4000-8000-000000000001", AppName: "bench", AppVersion: "1.0", Environment: "production", Host: "web-1"}})
	if err != nil {
		b.Fatal(err)
	}
	labels := []string{"issue", "incident", "task", "epic", "bug"}
	sources := []string{"web", "api", "email"}
	var names []string
	for i := range 20 {
		names = append(names, "bench_event_"+strconv.Itoa(i))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		b.StopTimer()
		for range min(round, b.N-done) {
			r := event.Record{User: event.UserID(rng.IntN(100_000) + 1), Label: labels[rng.IntN(len(labels))],
				Custom: []event.Prop{{Name: "source", Value: event.StringValue(sources[rng.IntN(len(sources))])}}}
			p.Add(names[rng.IntN(len(names))], &r, time.Now())
		}
		b.StartTimer()
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAdd measures a record's share of a Track call: Add of the
// benchmark mix into its processor's buffer, with the flush (into a sink
// that discards) done with the timer stopped every 2^16 records, after an
// untimed first round. The records are made beforehand, so that only Add
// is timed.
func BenchmarkAdd(b *testing.B) {
	const round = 1 << 16
	p, err := New(SinkFunc(func(context.Context, *Batch) error { return nil }),
		Options{Secret: []byte("0123456789abcdef0123"), FlushInterval: -1, MaxPendingBytes: 1 << 30})
	if err != nil {
		b.Fatal(err)
	}
	labels := []string{"issue", "incident", "task", "epic", "bug"}
	sources := []string{"web", "api", "email"}
	names := make([]string, 20)
	for i := range names {
		names[i] = "bench_event_" + strconv.Itoa(i)
	}
	type item struct {
		name string
		r    event.Record
	}
	rng := rand.New(rand.NewPCG(1, 2))
	items := make([]item, round)
	props := make([]event.Prop, round)
	for i := range items {
		props[i] = event.Prop{Name: "source", Value: event.StringValue(sources[rng.IntN(len(sources))])}
		items[i] = item{names[rng.IntN(len(names))], event.Record{User: event.UserID(rng.IntN(100_000) + 1),
			Label: labels[rng.IntN(len(labels))], Custom: props[i : i+1 : i+1]}}
	}
	ctx := context.Background()
	at := time.Now()
	for i := range items {
		p.Add(items[i].name, &items[i].r, at)
	}
	if err := p.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += round {
		for i := range min(round, b.N-done) {
			p.Add(items[i].name, &items[i].r, at)
		}
		b.StopTimer()
		if err := p.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
