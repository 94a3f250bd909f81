package generator_test

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
)

// sampleDefs holds real GitLab definition files that usagekit accepts, at
// their paths in GitLab (testdata/gitlab/SOURCE.md names each commit). It
// is also a golden case of the emit tests.
const sampleDefs = "testdata/gitlab/definitions"

// TestGitLabLegacyEventsShareActions: GitLab's legacy Snowplow events are
// known by category and action, and controllers share actions. They
// validate, and generate no Go code (only the internal event does), so
// their actions cannot collide.
func TestGitLabLegacyEventsShareActions(t *testing.T) {
	res := generator.LoadResult(sampleDefs)
	if len(res.Diagnostics) > 0 {
		t.Fatalf("the sample does not validate:\n\t%s", joinDiags(res.Diagnostics))
	}
	legacy := map[string]int{}
	var internal []string
	for _, e := range res.Set.Events {
		if e.InternalEvents {
			internal = append(internal, e.Action)
		} else {
			legacy[e.Action]++
		}
	}
	want := map[string]int{"create": 2, "error_invalid_user": 2, "render_page": 3, "show": 2}
	if !maps.Equal(legacy, want) {
		t.Errorf("legacy events by action = %v, want %v", legacy, want)
	}
	if got := strings.Join(internal, " "); got != "create_merge_request" {
		t.Errorf("internal events = %s, want create_merge_request", got)
	}
	files, err := emit.Emit(res.Set, emit.Options{Package: "generated"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		for action := range legacy {
			if strings.Contains(string(f.Data), "event "+action+" ") || strings.Contains(string(f.Data), `"`+action+`"`) {
				t.Errorf("%s mentions the legacy event %s", f.Name, action)
			}
		}
	}
	wantFiles := []string{"event_create_merge_request_gen.go", "metric_counts-merge_request_create_gen.go", "usagekit_gen.go"}
	if !slices.Equal(names, wantFiles) {
		t.Errorf("generated %v, want %v", names, wantFiles)
	}
}
