package record

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usagekit/usagekit/runtime/event"
)

func sampleRecord() Record {
	id, _ := ParseID("01935e1c-8a2b-7c3d-9e4f-0a1b2c3d4e5f")
	return Record{
		ID:         id,
		OccurredAt: time.Date(2026, 11, 25, 11, 0, 0, 120_000_000, time.FixedZone("CET", 3600)),
		Event:      "create_issue",
		Identifiers: Identifiers{User: "u1", Namespace: "n1",
			FeatureEnabledByNamespaces: []string{"f1", "f2"}},
		Properties: []Property{
			{"label", event.StringValue("incident \"x\"\n")},
			{"value", event.FloatValue(2.5)},
			{"weight", event.IntValue(3)},
			{"confidential", event.BoolValue(true)},
		},
		Context: Context{InstanceUUID: "i-1", AppName: "app", AppVersion: "1.2", Environment: "production", Host: "web-1"},
	}
}

func TestRecordJSON(t *testing.T) {
	r := sampleRecord()
	want := `{"id":"01935e1c-8a2b-7c3d-9e4f-0a1b2c3d4e5f","occurred_at":"2026-11-25T10:00:00.120000000Z",` +
		`"event":"create_issue","identifiers":{"user":"u1","namespace":"n1","feature_enabled_by_namespace_ids":["f1","f2"]},` +
		`"properties":{"label":"incident \"x\"\n","value":2.5,"weight":3,"confidential":true},` +
		`"context":{"instance_uuid":"i-1","app_name":"app","app_version":"1.2","environment":"production","host":"web-1"}}`
	if got := string(r.AppendJSON(nil)); got != want {
		t.Errorf("JSON\n got %s\nwant %s", got, want)
	}
	if !json.Valid(r.AppendJSON(nil)) {
		t.Error("not valid JSON")
	}
	// Without identifiers or properties the objects are empty, not null.
	empty := Record{ID: r.ID, OccurredAt: time.Unix(0, 0), Event: "e"}
	want = `{"id":"01935e1c-8a2b-7c3d-9e4f-0a1b2c3d4e5f","occurred_at":"1970-01-01T00:00:00.000000000Z","event":"e",` +
		`"identifiers":{},"properties":{},"context":{"instance_uuid":"","app_name":"","app_version":"","environment":"","host":""}}`
	if got := string(empty.AppendJSON(nil)); got != want {
		t.Errorf("empty record JSON\n got %s\nwant %s", got, want)
	}
	// A batch writes the same bytes with its context encoded once.
	b := &Batch{records: []Record{r}, ctxJSON: appendContext(nil, &r.Context)}
	if got := b.AppendJSON(nil, 0); !bytes.Equal(got, r.AppendJSON(nil)) {
		t.Errorf("batch JSON differs:\n%s", got)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	r := sampleRecord()
	var got Record
	if err := json.Unmarshal(r.AppendJSON(nil), &got); err != nil {
		t.Fatal(err)
	}
	if !got.OccurredAt.Equal(r.OccurredAt) {
		t.Errorf("occurred_at %v, want %v", got.OccurredAt, r.OccurredAt)
	}
	got.OccurredAt = r.OccurredAt
	if !equalRecords(got, r) {
		t.Errorf("round trip\n got %+v\nwant %+v", got, r)
	}
}

func equalRecords(a, b Record) bool {
	return a.ID == b.ID && a.OccurredAt.Equal(b.OccurredAt) && a.Event == b.Event &&
		a.Identifiers.User == b.Identifiers.User && a.Identifiers.Project == b.Identifiers.Project &&
		a.Identifiers.Namespace == b.Identifiers.Namespace &&
		slices.Equal(a.Identifiers.FeatureEnabledByNamespaces, b.Identifiers.FeatureEnabledByNamespaces) &&
		slices.EqualFunc(a.Properties, b.Properties, func(p, q Property) bool { return p.Name == q.Name && p.Value.Equal(q.Value) }) &&
		a.Context == b.Context
}

// Strings are escaped exactly as encoding/json escapes them (without its
// HTML escaping), invalid UTF-8 included.
func TestStringMatchesEncodingJSON(t *testing.T) {
	cases := []string{"", "plain", `q"b\s`, "\x00\x01\x1f\x7f", "\b\f\n\r\t", "é漢字🙂", "\u2028\u2029",
		"bad \xff utf8 \xc3", "<a href=\"x\">&amp;</a>", strings.Repeat("x", 1000),
		"abcdefgh\"ijklmnop", "abcdefghijklmnop\x01", "abcdefghijklmno\\", "abcdefghijklmnopé", "0123456789abcdef\x7f\x20"}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		b := make([]byte, rng.IntN(20))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		want := strings.TrimSuffix(buf.String(), "\n")
		if got := string(appendString(nil, s)); got != want {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestTimeMatchesRFC3339(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 1000 {
		at := time.Unix(rng.Int64N(1<<34), rng.Int64N(1e9))
		want := at.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
		if got := string(appendTime(nil, at)); got != want {
			t.Fatalf("appendTime(%v) = %s, want %s", at, got, want)
		}
	}
}
