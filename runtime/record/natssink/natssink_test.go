package natssink_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/internal/natstest"
	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/natssink"
	"github.com/usagekit/usagekit/runtime/track"
)

var secret = []byte("natssink-test-secret-0123456789")

// stored is what a stream holds: every record, and per message its
// subject, the size of its JSON lines and of its body, its encoding and
// its record-count header.
type stored struct {
	records   []record.Record
	subjects  []string
	sizes     []int
	bodies    []int
	encodings []string
	counts    []int
	events    [][]string // events of each message's records
}

// readStream reads the whole stream back, message by message.
func readStream(t testing.TB, nc *nats.Conn, stream string) stored {
	t.Helper()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	state := s.CachedInfo().State
	var out stored
	for seq := state.FirstSeq; seq <= state.LastSeq && state.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d of %d..%d: %v", seq, state.FirstSeq, state.LastSeq, err)
		}
		lines, err := natssink.Lines(m.Header, m.Data, nil)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		out.subjects = append(out.subjects, m.Subject)
		out.sizes = append(out.sizes, len(lines))
		out.bodies = append(out.bodies, len(m.Data))
		out.encodings = append(out.encodings, m.Header.Get(natssink.HeaderEncoding))
		n, _ := strconv.Atoi(m.Header.Get(natssink.HeaderRecords))
		out.counts = append(out.counts, n)
		var evs []string
		sc := bufio.NewScanner(bytes.NewReader(lines))
		sc.Buffer(nil, 2<<20)
		for sc.Scan() {
			var r record.Record
			if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
				t.Fatalf("message %d: %v: %s", seq, err, sc.Bytes())
			}
			out.records = append(out.records, r)
			evs = append(evs, r.Event)
		}
		out.events = append(out.events, evs)
	}
	if uint64(len(out.sizes)) != state.Msgs {
		t.Fatalf("read %d messages, the stream holds %d", len(out.sizes), state.Msgs)
	}
	return out
}

// checkOnce fails unless the stream holds exactly the records of ids
// (each once) and every message is well formed.
func checkOnce(t testing.TB, st stored, tracked int, subject string) {
	t.Helper()
	seen := make(map[record.ID]int, len(st.records))
	for _, r := range st.records {
		seen[r.ID]++
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	if len(st.records) != tracked || dups != 0 {
		t.Errorf("stream holds %d records (%d distinct, %d duplicates), want %d each once", len(st.records), len(seen), dups, tracked)
	}
	for i, evs := range st.events {
		if st.counts[i] != len(evs) {
			t.Errorf("message %d: header says %d records, body has %d", i, st.counts[i], len(evs))
		}
		for _, ev := range evs {
			if st.subjects[i] != subject+"."+ev {
				t.Errorf("message %d on %s carries a record of %s", i, st.subjects[i], ev)
				break
			}
		}
	}
}

func newPipeline(t testing.TB, nc *nats.Conn, opts natssink.Options, ropts record.Options) (*natssink.Sink, *record.Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sink, err := natssink.New(ctx, nc, opts)
	if err != nil {
		t.Fatal(err)
	}
	if ropts.Secret == nil && !ropts.RawIdentifiers {
		ropts.Secret = secret
	}
	p, err := record.New(sink, ropts)
	if err != nil {
		t.Fatal(err)
	}
	return sink, p
}

var events = func() []*event.Descriptor {
	var ds []*event.Descriptor
	for _, name := range []string{"create_issue", "close_issue", "push_to_repository"} {
		ds = append(ds, &event.Descriptor{Name: name, Updates: []event.Update{{Kind: event.Total, Key: "{event_counters}_" + name, AllTime: true}}, Always: 1})
	}
	return ds
}()

func trackN(tr *track.Tracker, from, n int) {
	ctx := context.Background()
	for i := from; i < from+n; i++ {
		r := event.Record{User: event.UserID(i%5000 + 1), Label: "l" + strconv.Itoa(i%7),
			Custom: []event.Prop{{Name: "seq", Value: event.IntValue(int64(i))}}}
		tr.Track(ctx, events[i%len(events)], &r)
	}
}

func TestStreamCreatedAndChecked(t *testing.T) {
	nc := natstest.Connect(t, "")
	stream, subject := natstest.Names(t, nc)
	ctx := context.Background()
	if _, err := natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: subject}); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if strings.Join(cfg.Subjects, ",") != subject+".>" || cfg.Retention != jetstream.LimitsPolicy || cfg.Storage != jetstream.FileStorage ||
		cfg.MaxAge != 7*24*time.Hour || cfg.Duplicates != 10*time.Minute || cfg.Replicas != 1 {
		t.Errorf("stream config %+v", cfg)
	}
	// An existing stream that takes the subjects is used as it is.
	if _, err := natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: subject, MaxAge: time.Hour}); err != nil {
		t.Errorf("second New: %v", err)
	}
	// So is a compression the sink does not know.
	_, err = natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: subject, Compression: "zstd"})
	if want := `natssink: compression "zstd": want "snappy" or "none"`; err == nil || err.Error() != want {
		t.Errorf("New with compression zstd: %v, want %s", err, want)
	}
	// One that does not is an error.
	_, err = natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: "elsewhere"})
	want := "natssink: stream does not take the records' subjects: " + stream + ` takes ["` + subject + `.>"], want "elsewhere.>"`
	if err == nil || err.Error() != want || !errors.Is(err, natssink.ErrStream) {
		t.Errorf("New on a stream of other subjects: %v, want %s", err, want)
	}
}

// Tracked events arrive in the stream once each, grouped by event on
// their subjects, many records a message, no message over the limit.
func TestStoredOnce(t *testing.T) {
	nc := natstest.Connect(t, "")
	stream, subject := natstest.Names(t, nc)
	_, p := newPipeline(t, nc, natssink.Options{Stream: stream, Subject: subject, MaxMessageBytes: 16 << 10},
		record.Options{FlushInterval: -1, MaxBatchRecords: 2500})
	tr := track.New(track.Options{FlushInterval: -1, Records: p})
	trackN(tr, 0, 10_000)
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := readStream(t, nc, stream)
	checkOnce(t, st, 10_000, subject)
	if len(st.sizes) < 10_000*300/(16<<10) {
		t.Errorf("%d messages for 10,000 records of about 300 bytes in 16 KiB messages", len(st.sizes))
	}
	for i, n := range st.sizes {
		if n > 16<<10 {
			t.Errorf("message %d has %d bytes, over the 16 KiB limit", i, n)
		}
		// Snappy by default, and records compress well (the context,
		// names and labels repeat) once there are a few of them; a
		// message of a record or two, which Snappy would not shrink,
		// goes as it is.
		switch enc := st.encodings[i]; {
		case n >= 4096 && (enc != "snappy" || st.bodies[i] > n/2),
			enc == "" && st.bodies[i] != n,
			enc != "" && enc != "snappy":
			t.Errorf("message %d: %d bytes of lines in a body of %d, encoding %q", i, n, st.bodies[i], enc)
		}
	}
	if s := p.Stats(); s.Sent != 10_000 || s.Dropped != 0 || s.SendErrors != 0 {
		t.Errorf("stats %+v", s)
	}
	seq := map[int64]bool{}
	for _, r := range st.records {
		for _, pr := range r.Properties {
			if pr.Name == "seq" {
				seq[pr.Value.Int()] = true
			}
		}
		if r.Identifiers.User != record.Pseudonymize(secret, "user", r.Properties[1].Value.Int()%5000+1) {
			t.Fatalf("record %s: user %s is not the pseudonym of its event's user", r.ID, r.Identifiers.User)
		}
	}
	if len(seq) != 10_000 {
		t.Errorf("%d distinct events stored, want 10,000", len(seq))
	}
}

// Without compression a message's body is its JSON lines, with no
// Content-Encoding header.
func TestNoCompression(t *testing.T) {
	nc := natstest.Connect(t, "")
	stream, subject := natstest.Names(t, nc)
	_, p := newPipeline(t, nc, natssink.Options{Stream: stream, Subject: subject, Compression: natssink.NoCompression},
		record.Options{FlushInterval: -1})
	tr := track.New(track.Options{FlushInterval: -1, Records: p})
	trackN(tr, 0, 3000)
	if err := tr.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := readStream(t, nc, stream)
	checkOnce(t, st, 3000, subject)
	for i := range st.sizes {
		if st.encodings[i] != "" || st.bodies[i] != st.sizes[i] {
			t.Errorf("message %d: %d bytes of lines in a body of %d, encoding %q", i, st.sizes[i], st.bodies[i], st.encodings[i])
		}
	}
}

// Lines reads what a sink wrote and refuses, with the reason, any body it
// cannot read, before spending memory on a body that claims too much.
func TestLines(t *testing.T) {
	lines := []byte(strings.Repeat(`{"id":"x","event":"create_issue"}`+"\n", 100))
	packed := s2.EncodeSnappy(nil, lines)
	huge := binary.AppendUvarint(nil, natssink.MaxLinesBytes+1)
	for _, c := range []struct {
		name     string
		encoding string
		body     []byte
		want     string // the error, or "" for lines
	}{
		{"as they are", "", lines, ""},
		{"snappy", "snappy", packed, ""},
		{"unknown encoding", "gzip", packed, `natssink: unreadable message body: Content-Encoding "gzip", want "snappy" or none`},
		{"corrupt snappy", "snappy", packed[:len(packed)-3], "natssink: unreadable message body: snappy: s2: corrupt input"},
		{"empty snappy", "snappy", nil, "natssink: unreadable message body: snappy: s2: corrupt input"},
		{"snappy claiming too much", "snappy", append(huge, 0),
			"natssink: unreadable message body: a snappy block of 5 bytes says it holds 8388609, more than 8388608"},
	} {
		h := nats.Header{}
		if c.encoding != "" {
			h.Set(natssink.HeaderEncoding, c.encoding)
		}
		got, err := natssink.Lines(h, c.body, make([]byte, 0, 64))
		switch {
		case c.want == "" && (err != nil || !bytes.Equal(got, lines)):
			t.Errorf("%s: %q, %v", c.name, got, err)
		case c.want != "" && (err == nil || err.Error() != c.want || !errors.Is(err, natssink.ErrEncoding)):
			t.Errorf("%s: %v, want %s", c.name, err, c.want)
		}
	}
}

// A batch sent twice, as the pipeline does after a failure it cannot see
// through (the acknowledgement was lost), is stored once.
func TestResentBatchStoredOnce(t *testing.T) {
	nc := natstest.Connect(t, "")
	stream, subject := natstest.Names(t, nc)
	ctx := context.Background()
	sink, err := natssink.New(ctx, nc, natssink.Options{Stream: stream, Subject: subject, MaxMessageBytes: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var ids record.IDSource
	recs := make([]record.Record, 30)
	for i := range recs {
		recs[i] = record.Record{ID: ids.New(time.Now()), OccurredAt: time.Now(), Event: events[i%2].Name,
			Identifiers: record.Identifiers{User: strconv.Itoa(i)}}
	}
	b := record.NewBatch(ids.New(time.Now()), recs)
	for range 3 {
		if err := sink.Send(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	st := readStream(t, nc, stream)
	checkOnce(t, st, 30, subject)
	perSubject := map[string]int{}
	for i, n := range st.sizes {
		perSubject[st.subjects[i]]++
		if n > 1000 {
			t.Errorf("message %d has %d bytes, over the limit of 1000", i, n)
		}
	}
	if len(perSubject) != 2 || perSubject[subject+".create_issue"] < 2 || perSubject[subject+".close_issue"] < 2 {
		t.Errorf("messages per subject %v, want several on each of two", perSubject)
	}
}
