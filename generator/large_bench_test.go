package generator_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
)

// largeLimit is the size every large input stays just under: the loader
// refuses files over 1 MiB, so this is the most work one file can ask for.
const largeLimit = 1<<20 - 64

// largeEventHead is a valid event up to its custom properties.
const largeEventHead = "description: A user did something big.\ninternal_events: true\naction: big_event\n" +
	"identifiers:\n- project\n- user\nproduct_group: project_management\nproduct_categories:\n- team_planning\n" +
	"milestone: \"17.0\"\nintroduced_by_url: https://code.example.com/acme/forge/-/merge_requests/1\n" +
	"tiers:\n- free\nadditional_properties:\n  label:\n    description: The kind of object.\n  property:\n    description: The client.\n"

// largeMetricHead is a valid metric up to its events.
const largeMetricHead = "key_path: counts.big_filters\ndescription: Counts a big event, filtered many ways.\n" +
	"product_group: project_management\nproduct_categories:\n- team_planning\nperformance_indicator_type: []\n" +
	"value_type: number\nstatus: active\nmilestone: \"17.0\"\n" +
	"introduced_by_url: https://code.example.com/acme/forge/-/merge_requests/2\n" +
	"time_frame: 28d\ndata_source: internal_events\ndata_category: optional\ntiers:\n- free\nevents:\n"

// fill appends entry(i) for i = 0, 1, ... to head while the result, with
// tail, stays within largeLimit.
func fill(head string, entry func(i int) string, tail string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; ; i++ {
		e := entry(i)
		if b.Len()+len(e)+len(tail) > largeLimit {
			break
		}
		b.WriteString(e)
	}
	b.WriteString(tail)
	return b.String()
}

// largeInput is one file of nearly 1 MiB, at path below a definitions
// directory.
type largeInput struct {
	name, path, data string
}

// largeInputs are files of every shape that makes loading or validation
// work hard: long mappings in block and flow style, a schema error per
// property, long lists of filters, syntax errors at the very end (whose
// position has to be searched for), a document on one line and a value on
// one line. Each is within the 1 MiB limit.
func largeInputs() []largeInput {
	prop := func(i int) string { return fmt.Sprintf("  p%d:\n    description: x\n", i) }
	props := func(tail string) string { return fill(largeEventHead, prop, tail) }
	flowProp := func(i int) string { return fmt.Sprintf("  p%d: {description: x, type: string}\n", i) }
	badProp := func(i int) string { return fmt.Sprintf("  p%d: false\n", i) }
	filter := func(i int) string {
		return fmt.Sprintf("- name: big_event\n  filter:\n    label: l%d\n    property: p%d\n", i, i)
	}
	oneLine := func(i int) string { return fmt.Sprintf(", p%d: {description: x}", i) }
	flowHead := "{description: d, internal_events: true, action: big_event, identifiers: [user], " +
		"product_group: project_management, product_categories: [team_planning], milestone: '17.0', " +
		"introduced_by_url: 'https://code.example.com/acme/forge/-/merge_requests/1', tiers: [free], " +
		"additional_properties: {label: {description: x}, property: {description: x}"
	longHead := strings.Replace(largeEventHead, "description: A user did something big.\n", "", 1) + "description: "
	long := fill(longHead, func(int) string { return "very long text " }, "\n")
	var inputs []largeInput
	add := func(name, path, data string) {
		inputs = append(inputs, largeInput{name, path, data})
	}
	add("properties", "events/big_event.yml", props(""))
	add("flow-properties", "events/big_event.yml", fill(largeEventHead, flowProp, ""))
	add("schema-errors", "events/big_event.yml", fill(largeEventHead, badProp, ""))
	add("filters", "metrics/big.yml", fill(largeMetricHead, filter, ""))
	for _, nl := range []string{"\n", "\r"} {
		suffix := map[string]string{"\n": "", "\r": "-cr"}[nl]
		cr := func(s string) string { return strings.ReplaceAll(s, "\n", nl) }
		add("bad-indentation"+suffix, "events/big_event.yml", cr(props("   value:\n")))
		add("key-after-list"+suffix, "events/big_event.yml", cr(props("status: [a]\nlist:\n  - a\n  key: b\n")))
		add("unclosed-quote"+suffix, "events/big_event.yml", cr(props("  last:\n    description: \"unclosed\n")))
	}
	add("one-line-flow", "events/big_event.yml", fill(flowHead, oneLine, "}}\n"))
	add("one-line-flow-unclosed", "events/big_event.yml", fill(flowHead, oneLine, "}\n"))
	add("one-long-line", "events/big_event.yml", long)
	return inputs
}

// BenchmarkLargeInputs loads and validates one file of nearly 1 MiB of
// each shape in largeInputs through generator.LoadResult, as `usagekit
// validate FILE` does. Each must take less than a second on two cores:
// no input within the size limit may stall a run or an editor. The machine
// may be shared, so CPU seconds are reported beside wall-clock time.
func BenchmarkLargeInputs(b *testing.B) {
	dir := b.TempDir()
	for _, in := range largeInputs() {
		path := filepath.Join(dir, in.name, filepath.FromSlash(in.path))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(in.data), 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			b.ReportAllocs()
			var problems int
			cpu := cpuTime()
			for b.Loop() {
				res := generator.LoadResult(path)
				problems = len(res.Diagnostics)
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-sec/op")
			b.ReportMetric(float64(problems), "problems")
		})
	}
}
