package record

import (
	"strconv"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

// BenchmarkEncode measures what a flush does per record of the benchmark
// mix (a user, a label, a custom string property): decode its frame,
// pseudonymize, and write its JSON form.
func BenchmarkEncode(b *testing.B) {
	const n = 4096
	var frames []byte
	var ids IDSource
	labels := []string{"issue", "incident", "task", "epic", "bug"}
	at := time.Now()
	for i := range n {
		r := event.Record{User: event.UserID(i*7919%100_000 + 1), Label: labels[i%5],
			Custom: []event.Prop{{Name: "source", Value: "web"}}}
		frames = appendFrame(frames, ids.New(at), at.Add(time.Duration(i)*time.Microsecond), "bench_event_"+strconv.Itoa(i%20), &r)
	}
	s := string(frames)
	names := newPseudonyms([]byte("0123456789abcdef0123"), false)
	ctx := Context{InstanceUUID: "c0ffee00-0000-4000-8000-000000000001", AppName: "bench", AppVersion: "1.0", Environment: "production", Host: "web-1"}
	recs := make([]Record, 0, n)
	var props []Property
	var fe []string
	var out []byte
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; done += n {
		recs, props, fe = recs[:0], props[:0], fe[:0]
		rd := frameReader{s: s}
		for rd.pos < len(s) {
			recs = append(recs, Record{})
			props, fe = rd.decode(&recs[len(recs)-1], names, &ctx, props, fe)
		}
		bt := &Batch{Records: recs, ctxJSON: appendContext(nil, &ctx)}
		out = out[:0]
		for i := range recs {
			out = append(bt.AppendJSON(out, i), '\n')
		}
	}
	b.ReportMetric(float64(len(out))/n, "bytes/record")
}
