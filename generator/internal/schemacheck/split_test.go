package schemacheck_test

import (
	"errors"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/internal/schemacheck"
)

// leafSet flattens validation errors to their innermost failures, written
// so that the split schema's core (v1/x.json.core.json) and the whole
// schema (v1/x.json) compare equal.
func leafSet(errs []*jsonschema.ValidationError) []string {
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			loc := strings.Replace(e.AbsoluteKeywordLocation, ".json.core.json#", ".json#", 1)
			msg := e.Message
			if strings.HasPrefix(msg, "additionalProperties ") {
				// The validator lists the names in map order.
				names := strings.Split(strings.TrimSuffix(strings.TrimPrefix(msg, "additionalProperties "), " not allowed"), ", ")
				slices.Sort(names)
				msg = strings.Join(names, ", ")
			}
			out = append(out, e.InstanceLocation+" "+loc+" "+msg)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	for _, e := range errs {
		walk(e)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func whole(s *jsonschema.Schema, v map[string]any) []*jsonschema.ValidationError {
	err := s.Validate(v)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return []*jsonschema.ValidationError{ve}
	}
	return nil
}

// variants returns v and copies of it that switch each conditional of the
// schemas on or off.
func variants(v map[string]any) []map[string]any {
	out := []map[string]any{v}
	edit := func(f func(m map[string]any)) {
		m := maps.Clone(v)
		f(m)
		out = append(out, m)
	}
	for _, st := range []any{"active", "removed", "broken", "data_available", nil, 3} {
		edit(func(m map[string]any) { m["status"] = st })
	}
	edit(func(m map[string]any) { delete(m, "status") })
	for _, ds := range []any{"internal_events", "database", "system", nil} {
		edit(func(m map[string]any) { m["data_source"] = ds })
	}
	edit(func(m map[string]any) { delete(m, "events"); m["data_source"] = "internal_events" })
	edit(func(m map[string]any) { m["database"] = map[string]any{"operation": "sum", "table": "t"} })
	edit(func(m map[string]any) {
		m["database"] = map[string]any{"operation": "count", "table": "t"}
		m["data_source"] = "database"
	})
	edit(func(m map[string]any) { m["key_path"] = "topology"; delete(m, "product_categories") })
	edit(func(m map[string]any) { delete(m, "product_categories") })
	edit(func(m map[string]any) { m["instrumentation_class"] = "CountIssuesMetric" })
	edit(func(m map[string]any) { m["milestone_removed"] = "17.1"; m["removed_by_url"] = "https://x.example/1" })
	return out
}

// TestSplitMatchesWhole checks that validating with the split schema
// reports exactly the failures the schema as written reports, over the
// example definitions, the GitLab corpus when present, and variants of each
// that turn every conditional on and off.
func TestSplitMatchesWhole(t *testing.T) {
	set, err := schemacheck.Compiled()
	if err != nil {
		t.Fatal(err)
	}
	roots := []string{"../../../definitions"}
	if _, err := os.Stat("../../../../shared/corpus/gitlab/config"); err == nil {
		roots = append(roots, "../../../../shared/corpus/gitlab/config")
	}
	res := schemacheck.ReadDocuments(roots...)
	if len(res.Documents) < 40 {
		t.Fatalf("only %d documents loaded", len(res.Documents))
	}
	n, failing := 0, 0
	for _, d := range res.Documents {
		for i, v := range variants(d.Value) {
			var fast []*jsonschema.ValidationError
			full := set.Event
			if d.Kind == load.Metric {
				fast, full = set.CheckMetric(v), set.Metric
			} else {
				fast = set.CheckEvent(v)
			}
			want, got := leafSet(whole(full, v)), leafSet(fast)
			n++
			if len(want) > 0 {
				failing++
			}
			if !slices.Equal(want, got) {
				t.Errorf("%s variant %d:\nwhole schema:\n\t%s\nsplit schema:\n\t%s", d.Path, i,
					strings.Join(want, "\n\t"), strings.Join(got, "\n\t"))
			}
		}
	}
	t.Logf("%d documents compared, %d invalid", n, failing)
	if failing == 0 || failing == n {
		t.Errorf("the comparison needs valid and invalid documents: %d of %d invalid", failing, n)
	}
}
