package intake

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/wireschema"
)

// definitionsSchema is the payload schema of definitions/, compiled as
// the collector compiles it.
var definitionsSchema = sync.OnceValues(func() (*jsonschema.Schema, error) {
	set, err := generator.Load("../../definitions")
	if err != nil {
		return nil, err
	}
	doc, err := wireschema.Payload(set)
	if err != nil {
		return nil, err
	}
	return wireschema.Compile("payload.json", doc)
})

func schemaOf(t testing.TB) (*jsonschema.Schema, *fastSchema) {
	t.Helper()
	s, err := definitionsSchema()
	if err != nil {
		t.Fatal(err)
	}
	f := compileFast(s)
	if f == nil {
		t.Fatal("the payload schema of definitions/ has no fast form")
	}
	return s, f
}

const facts = `"uuid": "a1", "recorded_at": "2026-11-25T12:00:00Z"`

// The fast path vouches for the pings that fit, and for no ping the full
// validation finds a problem in; what it cannot read, it leaves to the
// full validation.
func TestFastSchema(t *testing.T) {
	s, f := schemaOf(t)
	e2e, err := os.ReadFile("../../generator/cmd/usagekit/testdata/ping/e2e.json")
	if err != nil {
		t.Fatal(err)
	}
	deep := strings.Repeat(`{"a": [`, 200) + strings.Repeat(`]}`, 200)
	for _, tt := range []struct {
		name, doc string
		fits      bool // the fast path vouches for it
		problems  bool // the full validation finds problems
	}{
		{"the end-to-end ping", string(e2e), true, false},
		{"facts alone", `{` + facts + `}`, true, false},
		{"all facts", `{` + facts + `, "hostname": "h", "version": "17.6.0"}`, true, false},
		{"a failed metric of each type", `{` + facts + `, "counts": {"issues": -1}, "license_plan": -1, "settings": {"container_registry_enabled": -1, "collected_data_categories": -1}}`, true, false},
		{"a failure written otherwise", `{` + facts + `, "license_plan": -1.0, "installation_type": -1e0}`, true, false},
		{"values of each type", `{` + facts + `, "counts": {"issues": 12, "projects": 1.5e3}, "license_plan": "ultimate", "settings": {"container_registry_enabled": true, "collected_data_categories": ["standard", "optional"], "gitaly_apdex": 0.98}}`, true, false},
		{"an object metric's content is not looked into", `{` + facts + `, "settings": {"collected_data_categories": ` + deep + `}}`, true, false},
		{"spaces everywhere", "\n { \"uuid\" :\t\"a1\" ,\r\n \"recorded_at\" : \"2026-11-25T12:00:00+01:00\" , \"counts\" : { } } \n", true, false},
		{"an escape in a value", `{"uuid": "a\"1\u00e9", "recorded_at": "2026-11-25T12:00:00Z", "license_plan": "ult\/imate"}`, true, false},

		{"no uuid", `{"recorded_at": "2026-11-25T12:00:00Z"}`, false, true},
		{"an empty uuid", `{"uuid": "", "recorded_at": "2026-11-25T12:00:00Z"}`, false, true},
		{"a uuid that is a number", `{"uuid": 1, "recorded_at": "2026-11-25T12:00:00Z"}`, false, true},
		{"recorded_at not a time", `{"uuid": "a1", "recorded_at": "yesterday"}`, false, true},
		{"recorded_at escaped, not a time", `{"uuid": "a1", "recorded_at": "2026-11-25\u0054nope"}`, false, true},
		{"a count that is a string", `{` + facts + `, "counts": {"issues": "many"}}`, false, true},
		{"a count that is null", `{` + facts + `, "counts": {"issues": null}}`, false, true},
		{"a count too large for a float", `{` + facts + `, "counts": {"issues": 1e400}}`, false, true},
		{"a string metric that is a number", `{` + facts + `, "license_plan": 5}`, false, true},
		{"a failure of another number", `{` + facts + `, "license_plan": -2}`, false, true},
		{"a number too large for a float in an object metric", `{` + facts + `, "settings": {"collected_data_categories": {"a": [1, 2e400]}}}`, false, true},
		{"a number too large for a float deeper in an object metric", `{` + facts + `, "counts": {"issues": 1}, "license_plan": "x", "settings": {"collected_data_categories": [{"b": -1e999}]}}`, false, true},
		{"an object metric that is a string", `{` + facts + `, "settings": {"collected_data_categories": "all"}}`, false, true},
		{"a key no definition has", `{` + facts + `, "counts": {"retired": 3}}`, false, true},
		{"a group no definition has", `{` + facts + `, "retired": {"a": 1}}`, false, true},
		{"a group that is a number", `{` + facts + `, "counts": 3}`, false, true},
		{"not an object", `["uuid"]`, false, true},
		{"a string", `"a1"`, false, true},

		// Read by the full validation alone, which finds them fine.
		{"a member given twice", `{"uuid": "x", ` + facts + `}`, false, false},
		{"an escaped name", `{"\u0075uid": "a1", "recorded_at": "2026-11-25T12:00:00Z"}`, false, false},
		{"a failure within a float's rounding", `{` + facts + `, "license_plan": -1.00000000000000000001}`, false, false},
		{"a deep object metric beside another group", `{` + facts + `, "settings": {"collected_data_categories": ` + deep + `, "gitaly": {"clusters": 1}}}`, true, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if !json.Valid([]byte(tt.doc)) {
				t.Fatalf("not JSON: %s", tt.doc)
			}
			in := &Intake{opt: Options{PayloadSchema: s}}
			problems := in.check([]byte(tt.doc))
			if got := len(problems) > 0; got != tt.problems {
				t.Fatalf("full validation: problems %q, want problems %v", problems, tt.problems)
			}
			if got := f.fits([]byte(tt.doc)); got != tt.fits {
				t.Errorf("fits = %v, want %v", got, tt.fits)
			}
			in.fast = f
			if got := in.check([]byte(tt.doc)); strings.Join(got, "\n") != strings.Join(problems, "\n") {
				t.Errorf("with the fast path: problems %q, want %q", got, problems)
			}
		})
	}
}

// A schema with a keyword the fast path does not understand has no fast
// form, so every ping goes through the full validation.
func TestFastSchemaRefuses(t *testing.T) {
	for _, doc := range []string{
		`{"type": "object", "properties": {"n": {"type": "integer"}}}`,
		`{"type": "object", "properties": {"s": {"type": "string", "pattern": "^a"}}}`,
		`{"type": "object", "properties": {"s": {"enum": ["a", "b"]}}}`,
		`{"type": "object", "properties": {"s": {"type": "string", "maxLength": 3}}}`,
		`{"type": "object", "properties": {"n": {"type": "number", "minimum": 0}}}`,
		`{"type": "object", "additionalProperties": {"type": "number"}}`,
		`{"type": "object", "properties": {"a": {"$ref": "#/$defs/a"}}, "$defs": {"a": {"type": "number"}}}`,
		`{"type": "object", "properties": {"a": {"anyOf": [{"type": "object", "properties": {"b": {"type": "number"}}}]}}}`,
		`{"type": "object", "properties": {"a": {"const": "x"}}}`,
		`{"type": "object", "properties": {"a": {"type": "string", "format": "no-such-format"}}}`,
		`{"type": "object", "properties": {"a": {"type": "array", "items": {"type": "number"}}}}`,
		`{"type": "object", "properties": {"a": {"not": {"type": "number"}}}}`,
		`{"type": "object", "required": ["a"]}`,
	} {
		s, err := wireschema.Compile("payload.json", []byte(doc))
		if err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		if compileFast(s) != nil {
			t.Errorf("%s: has a fast form", doc)
		}
	}
}

// Whatever the fast path vouches for, the full validation finds nothing
// in.
func FuzzFastSchema(f *testing.F) {
	s, fast := schemaOf(f)
	e2e, err := os.ReadFile("../../generator/cmd/usagekit/testdata/ping/e2e.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(e2e)
	for _, doc := range []string{
		`{` + facts + `}`,
		`{` + facts + `, "counts": {"issues": -1}, "license_plan": -1.0, "settings": {"collected_data_categories": [1, {"a": "b"}]}}`,
		`{"uuid": "", "recorded_at": "2026-11-25T12:00:00Z"}`,
		`{` + facts + `, "counts": {"issues": 1e400}}`,
		`{` + facts + `, "settings": {"collected_data_categories": [1e400]}}`,
		`{"\u0075uid": "a1", "recorded_at": "2026-11-25T12:00:00Z", "uuid": "b"}`,
	} {
		f.Add([]byte(doc))
	}
	in := &Intake{opt: Options{PayloadSchema: s}}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if !json.Valid(doc) || !fast.fits(doc) {
			return
		}
		if problems := in.check(doc); len(problems) > 0 {
			t.Errorf("fits, but the full validation finds %q in %s", problems, doc)
		}
	})
}
