package natssink_test

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/internal/natstest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/natssink"
	"github.com/usagekit/usagekit/runtime/track"
)

// mix is the workload of runtime/track's benchmarks with two properties:
// 20 events (a total and a weekly unique count of users each), 100,000
// users drawn at random, a label of five values and a custom string
// property of three.
type mix struct {
	events []*event.Descriptor
	seq    []mixItem
}

type mixItem struct {
	ev     int32
	label  int8
	source int8
	user   event.UserID
}

const (
	mixEvents = 20
	mixUsers  = 100_000
	mixSeq    = 1 << 20
)

var (
	labels  = []string{"issue", "incident", "task", "epic", "bug"}
	sources = []string{"web", "api", "email"}
)

func newMix() *mix {
	m := &mix{}
	for i := range mixEvents {
		name := "bench_event_" + strconv.Itoa(i)
		m.events = append(m.events, &event.Descriptor{
			Name: name,
			Updates: []event.Update{
				{Kind: event.Total, Key: "{event_counters}_" + name, AllTime: true, Weekly: true},
				{Kind: event.UniqueCount, Unique: event.UniqueUser, Key: "{hll_counters}_" + name + "-user", Weekly: true},
			},
			Always: 0b11,
		})
	}
	rng := rand.New(rand.NewPCG(1, 2))
	m.seq = make([]mixItem, mixSeq)
	for i := range m.seq {
		m.seq[i] = mixItem{ev: int32(rng.IntN(mixEvents)), label: int8(rng.IntN(len(labels))),
			source: int8(rng.IntN(len(sources))), user: event.UserID(rng.IntN(mixUsers) + 1)}
	}
	return m
}

// track does what a generated Track function does with item i.
func (m *mix) track(ctx context.Context, t *track.Tracker, i int) {
	it := m.seq[i&(mixSeq-1)]
	r := event.Record{User: it.user, Label: labels[it.label]}
	if t.WantsCustom() {
		r.Custom = []event.Prop{{Name: "source", Value: event.StringValue(sources[it.source])}}
	}
	t.Track(ctx, m.events[it.ev], &r)
}

// record is item i as the pipeline would deliver it, for the baselines.
func (m *mix) record(ids *record.IDSource, i int) record.Record {
	it := m.seq[i&(mixSeq-1)]
	now := time.Now()
	return record.Record{ID: ids.New(now), OccurredAt: now, Event: m.events[it.ev].Name,
		Identifiers: record.Identifiers{User: record.Pseudonymize(secret, "user", int64(it.user))},
		Properties:  []record.Property{{Name: "label", Value: event.StringValue(labels[it.label])}, {Name: "source", Value: event.StringValue(sources[it.source])}},
		Context:     record.Context{InstanceUUID: "bench", AppName: "bench", AppVersion: "1.0", Environment: "bench", Host: "bench"}}
}

// storedRecords sums the record counts of every message of the stream,
// reading headers only.
func storedRecords(b *testing.B, nc *nats.Conn, stream string) (records, msgs uint64) {
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		b.Fatal(err)
	}
	msgs = s.CachedInfo().State.Msgs
	c, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{HeadersOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	for read := uint64(0); read < msgs; {
		batch, err := c.Fetch(int(min(500, msgs-read)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			n, _ := strconv.Atoi(m.Headers().Get(natssink.HeaderRecords))
			records += uint64(n)
			got++
		}
		if got == 0 {
			b.Fatalf("read %d of %d messages: %v", read, msgs, batch.Error())
		}
		read += uint64(got)
	}
	return records, msgs
}

// streamBytes is the bytes the stream keeps.
func streamBytes(b *testing.B, nc *nats.Conn, stream string) uint64 {
	js, _ := jetstream.New(nc)
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		b.Fatal(err)
	}
	return s.CachedInfo().State.Bytes
}

// BenchmarkRecordsJetStream tracks b.N events of the mix with a record
// pipeline into JetStream (the NATS server at NATS_URL, file storage),
// closes the tracker, and checks from the stream that every record is
// stored; it reports records per second, end to end, and the bytes the
// stream keeps per record. The pipeline has room to hold the backlog
// (1 GiB): a producer in a tight loop outruns any store. pipeline is the
// sink's default (Snappy); pipeline-uncompressed sends JSON lines as they
// are. The baselines publish the same records one message each,
// asynchronously, and synchronously (waiting for each acknowledgement);
// preencoded is the server's ceiling for uncompressed records: they are
// encoded into 1 MiB messages before the timer starts, and only publishing
// them and waiting for the acknowledgements is timed.
func BenchmarkRecordsJetStream(b *testing.B) {
	m := newMix()
	nc := natstest.Connect(b, "")
	ctx := context.Background()
	for _, c := range []struct {
		name        string
		compression natssink.Compression
	}{{"pipeline", natssink.Snappy}, {"pipeline-uncompressed", natssink.NoCompression}} {
		b.Run(c.name, func(b *testing.B) {
			stream, subject := natstest.Names(b, nc)
			_, p := newPipeline(b, nc, natssink.Options{Stream: stream, Subject: subject, Compression: c.compression},
				record.Options{MaxPendingBytes: 1 << 30, Context: record.Context{AppName: "bench"}})
			b.ReportAllocs()
			b.ResetTimer()
			tr := track.New(track.Options{Records: p})
			for i := range b.N {
				m.track(ctx, tr, i)
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := tr.Close(cctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if s := p.Stats(); s.Sent != uint64(b.N) || s.Dropped != 0 {
				b.Fatalf("pipeline stats %+v after %d events", s, b.N)
			}
			records, msgs := storedRecords(b, nc, stream)
			if records != uint64(b.N) {
				b.Fatalf("the stream holds %d records in %d messages, want %d", records, msgs, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(b.N)/float64(msgs), "records/msg")
			b.ReportMetric(float64(streamBytes(b, nc, stream))/float64(b.N), "bytes/record")
		})
	}
	baseline := func(b *testing.B, publish func(js jetstream.JetStream, subject string, data []byte, id string) error, wait func(js jetstream.JetStream) error) {
		stream, subject := natstest.Names(b, nc)
		js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
		if _, err := natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: subject}); err != nil {
			b.Fatal(err)
		}
		var ids record.IDSource
		var buf []byte
		b.ReportAllocs()
		b.ResetTimer()
		for i := range b.N {
			r := m.record(&ids, i)
			buf = r.AppendJSON(buf[:0])
			data := append([]byte(nil), buf...) // the client may publish it again
			if err := publish(js, subject+"."+r.Event, data, r.ID.String()); err != nil {
				b.Fatal(err)
			}
		}
		if err := wait(js); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s, err := js.Stream(ctx, stream)
		if err != nil {
			b.Fatal(err)
		}
		if n := s.CachedInfo().State.Msgs; n != uint64(b.N) {
			b.Fatalf("the stream holds %d records, want %d", n, b.N)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	}
	b.Run("async-per-record", func(b *testing.B) {
		baseline(b, func(js jetstream.JetStream, subject string, data []byte, id string) error {
			_, err := js.PublishAsync(subject, data, jetstream.WithMsgID(id))
			return err
		}, func(js jetstream.JetStream) error {
			select {
			case <-js.PublishAsyncComplete():
				return nil
			case <-time.After(time.Minute):
				return context.DeadlineExceeded
			}
		})
	})
	b.Run("preencoded", func(b *testing.B) {
		stream, subject := natstest.Names(b, nc)
		js, _ := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(1024))
		if _, err := natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: subject}); err != nil {
			b.Fatal(err)
		}
		var ids record.IDSource
		var msgs [][]byte
		var body, line []byte
		for i := range b.N {
			r := m.record(&ids, i)
			line = append(r.AppendJSON(line[:0]), '\n')
			if len(body)+len(line) > 1<<20-4<<10 && len(body) > 0 {
				msgs, body = append(msgs, body), nil
			}
			body = append(body, line...)
		}
		msgs = append(msgs, body)
		b.ReportAllocs()
		b.ResetTimer()
		for i, data := range msgs {
			if _, err := js.PublishAsync(subject+".all", data, jetstream.WithMsgID("pre."+strconv.Itoa(i))); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(time.Minute):
			b.Fatal("acknowledgements did not come within a minute")
		}
		b.StopTimer()
		s, err := js.Stream(ctx, stream)
		if err != nil {
			b.Fatal(err)
		}
		if n := s.CachedInfo().State.Msgs; n != uint64(len(msgs)) {
			b.Fatalf("the stream holds %d messages, want %d", n, len(msgs))
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(s.CachedInfo().State.Bytes)/float64(b.N), "bytes/record")
	})
	b.Run("sync-per-record", func(b *testing.B) {
		baseline(b, func(js jetstream.JetStream, subject string, data []byte, id string) error {
			_, err := js.Publish(ctx, subject, data, jetstream.WithMsgID(id))
			return err
		}, func(jetstream.JetStream) error { return nil })
	})
}

// BenchmarkTrackJetStream is runtime/track's BenchmarkTrack with a record
// pipeline into JetStream: the cost of a Track call to its caller, while
// the pipeline sends in the background on the same cores. As there, the
// buffers are flushed every 2^20 events with the timer stopped, counts and
// records both, so that every round starts as a process whose pipeline
// keeps up does: a loop of calls outruns any store, and a backlog growing
// for the whole run would charge its fresh memory, page faults and
// collections to the calls. Within a round records flow on their own, and
// the pipeline works through the round's backlog beside the calls. As
// there too, an untimed first round puts the buffers in place, as in a
// process that has been tracking for a while.
func BenchmarkTrackJetStream(b *testing.B) {
	m := newMix()
	nc := natstest.Connect(b, "")
	ctx := context.Background()
	const round = 1 << 20
	for _, g := range []int{1, 2} {
		b.Run(strconv.Itoa(g)+"goroutines", func(b *testing.B) {
			stream, subject := natstest.Names(b, nc)
			_, p := newPipeline(b, nc, natssink.Options{Stream: stream, Subject: subject},
				record.Options{MaxPendingBytes: 1 << 30})
			tr := track.New(track.Options{FlushInterval: -1, MaxPendingBytes: 1 << 40, Records: p})
			for i := range round {
				m.track(ctx, tr, i*7919)
			}
			if err := tr.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			if err := p.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for start := 0; start < b.N; start += round {
				end := min(b.N, start+round)
				var wg sync.WaitGroup
				for w := range g {
					wg.Go(func() {
						for i := start + w; i < end; i += g {
							m.track(ctx, tr, i*7919)
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				if err := tr.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				if err := p.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			if err := tr.Close(cctx); err != nil {
				b.Fatal(err)
			}
			if s := p.Stats(); s.Dropped != 0 || s.Sent != uint64(round+b.N) {
				b.Fatalf("pipeline stats %+v after %d events", s, b.N)
			}
		})
	}
}
