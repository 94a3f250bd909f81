package wireschema_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/wireschema"
	"github.com/usagekit/usagekit/internal/golden"
)

func compile(t *testing.T, name string, schema []byte) *jsonschema.Schema {
	t.Helper()
	s, err := wireschema.Compile(name, schema)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// leaves lists a validation error's innermost problems.
func leaves(err error) string {
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, e.InstanceLocation+": "+e.Message)
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	if ve, ok := err.(*jsonschema.ValidationError); ok {
		walk(ve)
	}
	return strings.Join(out, "; ")
}

func TestPayload(t *testing.T) {
	set, err := generator.Load("../../definitions")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := wireschema.Payload(set)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "payload.schema.json"), schema)
	s := compile(t, "payload.json", schema)
	// The ping the end-to-end test computes from definitions/ fits.
	e2e, err := os.ReadFile("../cmd/usagekit/testdata/ping/e2e.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(decode(t, string(e2e))); err != nil {
		t.Errorf("the end-to-end ping does not fit its schema: %s", leaves(err))
	}
	for _, tt := range []struct{ doc, want string }{
		{`{"uuid": "a", "recorded_at": "2026-11-25T12:00:00Z", "counts": {"issues": -1}, "license_plan": -1}`, ""},
		{`{"recorded_at": "2026-11-25T12:00:00Z"}`, "missing properties: 'uuid'"},
		{`{"uuid": "a", "recorded_at": "yesterday"}`, "/recorded_at: 'yesterday' is not valid 'date-time'"},
		{`{"uuid": "a", "recorded_at": "2026-11-25T12:00:00Z", "counts": {"issues": "many"}}`, "/counts/issues: expected number, but got string"},
		{`{"uuid": "a", "recorded_at": "2026-11-25T12:00:00Z", "counts": {"retired": 3}}`, "/counts: additionalProperties 'retired' not allowed"},
	} {
		err := s.Validate(decode(t, tt.doc))
		got := ""
		if err != nil {
			got = leaves(err)
		}
		if !strings.Contains(got, tt.want) || (tt.want == "" && got != "") {
			t.Errorf("%s:\n got %q\nwant %q", tt.doc, got, tt.want)
		}
	}
}

func TestRecords(t *testing.T) {
	set, err := generator.Load("../../definitions")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := wireschema.Records(set)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "records.schema.json"), schema)
	s := compile(t, "records.json", schema)
	base := `"id": "0190a6b8-0000-7000-8000-000000000001", "occurred_at": "2026-11-25T12:00:00Z"`
	for _, tt := range []struct{ rec, want string }{
		{`{` + base + `, "event": "create_issue", "identifiers": {"user": "ab12", "project": 10, "namespace": "ef"}, "properties": {"label": "bug", "confidential": true, "weight": 2}}`, ""},
		{`{` + base + `, "event": "generate_merge_request_summary", "identifiers": {"user": "ab12", "project": 10, "namespace": "ef", "feature_enabled_by_namespace_ids": ["ef"]}}`, ""},
		{`{` + base + `, "event": "create_issue", "identifiers": {"user": "ab12", "project": 10}}`, "missing properties: 'namespace'"},
		{`{` + base + `, "event": "no_such_event"}`, `/event: value must be "create_issue"`},
		{`{` + base + `, "event": "create_issue", "identifiers": {"user": "ab12", "project": 10, "namespace": "ef"}, "properties": {"weight": "heavy"}}`, "expected integer, but got string"},
		{`{` + base + `, "event": "create_issue", "properties": {"secret": "x"}}`, "additionalProperties 'secret' not allowed"},
		{`{` + base + `, "event": "create_project", "identifiers": {"project": 1}}`, "additionalProperties 'project' not allowed"},
	} {
		err := s.Validate(decode(t, tt.rec))
		got := ""
		if err != nil {
			got = err.Error() + " " + leaves(err)
		}
		if !strings.Contains(got, tt.want) || (tt.want == "" && got != "") {
			t.Errorf("%s:\n got %q\nwant %q", tt.rec, got, tt.want)
		}
	}
}
