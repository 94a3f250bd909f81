package loader_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/collector/internal/warehousetest"
	"github.com/usagekit/usagekit/collector/loader"
	"github.com/usagekit/usagekit/collector/warehouse"
	"github.com/usagekit/usagekit/internal/natstest"
	"github.com/usagekit/usagekit/internal/testservers"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/natssink"
	"github.com/usagekit/usagekit/runtime/track"
)

func TestMain(m *testing.M) { testservers.Main(m, testservers.NATS, testservers.Postgres) }

var secret = []byte("loader-test-secret-0123456789abc")

var events = func() []*event.Descriptor {
	var ds []*event.Descriptor
	for _, name := range []string{"create_issue", "close_issue", "push_to_repository"} {
		ds = append(ds, &event.Descriptor{Name: name, Updates: []event.Update{{Kind: event.Total, Key: "{event_counters}_" + name, AllTime: true}}, Always: 1})
	}
	return ds
}()

// fill tracks n events through a tracker whose records go to a new stream
// of the test's own, in messages of at most 16 KiB so that the stream
// holds many, and returns the stream's name.
func fill(t testing.TB, nc *nats.Conn, n int) string {
	return fillMessages(t, nc, n, 16<<10)
}

// fillMessages is fill with messages of up to maxBytes.
func fillMessages(t testing.TB, nc *nats.Conn, n, maxBytes int) string {
	t.Helper()
	stream, subject := natstest.Names(t, nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sink, err := natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: subject, MaxMessageBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	p, err := record.New(sink, record.Options{Secret: secret, FlushInterval: -1, MaxBatchRecords: 1000, MaxPendingBytes: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	tr := track.New(track.Options{FlushInterval: -1, Records: p})
	for i := range n {
		r := event.Record{User: event.UserID(i%500 + 1), Label: "l" + strconv.Itoa(i%7),
			Custom: []event.Prop{{Name: "seq", Value: event.IntValue(int64(i))}}}
		tr.Track(ctx, events[i%len(events)], &r)
		if i%100_000 == 99_999 {
			if err := tr.Flush(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tr.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if s := p.Stats(); s.Sent != uint64(n) {
		t.Fatalf("the pipeline sent %d records of %d: %+v", s.Sent, n, s)
	}
	return stream
}

// counts returns how many records the warehouse holds and how many
// distinct "seq" properties they carry.
func counts(t *testing.T, w *warehouse.Warehouse) (rows, distinct int) {
	t.Helper()
	var q string
	if w.Dialect() == warehouse.Postgres {
		q = `SELECT count(*), count(DISTINCT properties->>'seq') FROM records`
	} else {
		q = `SELECT count(*), count(DISTINCT json_extract(properties, '$.seq')) FROM records`
	}
	if err := w.DB().QueryRow(q).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	return rows, distinct
}

// drain runs loaders until the warehouse holds want records and the
// consumer has every message acknowledged, or fails the test after a
// minute.
func drain(t *testing.T, w *warehouse.Warehouse, want int, js jetstream.JetStream, stream, consumer string, ls ...*loader.Loader) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, l := range ls {
		wg.Go(func() { l.Run(ctx) })
	}
	defer func() { cancel(); wg.Wait() }()
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		rows, _ := counts(t, w)
		info, err := c.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if rows >= want && info.NumPending == 0 && info.NumAckPending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a minute: %d records loaded, want %d; %d messages pending, %d unacknowledged", rows, want, info.NumPending, info.NumAckPending)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newLoader(t testing.TB, js jetstream.JetStream, store loader.Store, opt loader.Options) *loader.Loader {
	t.Helper()
	l, err := loader.New(context.Background(), js, store, opt)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// Records tracked by an application reach both warehouses, each once, and
// every message is acknowledged.
func TestLoadsEveryRecordOnce(t *testing.T) {
	const n = 20_000
	nc := natstest.Connect(t, "")
	js, _ := jetstream.New(nc)
	stream := fill(t, nc, n)
	for name, w := range warehousetest.Open(t, warehouse.Options{}) {
		t.Run(name, func(t *testing.T) {
			// A consumer per warehouse: each reads the whole stream.
			l := newLoader(t, js, w, loader.Options{Stream: stream, Consumer: "c-" + name, Batch: 16, MaxWait: 200 * time.Millisecond})
			drain(t, w, n, js, stream, "c-"+name, l)
			if rows, distinct := counts(t, w); rows != n || distinct != n {
				t.Errorf("%d rows, %d distinct records, want %d of each", rows, distinct, n)
			}
			if s := l.Stats(); s.Records != n || s.Stored != n || s.Poison != 0 {
				t.Errorf("stats %+v, want %d records read and stored", s, n)
			}
		})
	}
}

// dying stores its first batch and then never returns, as a collector
// killed between its commit and its acknowledgements; its messages come
// again after AckWait.
type dying struct {
	store  loader.Store
	died   atomic.Bool
	stored chan int
	stop   chan struct{}
}

func (d *dying) StoreRecords(ctx context.Context, rs []warehouse.Record) (int, error) {
	if d.died.Swap(true) {
		<-d.stop
		return 0, errors.New("dead")
	}
	n, err := d.store.StoreRecords(ctx, rs)
	if err != nil {
		n = 0
	}
	d.stored <- n
	<-d.stop // killed: no acknowledgement ever
	return 0, errors.New("dead")
}

// A loader killed after committing a batch and before acknowledging it,
// and another that takes over the same durable consumer: nothing lost,
// nothing stored twice. A store that fails before committing gets its
// messages again.
func TestKilledMidBatch(t *testing.T) {
	const n = 6_000
	nc := natstest.Connect(t, "")
	js, _ := jetstream.New(nc)
	stream := fill(t, nc, n)
	for name, w := range warehousetest.Open(t, warehouse.Options{}) {
		t.Run(name, func(t *testing.T) {
			consumer := "c-" + name
			opt := loader.Options{Stream: stream, Consumer: consumer, Batch: 8, MaxWait: 200 * time.Millisecond, AckWait: 2 * time.Second}
			d := &dying{store: w, stored: make(chan int, 1), stop: make(chan struct{})}
			defer close(d.stop)
			victim := newLoader(t, js, d, opt)
			ctx, kill := context.WithCancel(context.Background())
			go victim.Once(ctx)
			first := <-d.stored
			kill()
			if first == 0 {
				t.Fatal("the first batch stored nothing")
			}

			// A store that fails before it commits: the loader reports it
			// and the messages are delivered again.
			var failures atomic.Int32
			flaky := storeFunc(func(ctx context.Context, rs []warehouse.Record) (int, error) {
				if failures.Add(1) <= 3 {
					return 0, errors.New("connection reset")
				}
				return w.StoreRecords(ctx, rs)
			})
			var reported []string
			var mu sync.Mutex
			opt.ErrorHandler = func(err error) { mu.Lock(); reported = append(reported, err.Error()); mu.Unlock() }
			heir := newLoader(t, js, flaky, opt)
			drain(t, w, n, js, stream, consumer, heir)
			if rows, distinct := counts(t, w); rows != n || distinct != n {
				t.Errorf("%d rows, %d distinct records, want %d of each", rows, distinct, n)
			}
			if s := heir.Stats(); s.Stored != n-first || s.Records < n-first {
				t.Errorf("the second loader stored %d records (read %d), want %d: the rest were stored by the first", s.Stored, s.Records, n-first)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(reported) != 3 || !strings.Contains(reported[0], "connection reset") {
				t.Errorf("reported %q, want the three failed stores", reported)
			}
		})
	}
}

// Two loaders sharing one durable consumer split the stream between them
// and store each record once.
func TestSharedConsumer(t *testing.T) {
	const n = 10_000
	nc := natstest.Connect(t, "")
	js, _ := jetstream.New(nc)
	stream := fill(t, nc, n)
	w := warehousetest.OpenPostgres(t, warehouse.Options{})
	opt := loader.Options{Stream: stream, Consumer: "shared", Batch: 4, MaxWait: 100 * time.Millisecond}
	a, b := newLoader(t, js, w, opt), newLoader(t, js, w, opt)
	drain(t, w, n, js, stream, "shared", a, b)
	if rows, distinct := counts(t, w); rows != n || distinct != n {
		t.Errorf("%d rows, %d distinct records, want %d of each", rows, distinct, n)
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.Stored+sb.Stored != n || sa.Messages == 0 || sb.Messages == 0 {
		t.Errorf("loaders stored %d and %d records from %d and %d messages: want %d in all, from both", sa.Stored, sb.Stored, sa.Messages, sb.Messages, n)
	}
}

// A message no retry can load is terminated and reported; the records
// around it are loaded.
func TestPoisonMessage(t *testing.T) {
	nc := natstest.Connect(t, "")
	js, _ := jetstream.New(nc)
	stream := fill(t, nc, 300)
	ctx := context.Background()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	subject := strings.TrimSuffix(s.CachedInfo().Config.Subjects[0], ">") + "create_issue"
	for _, m := range []struct{ body, encoding string }{
		{`not json`, ""},
		{`{"id": "x", "occurred_at": "2026-11-25T12:00:00Z", "event": "a"}`, ""},
		{"\xff\xff\xff\xff\x0fsnappy of nothing", "snappy"},
		{`{}`, "br"},
	} {
		msg := &nats.Msg{Subject: subject, Data: []byte(m.body), Header: nats.Header{}}
		if m.encoding != "" {
			msg.Header.Set(natssink.HeaderEncoding, m.encoding)
		}
		if _, err := js.PublishMsg(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	w := warehousetest.OpenSQLite(t, warehouse.Options{})
	var reported []string
	var mu sync.Mutex
	l := newLoader(t, js, w, loader.Options{Stream: stream, ErrorHandler: func(err error) {
		mu.Lock()
		reported = append(reported, err.Error())
		mu.Unlock()
	}})
	drain(t, w, 300, js, stream, "usagekit-collector", l)
	mu.Lock()
	defer mu.Unlock()
	want := []string{
		"loader: message " + subject + " dropped: line 1: invalid character 'o' in literal null (expecting 'u')",
		"loader: message " + subject + ` dropped: line 1: id "x": want a UUID`,
		"loader: message " + subject + " dropped: natssink: unreadable message body: a snappy block of 22 bytes says it holds 4294967295, more than 8388608",
		"loader: message " + subject + ` dropped: natssink: unreadable message body: Content-Encoding "br", want "snappy" or none`,
	}
	if strings.Join(reported, "\n") != strings.Join(want, "\n") {
		t.Errorf("reported\n%s\nwant\n%s", strings.Join(reported, "\n"), strings.Join(want, "\n"))
	}
	if st := l.Stats(); st.Poison != 4 || st.Stored != 300 {
		t.Errorf("stats %+v, want 4 poison messages and 300 records", st)
	}
}

// A consumer on a stream that does not exist is an error naming both.
func TestNoStream(t *testing.T) {
	nc := natstest.Connect(t, "")
	js, _ := jetstream.New(nc)
	_, err := loader.New(context.Background(), js, nil, loader.Options{Stream: "NO_SUCH_STREAM_" + strconv.Itoa(time.Now().Nanosecond())})
	if err == nil || !strings.HasPrefix(err.Error(), "loader: consumer usagekit-collector of stream NO_SUCH_STREAM_") || !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("New on a missing stream: %v", err)
	}
}

type storeFunc func(ctx context.Context, rs []warehouse.Record) (int, error)

func (f storeFunc) StoreRecords(ctx context.Context, rs []warehouse.Record) (int, error) {
	return f(ctx, rs)
}
