package scaffold

import (
	"fmt"
	"strings"

	"github.com/usagekit/usagekit/generator/emit"
)

// GeneratedPackage is the package name snippets use for the generated code.
const GeneratedPackage = "generated"

// identParam is the Track parameter and sample argument of each identifier.
var identParam = map[string]string{
	"user": "userID", "project": "projectID", "namespace": "namespaceID",
	"feature_enabled_by_namespace_ids": "enabledByNamespaceIDs",
}

var identMatcher = map[string]string{
	"user": "tracktest.User(userID)", "project": "tracktest.Project(projectID)",
	"namespace": "tracktest.Namespace(namespaceID)",
}

// EventSnippet is what to tell the author of a new event: the call to add
// where the event happens and a test that checks it, using the tracktest
// recorder.
func EventSnippet(o EventOptions) string {
	name := goName(o.Action)
	args := []string{"ctx"}
	var matchers []string
	for _, id := range ordered(o.Identifiers, identifierOrder) {
		args = append(args, identParam[id])
		if m, ok := identMatcher[id]; ok {
			matchers = append(matchers, m)
		}
	}
	if len(o.Properties) > 0 {
		var fields []string
		for _, p := range o.Properties {
			fields = append(fields, goName(p.Name)+": "+sampleValue(p))
		}
		args = append(args, fmt.Sprintf("%s.%sProperties{%s}", GeneratedPackage, name, strings.Join(fields, ", ")))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Run usagekit generate, then call this where %s happens:\n\n", o.Action)
	fmt.Fprintf(&b, "\t%s.Track%s(%s)\n\n", GeneratedPackage, name, strings.Join(args, ", "))
	b.WriteString("and check it in a test:\n\n")
	fmt.Fprintf(&b, "\tfunc Test%sIsTracked(t *testing.T) {\n", name)
	b.WriteString("\t\trec := tracktest.New(t)\n")
	b.WriteString("\t\tctx := rec.Context(context.Background())\n")
	b.WriteString("\t\t// ... run the code that should track the event, with ctx ...\n")
	fmt.Fprintf(&b, "\t\trec.AssertTracked(t, %q%s)\n", o.Action, prefixComma(matchers))
	b.WriteString("\t}\n")
	return b.String()
}

// MetricSnippet is what to tell the author of a new metric: a test that
// checks the metric moves when its event is tracked.
func MetricSnippet(keys []string, events []string) string {
	var b strings.Builder
	b.WriteString("Run usagekit generate, then check the metric in a test:\n\n")
	fmt.Fprintf(&b, "\tfunc Test%sCounts(t *testing.T) {\n", goName(keys[0][strings.LastIndex(keys[0], ".")+1:]))
	b.WriteString("\t\trec := tracktest.New(t)\n")
	b.WriteString("\t\tctx := rec.Context(context.Background())\n")
	fmt.Fprintf(&b, "\t\tm := tracktest.Metric(t, %s.Metrics(nil), %q)\n", GeneratedPackage, keys[0])
	b.WriteString("\t\trec.AssertMetricChange(t, m, 1, func() {\n")
	fmt.Fprintf(&b, "\t\t\t// ... run the code that tracks %s, with ctx ...\n", strings.Join(events, " or "))
	b.WriteString("\t\t})\n\t}\n")
	return b.String()
}

func prefixComma(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return ", " + strings.Join(s, ", ")
}

func sampleValue(p Property) string {
	switch {
	case p.Name == "value" || p.Type == "number":
		return "1.5"
	case p.Type == "integer":
		return "1"
	case p.Type == "boolean":
		return "true"
	}
	return `"..."`
}

// goName is the Go name the code generator gives an event or property.
func goName(s string) string { return emit.GoName(s) }
