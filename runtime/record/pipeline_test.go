package record_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
)

var secret = []byte("0123456789abcdef-test-secret")

// memSink keeps every batch it accepts, as JSON lines, and fails or
// rejects while told to.
type memSink struct {
	mu      sync.Mutex
	batches []sentBatch
	calls   int
	fail    error
}

type sentBatch struct {
	id      record.ID
	records []record.Record
	json    string
}

func (s *memSink) Send(_ context.Context, b *record.Batch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	var buf []byte
	recs := make([]record.Record, b.Len())
	for i := range b.Len() {
		buf = append(b.AppendJSON(buf, i), '\n')
		recs[i] = *b.Record(i)
		recs[i].Properties = slices.Clone(recs[i].Properties)
		recs[i].Identifiers.FeatureEnabledByNamespaces = slices.Clone(recs[i].Identifiers.FeatureEnabledByNamespaces)
	}
	s.batches = append(s.batches, sentBatch{b.ID, recs, string(buf)})
	return s.fail
}

func (s *memSink) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *memSink) records() []record.Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []record.Record
	for _, b := range s.batches {
		out = append(out, b.records...)
	}
	return out
}

func hmacHex(key []byte, msg string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func TestNewRefusesOptions(t *testing.T) {
	sink := &memSink{}
	for _, c := range []struct {
		name string
		sink record.Sink
		opts record.Options
		want string
	}{
		{"neither secret nor raw", sink, record.Options{},
			"record: invalid options: no Secret to pseudonymize identifiers with, and RawIdentifiers not set"},
		{"both", sink, record.Options{Secret: secret, RawIdentifiers: true},
			"record: invalid options: Secret and RawIdentifiers both set: identifiers are either pseudonymized or raw"},
		{"short secret", sink, record.Options{Secret: []byte("short")},
			"record: invalid options: Secret has 5 bytes, want at least 16"},
		{"no sink", nil, record.Options{Secret: secret},
			"record: invalid options: no sink"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, err := record.New(c.sink, c.opts)
			if p != nil || err == nil || err.Error() != c.want || !errors.Is(err, record.ErrOptions) {
				t.Errorf("New: %v, %v; want %s", p, err, c.want)
			}
		})
	}
}

var issue = "create_issue"

func addIssue(p *record.Pipeline, user event.UserID, at time.Time) {
	r := event.Record{User: user, Project: 70, Label: "incident", HasValue: true, Value: 1.5,
		Custom: []event.Prop{{Name: "weight", Value: event.IntValue(3)}, {Name: "source", Value: event.StringValue("web")}}}
	p.Add(issue, &r, at)
}

func TestPseudonymizedByDefault(t *testing.T) {
	sink := &memSink{}
	p, err := record.New(sink, record.Options{Secret: secret, FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 5, time.UTC)
	addIssue(p, 42, at)
	r := event.Record{Namespace: 9, FeatureEnabledByNamespaceIDs: []event.NamespaceID{9, 10}}
	p.Add("other", &r, at)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := sink.records()
	if len(recs) != 2 {
		t.Fatalf("%d records", len(recs))
	}
	// Records of one batch come in no set order: each processor keeps its
	// own buffer.
	if recs[0].Event != issue {
		recs[0], recs[1] = recs[1], recs[0]
	}
	// Computed here with crypto/hmac, independently of the package.
	user42, project70 := hmacHex(secret, "user:42"), hmacHex(secret, "project:70")
	// And pinned: openssl dgst -sha256 -hmac <secret> of "user:42".
	if user42 != "19aa2daa7a222ea869f7d3adaa9ffee9161ff1693f14e92cbb275420d0fa0a25" {
		t.Fatalf("HMAC-SHA256 of user:42 is %s", user42)
	}
	id := recs[0].Identifiers
	if id.User != user42 || id.Project != project70 || id.Namespace != "" {
		t.Errorf("identifiers %+v, want user %s project %s", id, user42, project70)
	}
	if record.Pseudonymize(secret, "user", 42) != user42 {
		t.Errorf("Pseudonymize disagrees with HMAC-SHA256 of \"user:42\"")
	}
	ns9, ns10 := hmacHex(secret, "namespace:9"), hmacHex(secret, "namespace:10")
	if id := recs[1].Identifiers; id.Namespace != ns9 || !slices.Equal(id.FeatureEnabledByNamespaces, []string{ns9, ns10}) {
		t.Errorf("namespace identifiers %+v", id)
	}
	if strings.Contains(sink.batches[0].json, `"42"`) || strings.Contains(sink.batches[0].json, ":42") {
		t.Errorf("raw id in pseudonymized JSON: %s", sink.batches[0].json)
	}
}

func TestRawIdentifiers(t *testing.T) {
	sink := &memSink{}
	p, err := record.New(sink, record.Options{RawIdentifiers: true, FlushInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	addIssue(p, 42, time.Now())
	p.Close(context.Background())
	if id := sink.records()[0].Identifiers; id.User != "42" || id.Project != "70" || id.Namespace != "" {
		t.Errorf("raw identifiers %+v", id)
	}
}

// Records carry exactly what the tracker passed: the time, the action,
// the built-in properties that were set, the custom ones in order, and
// the context of the options.
func TestRecordFields(t *testing.T) {
	sink := &memSink{}
	ctxOpt := record.Context{InstanceUUID: "c0ffee00-0000-4000-8000-000000000001", AppName: "shop", AppVersion: "2.1.0",
		Environment: "staging", Host: "web-3"}
	p, err := record.New(sink, record.Options{RawIdentifiers: true, FlushInterval: -1, Context: ctxOpt})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC)
	addIssue(p, 42, at)
	bare := event.Record{}
	p.Add("bare", &bare, at.Add(time.Second))
	p.Close(context.Background())
	b := sink.batches[0]
	// Records of two processors' buffers come in either order; their
	// time-ordered ids put them back in order.
	lines := strings.Split(strings.TrimSuffix(b.json, "\n"), "\n")
	slices.Sort(lines)
	slices.SortFunc(b.records, func(x, y record.Record) int { return x.OccurredAt.Compare(y.OccurredAt) })
	id0, id1 := b.records[0].ID, b.records[1].ID
	want := []string{
		`{"id":"` + id0.String() + `","occurred_at":"2026-11-25T10:00:00.123456789Z","event":"create_issue",` +
			`"identifiers":{"user":"42","project":"70"},"properties":{"label":"incident","value":1.5,"weight":3,"source":"web"},` +
			`"context":{"instance_uuid":"c0ffee00-0000-4000-8000-000000000001","app_name":"shop","app_version":"2.1.0","environment":"staging","host":"web-3"}}`,
		`{"id":"` + id1.String() + `","occurred_at":"2026-11-25T10:00:01.123456789Z","event":"bare",` +
			`"identifiers":{},"properties":{},` +
			`"context":{"instance_uuid":"c0ffee00-0000-4000-8000-000000000001","app_name":"shop","app_version":"2.1.0","environment":"staging","host":"web-3"}}`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("records\n got %s\nwant %s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if id0.Version() != 7 || id0.Time().Sub(at).Abs() > 245*time.Nanosecond {
		t.Errorf("id %s made at %v, want a UUIDv7 of %v", id0, id0.Time(), at)
	}
}

// Records get their ids when they are flushed, and the ids of one
// processor's buffer sort in the order its records were added, even at
// one instant and across events that the flush groups apart. With one
// processor every record goes to one buffer.
func TestIDsSortInAddOrder(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	sink := &memSink{}
	p, err := record.New(sink, record.Options{RawIdentifiers: true, FlushInterval: -1, MaxBatchRecords: 100})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	const n = 1000
	names := []string{"create_issue", "close_issue", "push"}
	for i := range n {
		p.Add(names[i%len(names)], &event.Record{User: event.UserID(i + 1)}, at)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs := sink.records()
	if len(recs) != n {
		t.Fatalf("%d records delivered, want %d", len(recs), n)
	}
	byUser := make([]record.ID, n+1)
	for _, r := range recs {
		var user int
		fmt.Sscan(r.Identifiers.User, &user)
		if r.ID.Version() != 7 || byUser[user] != (record.ID{}) {
			t.Fatalf("record of user %d has id %s (version %d), or a second record", user, r.ID, r.ID.Version())
		}
		byUser[user] = r.ID
	}
	for u := 2; u <= n; u++ {
		if slices.Compare(byUser[u-1][:], byUser[u][:]) >= 0 {
			t.Fatalf("id %s of record %d does not sort after %s of record %d", byUser[u], u, byUser[u-1], u-1)
		}
	}
	if d := byUser[1].Time().Sub(at); d < 0 || d > time.Microsecond {
		t.Errorf("first id made at %v, want %v", byUser[1].Time(), at)
	}
}

// A failed batch is sent again with the same id and the same bytes, so a
// sink keyed on them stores it once.
func TestRetrySendsTheSameBatch(t *testing.T) {
	sink := &memSink{fail: errors.New("connection refused")}
	var reports []error
	p, err := record.New(sink, record.Options{Secret: secret, FlushInterval: -1, MaxBatchRecords: 3,
		ErrorHandler: func(err error) { reports = append(reports, err) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 7 {
		addIssue(p, event.UserID(i+1), time.Now())
	}
	err = p.Flush(ctx)
	if want := "record: send failed: 7 records kept for the next flush: connection refused"; err == nil || err.Error() != want || !errors.Is(err, record.ErrSend) {
		t.Fatalf("flush: %v, want %s", err, want)
	}
	if s := p.Stats(); s.Added != 7 || s.Sent != 0 || s.Pending != 7 || s.SendErrors != 1 || s.PendingBytes == 0 {
		t.Errorf("after the failure: %+v", s)
	}
	first := sink.batches[0]
	sink.setFail(nil)
	addIssue(p, 8, time.Now()) // new records go after the kept ones
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sink.batches) != 5 {
		t.Fatalf("%d sends, want 1 failed + 4 (the kept 3+3+1 records, then the new one)", len(sink.batches))
	}
	if again := sink.batches[1]; again.id != first.id || again.json != first.json {
		t.Errorf("retry differs:\n%s %s\n%s %s", first.id, first.json, again.id, again.json)
	}
	if got := []int{len(sink.batches[1].records), len(sink.batches[2].records), len(sink.batches[3].records), len(sink.batches[4].records)}; !slices.Equal(got, []int{3, 3, 1, 1}) {
		t.Errorf("batch sizes %v", got)
	}
	if s := p.Stats(); s.Sent != 8 || s.Retried != 7 || s.Pending != 0 || s.Dropped != 0 || s.PendingBytes != 0 {
		t.Errorf("after the retry: %+v", s)
	}
	if len(reports) != 1 || !errors.Is(reports[0], record.ErrSend) {
		t.Errorf("reports %v", reports)
	}
	p.Close(ctx)
}

func TestRejectedBatchIsDropped(t *testing.T) {
	sink := &memSink{fail: fmt.Errorf("%w: HTTP 422", record.ErrRejected)}
	var reports []error
	p, _ := record.New(sink, record.Options{Secret: secret, FlushInterval: -1,
		ErrorHandler: func(err error) { reports = append(reports, err) }})
	for i := range 5 {
		addIssue(p, event.UserID(i+1), time.Now())
	}
	if err := p.Flush(context.Background()); err != nil {
		t.Errorf("flush of a rejected batch: %v", err)
	}
	if err := p.Flush(context.Background()); err != nil || sink.calls != 1 {
		t.Errorf("a rejected batch was sent again (%d calls): %v", sink.calls, err)
	}
	if s := p.Stats(); s.Dropped != 5 || s.Rejected != 5 || s.Pending != 0 || s.Sent != 0 {
		t.Errorf("stats %+v", s)
	}
	want := "record: records dropped: 5 records rejected by the sink: record: batch rejected: HTTP 422"
	if len(reports) != 1 || reports[0].Error() != want {
		t.Errorf("reports %v, want [%s]", reports, want)
	}
}

// Past MaxPendingBytes records are dropped whole and counted: what the
// sink got plus what was dropped is exactly what was added.
func TestDropsAreCountedExactly(t *testing.T) {
	sink := &memSink{fail: errors.New("down")}
	var mu sync.Mutex
	var reports []error
	p, _ := record.New(sink, record.Options{Secret: secret, FlushInterval: -1, MaxPendingBytes: 64 << 10,
		ErrorHandler: func(err error) { mu.Lock(); reports = append(reports, err); mu.Unlock() }})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				addIssue(p, event.UserID(g*10000+i+1), time.Now())
			}
		})
	}
	wg.Wait()
	p.Flush(ctx) // fails; keeps what fits
	for i := range 2000 {
		addIssue(p, event.UserID(50000+i), time.Now())
	}
	sink.setFail(nil)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s := p.Stats()
	got := uint64(len(sink.records()) - len(sink.batches[0].records)) // the failed send's records came again
	if s.Added != 10000 || s.Dropped == 0 || s.Sent != got || s.Sent+s.Dropped != s.Added || s.Pending != 0 {
		t.Errorf("stats %+v; sink got %d", s, got)
	}
	ids := map[record.ID]bool{}
	for _, b := range sink.batches[1:] {
		for _, r := range b.records {
			if ids[r.ID] {
				t.Fatalf("record %s delivered twice", r.ID)
			}
			ids[r.ID] = true
		}
	}
	mu.Lock()
	defer mu.Unlock()
	drops := 0
	for _, err := range reports {
		if errors.Is(err, record.ErrDropped) {
			drops++
		}
	}
	if drops != 1 {
		t.Errorf("%d drop reports (rate limited to one): %v", drops, reports)
	}
}

func TestOversizeAndAfterClose(t *testing.T) {
	sink := &memSink{}
	p, _ := record.New(sink, record.Options{Secret: secret, FlushInterval: -1, MaxRecordBytes: 200})
	big := event.Record{Label: strings.Repeat("x", 300)}
	p.Add("big", &big, time.Now())
	addIssue(p, 1, time.Now())
	p.Close(context.Background())
	addIssue(p, 2, time.Now())
	if s := p.Stats(); s.Added != 3 || s.Sent != 1 || s.Dropped != 2 || s.Pending != 0 {
		t.Errorf("stats %+v", s)
	}
}

// A sink that never recovers: Close gives up at its deadline and reports
// the records it could not deliver.
func TestCloseGivesUp(t *testing.T) {
	sink := &memSink{fail: errors.New("down")}
	p, _ := record.New(sink, record.Options{Secret: secret, FlushInterval: -1})
	for i := range 10 {
		addIssue(p, event.UserID(i+1), time.Now())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := p.Close(ctx)
	if want := "record: close: 10 records not delivered: record: send failed: 10 records kept for the next flush: down"; err == nil || err.Error() != want {
		t.Errorf("close: %v, want %s", err, want)
	}
	if s := p.Stats(); s.Dropped != 10 || s.Pending != 0 || s.PendingBytes != 0 {
		t.Errorf("stats %+v", s)
	}
}

// With background sending, records arrive by themselves, and a sink that
// panics is a failed send, retried.
func TestBackground(t *testing.T) {
	var calls int
	var mu sync.Mutex
	var got []record.ID
	sink := record.SinkFunc(func(_ context.Context, b *record.Batch) error {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			panic("sink exploded")
		}
		for i := range b.Len() {
			got = append(got, b.Record(i).ID)
		}
		return nil
	})
	p, _ := record.New(sink, record.Options{Secret: secret, FlushInterval: 10 * time.Millisecond})
	defer p.Close(context.Background())
	for i := range 100 {
		addIssue(p, event.UserID(i+1), time.Now())
	}
	deadline := time.Now().Add(5 * time.Second)
	for p.Stats().Sent != 100 {
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v", p.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if s := p.Stats(); s.SendErrors != 1 || s.Retried != 100 || len(got) != 100 {
		t.Errorf("stats %+v, %d delivered", s, len(got))
	}
}

// asyncSink is an AsyncSink whose waits answer as told, batch by batch
// in the order started; the batches it keeps are those whose wait
// returned nil.
type asyncSink struct {
	memSink
	started []record.ID
	outcome func(n int, ctx context.Context) error // n counts SendAsync calls
}

func (s *asyncSink) SendAsync(_ context.Context, b *record.Batch) func(context.Context) error {
	n := len(s.started)
	s.started = append(s.started, b.ID)
	var buf []byte
	recs := make([]record.Record, b.Len())
	for i := range b.Len() {
		buf = append(b.AppendJSON(buf, i), '\n')
		recs[i] = *b.Record(i)
	}
	sent := sentBatch{id: b.ID, records: recs, json: string(buf)}
	return func(ctx context.Context) error {
		err := s.outcome(n, ctx)
		if err == nil {
			s.batches = append(s.batches, sent)
		}
		return err
	}
}

// With an AsyncSink several batches are in flight. When one fails, it
// and the later ones that did not arrive are kept in order and sent
// again with their ids and bytes; the later ones that did arrive are not.
func TestAsyncSinkKeepsWhatFailed(t *testing.T) {
	down := errors.New("no acknowledgement")
	sink := &asyncSink{}
	sink.outcome = func(n int, ctx context.Context) error {
		switch n {
		case 1:
			if ctx.Err() != nil {
				return errors.New("batch 1 waited for with a context already done")
			}
			return down
		case 3, 4:
			if ctx.Err() == nil {
				return errors.New("a batch after a failure waited for with a live context")
			}
			return ctx.Err()
		}
		return nil
	}
	p, err := record.New(sink, record.Options{Secret: secret, FlushInterval: -1, MaxBatchRecords: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 14 { // 7 batches: 0..3 started, 0 done, 4 started, 1 fails
		addIssue(p, event.UserID(i+1), time.Now())
	}
	err = p.Flush(ctx)
	if want := "record: send failed: 10 records kept for the next flush: no acknowledgement"; err == nil || err.Error() != want {
		t.Fatalf("flush: %v, want %s", err, want)
	}
	if len(sink.started) != 5 || len(sink.batches) != 2 {
		t.Fatalf("%d batches started, %d arrived; want 5 and 2 (0 and 2)", len(sink.started), len(sink.batches))
	}
	first := map[record.ID]string{}
	for _, b := range sink.batches {
		first[b.id] = b.json
	}
	failed := []record.ID{sink.started[1], sink.started[3], sink.started[4]}
	sink.outcome = func(int, context.Context) error { return nil }
	sink.batches = nil
	sink.started = nil
	if err := p.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if len(sink.batches) != 5 || !slices.Equal(sink.started[:3], failed) {
		t.Fatalf("resent %v, want %v then the two never started", sink.started, failed)
	}
	for _, b := range sink.batches {
		if _, ok := first[b.id]; ok {
			t.Errorf("batch %s arrived before and was sent again", b.id)
		}
	}
	if s := p.Stats(); s.Sent != 14 || s.Retried != 10 || s.Pending != 0 || s.SendErrors != 1 || s.PendingBytes != 0 {
		t.Errorf("stats %+v", s)
	}
}

// A sink that panics while starting or waiting fails the send; the
// batch is kept and sent again.
func TestAsyncSinkPanics(t *testing.T) {
	for _, where := range []string{"SendAsync", "wait"} {
		sink := &asyncSink{}
		sink.outcome = func(n int, _ context.Context) error {
			if n == 0 && where == "wait" {
				panic("wait exploded")
			}
			return nil
		}
		p, _ := record.New(&panicking{asyncSink: sink, armed: where == "SendAsync"}, record.Options{Secret: secret, FlushInterval: -1})
		addIssue(p, 1, time.Now())
		if err := p.Flush(context.Background()); err == nil || !strings.Contains(err.Error(), "sink panicked") {
			t.Errorf("%s: flush: %v", where, err)
		}
		if err := p.Flush(context.Background()); err != nil {
			t.Errorf("%s: second flush: %v", where, err)
		}
		if s := p.Stats(); s.Sent != 1 || s.SendErrors != 1 || s.Retried != 1 {
			t.Errorf("%s: stats %+v", where, s)
		}
	}
}

// panicking panics in its first SendAsync when armed.
type panicking struct {
	*asyncSink
	armed bool
}

func (p *panicking) SendAsync(ctx context.Context, b *record.Batch) func(context.Context) error {
	if p.armed {
		p.armed = false
		panic("SendAsync exploded")
	}
	return p.asyncSink.SendAsync(ctx, b)
}

// The flush reuses the memory of delivered frames; the records a sink saw
// must not change when it does (a sink that keeps a record past Send
// breaks the contract, but must not see another record's text).
func TestRecordsOutliveTheirFlush(t *testing.T) {
	sink := &memSink{}
	p, _ := record.New(sink, record.Options{RawIdentifiers: true, FlushInterval: -1, MaxBatchRecords: 100})
	ctx := context.Background()
	for round := range 5 {
		for i := range 1000 {
			n := round*1000 + i
			r := event.Record{User: event.UserID(n), Label: fmt.Sprintf("label-%d", n),
				Custom: []event.Prop{{Name: fmt.Sprintf("prop_%d", n%50), Value: event.StringValue(fmt.Sprintf("value-%d", n))}}}
			p.Add(fmt.Sprintf("event_%d", n%30), &r, time.Now())
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	recs := sink.records()
	if len(recs) != 5000 {
		t.Fatalf("%d records, want 5000", len(recs))
	}
	for _, r := range recs {
		var n int
		fmt.Sscan(r.Identifiers.User, &n)
		want := []record.Property{{Name: "label", Value: event.StringValue(fmt.Sprintf("label-%d", n))},
			{Name: fmt.Sprintf("prop_%d", n%50), Value: event.StringValue(fmt.Sprintf("value-%d", n))}}
		if r.Event != fmt.Sprintf("event_%d", n%30) || !slices.EqualFunc(r.Properties, want, func(a, b record.Property) bool {
			return a.Name == b.Name && a.Value.Equal(b.Value)
		}) {
			t.Fatalf("user %d: record changed after its flush: %s %+v", n, r.Event, r.Properties)
		}
	}
}
