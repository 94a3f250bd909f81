package generator_test

import (
	"maps"
	"os"
	"path/filepath"
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

// cliSource holds two files of GitLab's internal events CLI tests,
// unchanged: an event with custom properties without a type, and the
// metric the CLI writes for it, whose filters give two of them numbers.
const cliSource = "testdata/gitlab_cli/source"

// TestGitLabUntypedFilter: GitLab's schemas allow a string or a number as
// the filter value of a custom property, which has no type. Over the CLI's
// files, GitLab objects only to introduced_by_url (the CLI leaves TODO
// there), and so do we: nothing about the numeric filters. The file name
// is ours to object to (the CLI writes the event to
// config/events/internal_events_cli_used.yml).
func TestGitLabUntypedFilter(t *testing.T) {
	g := compileGitLabSchemas(t, corpusDir(t))
	const (
		event  = "spec/fixtures/scripts/internal_events/events/event_with_multiple_custom_properties.yml"
		metric = "spec/fixtures/scripts/internal_events/metrics/user_id_single_event_custom_key_filter.yml"
	)
	gitlab := map[string][]string{
		event:  {`26: /introduced_by_url: 'TODO' is not valid 'uri'`},
		metric: {`11: /introduced_by_url: 'TODO' is not valid 'uri'`},
	}
	for file, want := range gitlab {
		got := g.verdict(filepath.Join(cliSource, file), isEventPath(file))
		if got.Valid || !slices.Equal(got.Problems, want) {
			t.Errorf("GitLab's verdict on %s: %q, want %q", file, got.Problems, want)
		}
	}
	var ours []string
	for _, d := range generator.LoadResult(cliSource).Diagnostics {
		ours = append(ours, strings.TrimPrefix(filepath.ToSlash(d.String()), cliSource+"/"))
	}
	want := []string{
		event + `:4:1: action "internal_events_cli_used" does not match the file name event_with_multiple_custom_properties.yml; rename the file to internal_events_cli_used.yml`,
		event + `:26:20: introduced_by_url: "TODO" is not a valid URI`,
		metric + `:11:20: introduced_by_url: "TODO" is not a valid URI`,
	}
	if !slices.Equal(ours, want) {
		t.Errorf("our findings:\n\t%s\nwant\n\t%s", strings.Join(ours, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestGitLabCLIDefinitionsDerived keeps the golden case built from the
// CLI's files exactly those files, with a URL in place of TODO, at the path
// the CLI writes the event to.
func TestGitLabCLIDefinitionsDerived(t *testing.T) {
	const todo, url = "introduced_by_url: TODO\n", "introduced_by_url: https://example.com/merge_requests/1\n"
	for src, def := range map[string]string{
		"spec/fixtures/scripts/internal_events/events/event_with_multiple_custom_properties.yml":   "events/internal_events_cli_used.yml",
		"spec/fixtures/scripts/internal_events/metrics/user_id_single_event_custom_key_filter.yml": "metrics/counts_28d/count_distinct_user_id_from_failed_usage_attempts_under_60s.yml",
	} {
		a, err := os.ReadFile(filepath.Join(cliSource, src))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join("testdata/gitlab_cli/definitions", def))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(string(a), todo) != 1 || strings.Replace(string(a), todo, url, 1) != string(b) {
			t.Errorf("definitions/%s is not %s with its one TODO replaced", def, src)
		}
	}
}
