package generator_test

import (
	"bytes"
	"go/format"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
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
	if err := res.Err(); err != nil {
		t.Fatalf("the sample does not validate:\n%v", err)
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
	// The privacy rules' warnings are not GitLab's reasons: they are held to
	// GitLab's files in TestPrivacyRulesOnGitLab.
	for _, d := range generator.LoadResult(cliSource).Diagnostics.Errors() {
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

// TestGitLabGeneratedIsGofmtClean generates Go from every GitLab file we
// accept, in the shared corpus and in the samples, and runs gofmt -l over
// it: nothing may be listed, and formatting any file again must change
// nothing. GitLab's descriptions often lack a final period or read as
// lists, which gofmt's doc comment reformatting used to change.
func TestGitLabGeneratedIsGofmtClean(t *testing.T) {
	gofmt, err := exec.LookPath(filepath.Join(runtime.GOROOT(), "bin", "gofmt"))
	if err != nil {
		if gofmt, err = exec.LookPath("gofmt"); err != nil {
			t.Skip("no gofmt")
		}
	}
	sets := map[string][]string{
		"corpus":  acceptedFiles(t, filepath.Join(corpusDir(t), "config")),
		"samples": {sampleDefs, "testdata/gitlab_cli/definitions"},
	}
	counts := map[string][2]int{}
	for name, paths := range sets {
		res := generator.LoadResult(paths...)
		if err := res.Err(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		files, err := emit.Emit(res.Set, emit.Options{Package: "generated"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		counts[name] = [2]int{len(res.Paths), len(files)}
		dir := t.TempDir()
		for _, f := range files {
			if again, err := format.Source(f.Data); err != nil || !bytes.Equal(again, f.Data) {
				t.Errorf("%s: formatting %s again changes it (%v)", name, f.Name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, f.Name), f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		out, err := exec.Command(gofmt, "-l", dir).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("%s: gofmt -l lists (%v):\n%s", name, err, out)
		}
	}
	// The 15 corpus files we accept (15 Go files: 11 metrics, 3 events and
	// the package file), and the 13 sample files (two internal events, two
	// metrics, the package file).
	want := map[string][2]int{"corpus": {15, 15}, "samples": {13, 5}}
	if !maps.Equal(counts, want) {
		t.Errorf("files read and generated = %v, want %v", counts, want)
	}
}

// acceptedFiles returns the definition files under dir that validate, in a
// run of their own: files with a finding are left out, and so, until none
// is left, are files that only validated with them (a metric whose event
// was left out).
func acceptedFiles(t *testing.T, dir string) []string {
	t.Helper()
	res := generator.LoadResult(dir)
	paths := res.Paths
	diags := res.Diagnostics.Errors()
	for len(diags) > 0 {
		bad := map[string]bool{}
		for _, d := range diags {
			bad[d.Path] = true
		}
		paths = slices.DeleteFunc(paths, func(p string) bool { return bad[p] })
		if len(paths) == 0 {
			t.Fatalf("no file under %s validates", dir)
		}
		diags = generator.LoadResult(paths...).Diagnostics.Errors()
	}
	return paths
}
