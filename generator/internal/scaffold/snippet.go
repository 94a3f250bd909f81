package scaffold

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/usagekit/usagekit/generator/emit"
)

// Target is the generated package the snippets call: its name and the
// command that regenerates it.
type Target struct {
	Package  string // "generated"
	Generate string // "go generate ./generated"
}

// DefaultTarget is used when no package generated from the definitions is
// found.
var DefaultTarget = Target{Package: "generated", Generate: "usagekit generate"}

// FindTarget looks, below the current directory, for the package generated
// from the definitions in dir: a doc.go whose //go:generate line runs
// usagekit generate --definitions on dir (as usagekit init writes it). It
// returns DefaultTarget when there is none.
func FindTarget(dir string) Target {
	want, err := filepath.Abs(dir)
	if err != nil {
		return DefaultTarget
	}
	found := DefaultTarget
	errFound := errors.New("found")
	filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error { //nolint:errcheck // a tree that cannot be read has no target
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if n := d.Name(); p != "." && (strings.HasPrefix(n, ".") || n == "vendor" || n == "testdata" || n == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Name() != "doc.go" {
			return nil
		}
		if t, ok := targetOf(p, want); ok {
			found = t
			return errFound
		}
		return nil
	})
	return found
}

// targetOf reads a doc.go and reports whether its go:generate line
// generates from the definitions at want.
func targetOf(file, want string) (Target, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return Target{}, false
	}
	var pkg, defs string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "package":
			pkg = f[1]
		case len(f) > 0 && f[0] == "//go:generate" && strings.Contains(line, "usagekit generate"):
			for i := range len(f) - 1 {
				if f[i] == "--definitions" {
					defs = f[i+1]
				}
			}
		}
	}
	if pkg == "" || defs == "" {
		return Target{}, false
	}
	got, err := filepath.Abs(filepath.Join(filepath.Dir(file), defs))
	if err != nil || got != want {
		return Target{}, false
	}
	return Target{Package: pkg, Generate: "go generate ./" + filepath.ToSlash(filepath.Dir(file))}, true
}

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
func EventSnippet(o EventOptions, to Target) string {
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
		args = append(args, fmt.Sprintf("%s.%sProperties{%s}", to.Package, name, strings.Join(fields, ", ")))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s, then call this where %s happens:\n\n", to.Generate, o.Action)
	fmt.Fprintf(&b, "\t%s.Track%s(%s)\n\n", to.Package, name, strings.Join(args, ", "))
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
func MetricSnippet(keys []string, events []string, to Target) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s, then check the metric in a test:\n\n", to.Generate)
	fmt.Fprintf(&b, "\tfunc Test%sCounts(t *testing.T) {\n", goName(keys[0][strings.LastIndex(keys[0], ".")+1:]))
	b.WriteString("\t\trec := tracktest.New(t)\n")
	b.WriteString("\t\tctx := rec.Context(context.Background())\n")
	fmt.Fprintf(&b, "\t\tm := tracktest.Metric(t, %s.Metrics(nil), %q)\n", to.Package, keys[0])
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
