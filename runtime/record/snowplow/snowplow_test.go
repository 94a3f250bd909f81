package snowplow_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/runtime/event"
	"github.com/usagekit/usagekit/runtime/record"
	"github.com/usagekit/usagekit/runtime/record/snowplow"
)

var secret = []byte("snowplow-test-secret-0123456789")

// contextSchema compiles the published Iglu schema. Iglu's meta-schema is
// JSON Schema draft 4 plus "self", so the schema compiles as draft 4 once
// its $schema (Iglu's meta-schema URI, not fetched here) is set aside.
func contextSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal(snowplow.ContextSchema, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["$schema"] != "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#" {
		t.Errorf("$schema %v, want Iglu's self-describing meta-schema", doc["$schema"])
	}
	self, _ := doc["self"].(map[string]any)
	if self["vendor"] != "com.usagekit" || self["name"] != "record_context" || self["format"] != "jsonschema" || self["version"] != "1-0-0" {
		t.Errorf("self %v", self)
	}
	if want := "iglu:" + self["vendor"].(string) + "/" + self["name"].(string) + "/" + self["format"].(string) + "/" + self["version"].(string); want != snowplow.RecordSchema {
		t.Errorf("RecordSchema %s, the schema says %s", snowplow.RecordSchema, want)
	}
	delete(doc, "$schema")
	text, _ := json.Marshal(doc)
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft4
	if err := c.AddResource("record_context.json", bytes.NewReader(text)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("record_context.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type collector struct {
	mu     sync.Mutex
	bodies [][]byte
	paths  []string
	ctypes []string
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.bodies = append(c.bodies, body)
	c.paths = append(c.paths, r.Method+" "+r.URL.Path)
	c.ctypes = append(c.ctypes, r.Header.Get("Content-Type"))
	c.mu.Unlock()
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Every field of every event is what the tracker protocol wants, and the
// context validates against the published schema.
func TestTrackerProtocol(t *testing.T) {
	schema := contextSchema(t)
	c := &collector{}
	srv := httptest.NewServer(c)
	defer srv.Close()
	sent := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sink := snowplow.New(srv.URL+"/", snowplow.Options{Now: func() time.Time { return sent }, MaxRequestBytes: 4000})
	p, err := record.New(sink, record.Options{Secret: secret, FlushInterval: -1,
		Context: record.Context{InstanceUUID: "c0ffee00-0000-4000-8000-000000000001", AppName: "shop", AppVersion: "2.1.0", Environment: "production", Host: "web-1"}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 25, 10, 0, 0, 123_000_000, time.UTC)
	const n = 30
	for i := range n {
		r := event.Record{User: event.UserID(i + 1), Project: 70, Label: "incident", Property: "web", Value: 2.5, HasValue: true,
			FeatureEnabledByNamespaceIDs: []event.NamespaceID{9},
			Custom:                       []event.Prop{{Name: "weight", Value: event.IntValue(int64(i))}, {Name: "confidential", Value: event.BoolValue(true)}, {Name: "source", Value: event.StringValue("api")}}}
		if i%3 == 0 {
			r = event.Record{Namespace: 9} // no label, property, value or custom properties
		}
		p.Add("create_issue", &r, at.Add(time.Duration(i)*time.Millisecond))
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(c.bodies) < 2 {
		t.Fatalf("%d requests for 30 events in 4000-byte requests", len(c.bodies))
	}
	seen := map[string]bool{}
	for k, body := range c.bodies {
		if c.paths[k] != "POST /com.snowplowanalytics.snowplow/tp2" || c.ctypes[k] != "application/json; charset=utf-8" || len(body) > 4000 {
			t.Errorf("request %d: %s, %s, %d bytes", k, c.paths[k], c.ctypes[k], len(body))
		}
		var payload struct {
			Schema string              `json:"schema"`
			Data   []map[string]string `json:"data"` // the protocol's values are all strings
		}
		if err := json.Unmarshal(body, &payload); err != nil {
			t.Fatalf("request %d: %v: %s", k, err, body)
		}
		if payload.Schema != "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4" {
			t.Errorf("payload schema %q", payload.Schema)
		}
		for _, ev := range payload.Data {
			checkEvent(t, schema, ev, at, sent, seen)
		}
	}
	if len(seen) != n {
		t.Errorf("%d distinct events, want %d", len(seen), n)
	}
}

func checkEvent(t *testing.T, schema *jsonschema.Schema, ev map[string]string, at, sent time.Time, seen map[string]bool) {
	t.Helper()
	if !uuidRE.MatchString(ev["eid"]) || seen[ev["eid"]] {
		t.Errorf("eid %q: not a new UUIDv7", ev["eid"])
	}
	seen[ev["eid"]] = true
	id, _ := record.ParseID(ev["eid"])
	dtm, err := strconv.ParseInt(ev["dtm"], 10, 64)
	if err != nil || dtm < at.UnixMilli() || dtm >= at.UnixMilli()+30 || dtm != id.Time().UnixMilli() {
		t.Errorf("dtm %q for an event at %v (id time %v)", ev["dtm"], at, id.Time())
	}
	raw := ev["cx"]
	cx, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil || strings.ContainsAny(raw, "+/=") {
		t.Fatalf("cx %q is not base64url without padding: %v", raw, err)
	}
	var envelope struct {
		Schema string `json:"schema"`
		Data   []struct {
			Schema string         `json:"schema"`
			Data   map[string]any `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(cx, &envelope); err != nil {
		t.Fatalf("cx: %v: %s", err, cx)
	}
	if envelope.Schema != "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0" || len(envelope.Data) != 1 ||
		envelope.Data[0].Schema != "iglu:com.usagekit/record_context/jsonschema/1-0-0" {
		t.Fatalf("contexts %s", cx)
	}
	data := envelope.Data[0].Data
	if err := schema.Validate(data); err != nil {
		t.Errorf("context does not validate against the published schema: %v\n%s", err, cx)
	}
	want := map[string]string{
		"e": "se", "p": "srv", "tv": "usagekit-go-1", "aid": "shop", "se_ca": "shop", "se_ac": "create_issue",
		"stm": strconv.FormatInt(sent.UnixMilli(), 10), "eid": ev["eid"], "dtm": ev["dtm"], "cx": raw,
	}
	if data["namespace"] == nil { // events with the properties
		want["se_la"], want["se_pr"], want["se_va"] = "incident", "web", "2.5"
		if data["user"] == nil || data["user"] == data["project"] || len(data["user"].(string)) != 64 ||
			data["project"] != record.Pseudonymize(secret, "project", 70) {
			t.Errorf("identifiers %v", data)
		}
		props, _ := data["properties"].(map[string]any)
		if len(props) != 3 || props["confidential"] != true || props["source"] != "api" {
			t.Errorf("custom properties %v", props)
		}
		if fe, _ := data["feature_enabled_by_namespace_ids"].([]any); len(fe) != 1 || fe[0] != record.Pseudonymize(secret, "namespace", 9) {
			t.Errorf("feature_enabled_by_namespace_ids %v", data["feature_enabled_by_namespace_ids"])
		}
	} else if data["namespace"] != record.Pseudonymize(secret, "namespace", 9) || data["user"] != nil || len(data["properties"].(map[string]any)) != 0 {
		t.Errorf("context of an event without properties: %v", data)
	}
	if len(ev) != len(want) {
		t.Errorf("event has fields %v, want exactly those of %v", ev, want)
	}
	for k, v := range want {
		if ev[k] != v {
			t.Errorf("%s = %q, want %q", k, ev[k], v)
		}
	}
	for k, v := range map[string]any{"event": "create_issue", "instance_uuid": "c0ffee00-0000-4000-8000-000000000001",
		"app_version": "2.1.0", "environment": "production", "host": "web-1"} {
		if data[k] != v {
			t.Errorf("context %s = %v, want %v", k, data[k], v)
		}
	}
}

// The schema refuses what the context must not carry.
func TestContextSchemaRefuses(t *testing.T) {
	schema := contextSchema(t)
	base := `"event":"e","instance_uuid":"i","app_version":"1","environment":"p","host":"h"`
	for _, c := range []struct{ name, doc string }{
		{"unknown field", `{` + base + `,"email":"a@b.c"}`},
		{"object property", `{` + base + `,"properties":{"x":{"y":1}}}`},
		{"long identifier", `{` + base + `,"user":"` + strings.Repeat("a", 65) + `"}`},
		{"no host", `{"event":"e","instance_uuid":"i","app_version":"1","environment":"p"}`},
	} {
		var v any
		if err := json.Unmarshal([]byte(c.doc), &v); err != nil {
			t.Fatal(err)
		}
		if schema.Validate(v) == nil {
			t.Errorf("%s: %s validates", c.name, c.doc)
		}
	}
	var ok any
	json.Unmarshal([]byte(`{`+base+`,"properties":{"n":1,"s":"x","b":false}}`), &ok)
	if err := schema.Validate(ok); err != nil {
		t.Errorf("a valid context is refused: %v", err)
	}
}
