package generator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
)

// BenchmarkValidate loads and validates 10,000 generated definitions (a
// quarter events, the rest metrics of every data source, in the sizes real
// files have) per iteration, reading them from disk as `usagekit validate`
// does. defs/s is the figure to watch: the goal is at least 10,000 on two
// cores.
func BenchmarkValidate(b *testing.B) {
	const n = 10_000
	dir := b.TempDir()
	if err := writeSyntheticDefinitions(dir, n); err != nil {
		b.Fatal(err)
	}
	b.Run(fmt.Sprintf("defs=%d", n), func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res := generator.LoadResult(dir)
			if len(res.Diagnostics) > 0 {
				b.Fatalf("synthetic definitions have %d problems, first: %s", len(res.Diagnostics), res.Diagnostics[0])
			}
			if res.Files != n {
				b.Fatalf("read %d files, want %d", res.Files, n)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "defs/s")
	})
}

// TestSyntheticDefinitionsAreValid keeps the benchmark honest: what it
// generates must be clean definitions, or it would measure the error path.
func TestSyntheticDefinitionsAreValid(t *testing.T) {
	dir := t.TempDir()
	const n = 400
	if err := writeSyntheticDefinitions(dir, n); err != nil {
		t.Fatal(err)
	}
	res := generator.LoadResult(dir)
	if len(res.Diagnostics) > 0 {
		t.Fatalf("%d problems in synthetic definitions:\n%s", len(res.Diagnostics), joinDiags(res.Diagnostics))
	}
	if res.Files != n || res.Events != n/4 || res.Metrics != n-n/4 {
		t.Errorf("files %d, events %d, metrics %d; want %d, %d, %d", res.Files, res.Events, res.Metrics, n, n/4, n-n/4)
	}
	if corpus, err := findCorpus(t); err == nil {
		followsGitLab(t, compileGitLabSchemas(t, corpus), dir)
	} else {
		t.Logf("GitLab corpus absent (%v): not checked against GitLab's schemas", err)
	}
}

// writeSyntheticDefinitions writes n definitions under dir in our layout:
// n/4 events in events/ and the rest metrics in metrics/<folder>/. Event i
// has i%7 custom properties; metrics cycle through unique counts over one
// to four events, filtered totals, sums, database counts and system facts,
// all naming events that exist and declare what the metric needs.
func writeSyntheticDefinitions(dir string, n int) error {
	events := n / 4
	if events == 0 {
		return fmt.Errorf("need at least 4 definitions, got %d", n)
	}
	for _, sub := range []string{"events", "metrics/counts_7d", "metrics/counts_28d", "metrics/counts_all", "metrics/settings"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return err
		}
	}
	write := func(rel, content string) error {
		return os.WriteFile(filepath.Join(dir, rel), []byte(content), 0o644)
	}
	for i := range events {
		if err := write(fmt.Sprintf("events/%s.yml", syntheticAction(i)), syntheticEvent(i)); err != nil {
			return err
		}
	}
	for j := range n - events {
		folder, content := syntheticMetric(j, events)
		if err := write(fmt.Sprintf("metrics/%s/metric_%05d.yml", folder, j), content); err != nil {
			return err
		}
	}
	return nil
}

var syntheticObjects = []string{"issue", "merge_request", "pipeline", "project", "epic", "snippet", "release", "wiki_page"}
var syntheticVerbs = []string{"create", "update", "close", "reopen", "view", "delete", "export", "comment_on"}

func syntheticAction(i int) string {
	return fmt.Sprintf("%s_%s_%04d", syntheticVerbs[i%len(syntheticVerbs)], syntheticObjects[i/len(syntheticVerbs)%len(syntheticObjects)], i)
}

const syntheticTiers = "tiers:\n- free\n- premium\n- ultimate\n"

// hasProperties reports whether synthetic event i declares label and
// property (and i%7 custom properties); one in five declares none.
func hasProperties(i int) bool { return i%5 != 4 }

// hasValue reports whether synthetic event i also declares value.
func hasValue(i int) bool { return hasProperties(i) && i%2 == 0 }

// pickEvent returns the first event index from start on (wrapping) that ok
// accepts.
func pickEvent(start, events int, ok func(int) bool) int {
	for k := range events {
		if i := (start + k) % events; ok(i) {
			return i
		}
	}
	return 0
}

func syntheticEvent(i int) string {
	var b strings.Builder
	action := syntheticAction(i)
	fmt.Fprintf(&b, "# yaml-language-server: $schema=../../schema/v1/event.json\n")
	fmt.Fprintf(&b, "description: A user did %s, as tracked by the web and API handlers that perform it.\n", strings.ReplaceAll(action, "_", " "))
	fmt.Fprintf(&b, "internal_events: true\naction: %s\nidentifiers:\n- project\n- namespace\n- user\n", action)
	if hasProperties(i) {
		b.WriteString("additional_properties:\n  label:\n    description: The kind of object acted on.\n  property:\n    description: The client that sent the request.\n")
		if hasValue(i) {
			b.WriteString("  value:\n    description: A count that comes with the event.\n")
		}
		for k := range i % 7 {
			switch k % 4 {
			case 0:
				fmt.Fprintf(&b, "  source_%d:\n    description: Where the action started.\n    type: string\n    enum:\n    - web\n    - api\n    - cli\n", k)
			case 1:
				fmt.Fprintf(&b, "  size_%d:\n    description: Size of the object in items.\n    type: integer\n", k)
			case 2:
				fmt.Fprintf(&b, "  flagged_%d:\n    description: Whether the object was flagged.\n    type: boolean\n", k)
			case 3:
				fmt.Fprintf(&b, "  ratio_%d:\n    description: A ratio measured at the time.\n    type: number\n", k)
			}
		}
	}
	fmt.Fprintf(&b, "product_group: project_management\nproduct_categories:\n- team_planning\nmilestone: \"17.%d\"\n", i%12)
	fmt.Fprintf(&b, "introduced_by_url: https://code.example.com/acme/forge/-/merge_requests/%d\n%s", 1000+i, syntheticTiers)
	return b.String()
}

// syntheticMetric returns the folder and content of metric j, naming events
// among the first events events.
func syntheticMetric(j, events int) (folder, content string) {
	var b strings.Builder
	b.WriteString("# yaml-language-server: $schema=../../../schema/v1/metric.json\n")
	ev := func(k int) string { return syntheticAction((j*7 + k*13) % events) }
	var timeFrame, source, body, keyPrefix, valueType string
	valueType = "number"
	switch j % 8 {
	case 0, 1: // unique users over several events, weekly and monthly
		folder, keyPrefix, source = "counts_28d", "redis_hll_counters.synthetic", "internal_events"
		timeFrame = "\n- 7d\n- 28d"
		var e strings.Builder
		for k := range 1 + j%4 {
			fmt.Fprintf(&e, "- name: %s\n  unique: user.id\n", ev(k))
		}
		body = "events:\n" + e.String()
	case 2: // unique projects, weekly
		folder, keyPrefix, source, timeFrame = "counts_7d", "redis_hll_counters.synthetic", "internal_events", "7d"
		body = fmt.Sprintf("events:\n- name: %s\n  unique: project.id\n", ev(0))
	case 3: // filtered totals over every window
		folder, keyPrefix, source = "counts_all", "counts.synthetic", "internal_events"
		timeFrame = "\n- 7d\n- 28d\n- all"
		e := pickEvent(j*7, events, hasProperties)
		body = fmt.Sprintf("events:\n- name: %s\n  filter:\n    label: issue\n    property: api\n- name: %s\n", syntheticAction(e), ev(1))
	case 4: // a sum of value over events that declare value
		folder, keyPrefix, source, timeFrame = "counts_28d", "counts.synthetic_sum", "internal_events", "28d"
		e := pickEvent(j*7, events, hasValue)
		body = fmt.Sprintf("events:\n- name: %s\n  operator: sum(value)\n", syntheticAction(e))
	case 5: // database count
		folder, keyPrefix, source, timeFrame = "counts_28d", "counts_monthly.synthetic_rows", "database", "28d"
		body = "database:\n  operation: count\n  table: issues\n  column: id\n  where: state_id = 1\n"
	case 6: // database distinct count, all time
		folder, keyPrefix, source, timeFrame = "counts_all", "counts.synthetic_distinct", "database", "all"
		body = "database:\n  operation: distinct_count\n  table: merge_requests\n  column: author_id\n"
	case 7: // an instance setting computed by the application
		folder, keyPrefix, source, timeFrame = "settings", "settings.synthetic", "system", "none"
		valueType = "boolean"
		body = fmt.Sprintf("instrumentation_class: SyntheticSetting%sMetric\n", letters(j))
	}
	fmt.Fprintf(&b, "key_path: %s_%05d\n", keyPrefix, j)
	fmt.Fprintf(&b, "description: Synthetic metric %d, shaped like a real one so that validation does real work.\n", j)
	b.WriteString("product_group: project_management\nproduct_categories:\n- team_planning\nperformance_indicator_type: []\n")
	fmt.Fprintf(&b, "value_type: %s\nstatus: active\nmilestone: \"17.%d\"\n", valueType, j%12)
	fmt.Fprintf(&b, "introduced_by_url: https://code.example.com/acme/forge/-/merge_requests/%d\n", 5000+j)
	fmt.Fprintf(&b, "time_frame: %s\ndata_source: %s\ndata_category: optional\n%s%s", timeFrame, source, syntheticTiers, body)
	return folder, b.String()
}

// letters spells j in base 26 with a capital first letter ("B", "Bcd"):
// class names in definitions hold letters only.
func letters(j int) string {
	var s []byte
	for {
		s = append([]byte{byte('a' + j%26)}, s...)
		j /= 26
		if j == 0 {
			break
		}
	}
	return strings.ToUpper(string(s[:1])) + string(s[1:])
}
