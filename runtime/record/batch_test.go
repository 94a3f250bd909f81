package record

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

// frameCases are events as generated code tracks them, covering every
// field of a frame: no identifiers, each identifier alone, feature
// namespaces, strings JSON must escape, every kind of custom property, and
// times before 1970 and within a second's last nanosecond.
var frameCases = []struct {
	name string
	at   time.Time
	r    event.Record
}{
	{"empty", time.Unix(0, 0), event.Record{}},
	{"user", time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.UTC), event.Record{User: 42}},
	{"project only", time.Date(2026, 11, 25, 10, 0, 0, 999999999, time.UTC), event.Record{Project: 7}},
	{"namespace and features", time.Date(2026, 11, 25, 10, 0, 1, 0, time.UTC),
		event.Record{Namespace: 3, FeatureEnabledByNamespaceIDs: []event.NamespaceID{3, 9, -1}}},
	{"features alone", time.Date(2026, 11, 25, 10, 0, 1, 5, time.UTC),
		event.Record{FeatureEnabledByNamespaceIDs: []event.NamespaceID{1}}},
	{"all identifiers", time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		event.Record{User: 1, Project: -2, Namespace: math.MaxInt64, FeatureEnabledByNamespaceIDs: []event.NamespaceID{math.MinInt64}}},
	{"built-in properties", time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
		event.Record{User: 5, Label: "incident", Property: "web", Value: 2.5, HasValue: true}},
	{"value alone", time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC), event.Record{Value: 1e-7, HasValue: true}},
	{"value not a number", time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC), event.Record{Value: math.Inf(1), HasValue: true}},
	{"escaping", time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
		event.Record{Label: "a \"quoted\"\n\\ label\u2028", Property: "\x00\x1f\xff",
			Custom: []event.Prop{{Name: "näme \"x\"", Value: event.StringValue("tab\there")}}}},
	{"custom kinds", time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
		event.Record{Namespace: 8, Custom: []event.Prop{
			{Name: "s", Value: event.StringValue("text")}, {Name: "i", Value: event.IntValue(-3)}, {Name: "f", Value: event.FloatValue(0.1)},
			{Name: "b", Value: event.BoolValue(true)}, {Name: "no", Value: event.BoolValue(false)},
			{Name: "nan", Value: event.FloatValue(math.NaN())}, {Name: "empty", Value: event.Value{}}}}},
	{"custom after value", time.Date(2026, 1, 1, 0, 0, 0, 1, time.UTC),
		event.Record{Value: 3, HasValue: true, Custom: []event.Prop{{Name: "weight", Value: event.IntValue(3)}}}},
}

// A pipeline's batch writes each record's JSON straight from its frame:
// the same bytes as the record Record decodes, and that record carries
// what was tracked, for pseudonymized and raw identifiers.
func TestFrameBatchJSON(t *testing.T) {
	secret := []byte("0123456789abcdef-batch")
	ctx := Context{InstanceUUID: "i-1", AppName: "app \"x\"", AppVersion: "1.2", Environment: "production", Host: "web-1"}
	for _, raw := range []bool{false, true} {
		var frames []byte
		var ids IDSource
		for i, c := range frameCases {
			frames = appendFrame(frames, ids.New(c.at), c.at, "event_"+strconv.Itoa(i)+"\t\"", &c.r)
		}
		ps := newPseudonyms(secret, raw)
		if raw {
			ps = newPseudonyms(nil, true)
		}
		fb := &frameBatch{in: newInterner(), ctx: &ctx}
		fb.prepare(string(frames), ps)
		b := &Batch{fb: fb, ctxJSON: appendContext(nil, &ctx)}
		if b.Len() != len(frameCases) {
			t.Fatalf("raw %v: %d records, want %d", raw, b.Len(), len(frameCases))
		}
		var fromFrames [][]byte
		var events []string
		for i := range b.Len() {
			fromFrames = append(fromFrames, b.AppendJSON(nil, i))
			events = append(events, b.Event(i))
		}
		ident := func(kind byte, id int64) string {
			if raw {
				return strconv.FormatInt(id, 10)
			}
			return Pseudonymize(secret, kindNames[kind], id)
		}
		for i, c := range frameCases {
			r := b.Record(i)
			want := r.AppendJSON(nil)
			if !bytes.Equal(fromFrames[i], want) {
				t.Errorf("raw %v, %s: from the frame\n%s\nfrom the record\n%s", raw, c.name, fromFrames[i], want)
			}
			if !json.Valid(fromFrames[i]) {
				t.Errorf("raw %v, %s: not valid JSON: %s", raw, c.name, fromFrames[i])
			}
			if wantEv := "event_" + strconv.Itoa(i) + "\t\""; events[i] != wantEv || r.Event != wantEv {
				t.Errorf("raw %v, %s: event %q before decoding, %q after, want %q", raw, c.name, events[i], r.Event, wantEv)
			}
			if !r.OccurredAt.Equal(c.at) || r.Context != ctx {
				t.Errorf("raw %v, %s: at %v context %+v", raw, c.name, r.OccurredAt, r.Context)
			}
			for _, id := range []struct {
				kind byte
				v    int64
				got  string
			}{{kindUser, int64(c.r.User), r.Identifiers.User}, {kindProject, int64(c.r.Project), r.Identifiers.Project}, {kindNamespace, int64(c.r.Namespace), r.Identifiers.Namespace}} {
				if want := ""; id.v != 0 {
					want = ident(id.kind, id.v)
					if id.got != want {
						t.Errorf("raw %v, %s: %s %q, want %q", raw, c.name, kindNames[id.kind], id.got, want)
					}
				} else if id.got != want {
					t.Errorf("raw %v, %s: %s %q, want none", raw, c.name, kindNames[id.kind], id.got)
				}
			}
			if len(r.Identifiers.FeatureEnabledByNamespaces) != len(c.r.FeatureEnabledByNamespaceIDs) {
				t.Errorf("raw %v, %s: features %q", raw, c.name, r.Identifiers.FeatureEnabledByNamespaces)
			}
			for j, ns := range c.r.FeatureEnabledByNamespaceIDs {
				if got, want := r.Identifiers.FeatureEnabledByNamespaces[j], ident(kindNamespace, int64(ns)); got != want {
					t.Errorf("raw %v, %s: feature %d %q, want %q", raw, c.name, j, got, want)
				}
			}
		}
	}
}

// Any label, property and custom string gives the same JSON from the
// frame as from the decoded record, and valid JSON.
func FuzzFrameBatchJSON(f *testing.F) {
	f.Add("incident", "web", "source", "api", 2.5, int64(3))
	f.Add("\"\\\n", "\xff\xfe", "\u2028", "\x7f", math.NaN(), int64(-1))
	f.Fuzz(func(t *testing.T, label, property, name, value string, v float64, n int64) {
		ctx := Context{AppName: "fuzz"}
		r := event.Record{User: event.UserID(n), Label: label, Property: property, Value: v, HasValue: true,
			Custom: []event.Prop{{Name: name, Value: event.StringValue(value)}, {Name: name + "_n", Value: event.IntValue(n)}}}
		var ids IDSource
		at := time.Unix(0, n)
		fb := &frameBatch{in: newInterner(), ctx: &ctx}
		fb.prepare(string(appendFrame(nil, ids.New(at), at, label, &r)), newPseudonyms(nil, true))
		b := &Batch{fb: fb, ctxJSON: appendContext(nil, &ctx)}
		got := b.AppendJSON(nil, 0)
		if want := b.Record(0).AppendJSON(nil); !bytes.Equal(got, want) {
			t.Fatalf("from the frame\n%s\nfrom the record\n%s", got, want)
		}
		if !json.Valid(got) {
			t.Fatalf("not valid JSON: %s", got)
		}
	})
}
