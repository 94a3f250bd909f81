package generator_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/internal/load"
)

// This file holds the reference side of the GitLab compatibility tests:
// GitLab's own JSON Schemas, read from the shared corpus and applied the way
// GitLab applies them (json_schemer, format assertion on), to say whether
// GitLab accepts a definition file and which parts of it it objects to.

// corpusDir returns the GitLab corpus (../shared/corpus/gitlab relative to the
// module root), or skips the test with a plain message when it is absent.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := findCorpus(t)
	if err != nil {
		t.Skipf("skipped: the GitLab corpus is not at %s (%v); CI provides it", dir, err)
	}
	return dir
}

// findCorpus returns where the GitLab corpus should be and whether it is.
func findCorpus(t testing.TB) (string, error) {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "..", "shared", "corpus", "gitlab")
	_, err := os.Stat(filepath.Join(dir, "config"))
	return dir, err
}

// moduleRoot walks up from the package directory to the directory of go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatalf("working directory: %v", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// newestGroups is GitLab's newest product_groups.json found (SOURCE.md
// beside it names the commit), relative to the module root.
const newestGroups = "generator/testdata/gitlab/product_groups.json"

// gitlabSchemas are GitLab's event and metric schemas, compiled once.
type gitlabSchemas struct {
	event, metric *jsonschema.Schema
}

// compileGitLabSchemas compiles config/events/schema.json and
// config/metrics/schema/base.json from the corpus. The $refs between the
// schema files resolve against their file URLs, so every file the two
// schemas name is loaded from the corpus too, except product_groups.json:
// GitLab's newest list stands in for the corpus's older one.
func compileGitLabSchemas(t testing.TB, corpus string) *gitlabSchemas {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	// json_schemer, which GitLab uses, asserts formats by default.
	c.AssertFormat = true
	// GitLab checks known_product_category against its feature-category
	// list, which the corpus does not include: accept any string.
	c.Formats = map[string]func(any) bool{"known_product_category": func(any) bool { return true }}
	// The corpus's product_groups.json is older than some of its files;
	// GitLab judges them by its newest list, kept in the sample.
	groupsPath, err := filepath.Abs(filepath.Join(corpus, "config", "metrics", "schema", "product_groups.json"))
	if err != nil {
		t.Fatal(err)
	}
	newest, err := os.ReadFile(filepath.Join(moduleRoot(t), newestGroups))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(groupsPath, bytes.NewReader(newest)); err != nil {
		t.Fatalf("GitLab's newest product_groups.json: %v", err)
	}
	compile := func(rel string) *jsonschema.Schema {
		abs, err := filepath.Abs(filepath.Join(corpus, rel))
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile(abs)
		if err != nil {
			t.Fatalf("compiling GitLab's %s: %v", rel, err)
		}
		return s
	}
	return &gitlabSchemas{
		event:  compile("config/events/schema.json"),
		metric: compile("config/metrics/schema/base.json"),
	}
}

// gitlabVerdict is what GitLab's schema says about one file.
type gitlabVerdict struct {
	// Valid is true when the file decodes and satisfies the schema.
	Valid bool
	// Problems are the leaf schema errors, each as "line: pointer: message",
	// sorted; or the decoding error.
	Problems []string
}

// verdict decodes the YAML file at path as GitLab does (Psych: duplicate keys
// keep the last value, aliases expand) and validates it with the event or
// metric schema.
func (g *gitlabSchemas) verdict(path string, isEvent bool) gitlabVerdict {
	data, err := os.ReadFile(path)
	if err != nil {
		return gitlabVerdict{Problems: []string{err.Error()}}
	}
	doc, root, err := decodeLikePsych(data)
	if err != nil {
		return gitlabVerdict{Problems: []string{err.Error()}}
	}
	s := g.metric
	if isEvent {
		s = g.event
	}
	err = s.Validate(doc)
	if err == nil {
		return gitlabVerdict{Valid: true}
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return gitlabVerdict{Problems: []string{err.Error()}}
	}
	var problems []string
	for _, leaf := range leaves(ve) {
		line := lineOf(root, leaf.InstanceLocation)
		problems = append(problems, fmt.Sprintf("%d: %s: %s", line, leaf.InstanceLocation, leaf.Message))
	}
	slices.Sort(problems)
	return gitlabVerdict{Problems: slices.Compact(problems)}
}

// leaves returns the innermost causes of a validation error: the ones that
// name a concrete keyword failure rather than "doesn't validate with ...".
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// decodeLikePsych decodes one YAML document into JSON-compatible values
// (map[string]any, []any, string, int, float64, bool, nil) and returns the
// root node for position look-ups. An empty document is nil, as in Ruby.
func decodeLikePsych(data []byte) (any, *yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, err
	}
	if len(doc.Content) == 0 {
		return nil, &doc, nil
	}
	root := doc.Content[0]
	v, err := nodeValue(root, 0)
	return v, root, err
}

// nodeValue converts a node. Depth is bounded to refuse alias bombs.
func nodeValue(n *yaml.Node, depth int) (any, error) {
	if depth > 100 {
		return nil, errors.New("nesting deeper than 100 levels")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return nodeValue(n.Alias, depth+1)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind == yaml.AliasNode {
				k = k.Alias
			}
			if k.Tag == "!!merge" {
				return nil, fmt.Errorf("line %d: merge keys are not supported", k.Line)
			}
			v, err := nodeValue(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			// Psych keeps the last of duplicate keys.
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := nodeValue(c, depth+1)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		switch x := v.(type) {
		case time.Time:
			// Psych's safe_load refuses dates; the schemas only ever want
			// strings where dates could appear.
			return n.Value, nil
		case uint64:
			return strconv.FormatUint(x, 10), nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

// lineOf returns the line of the value at a JSON pointer such as
// "/events/0/unique", or of the nearest existing ancestor.
func lineOf(root *yaml.Node, pointer string) int {
	if root == nil {
		return 0
	}
	_, line := psychLookup(root, pointer)
	return line
}

// psychLookup finds the node at a JSON pointer in a tree decoded by
// decodeLikePsych, where a key may occur twice and the last one counts,
// as Psych decodes it (load.Document.Lookup reads files that load accepted,
// which have no duplicate keys). It returns the node, or nil, and the line
// of the deepest step found: the key of a mapping entry, the item of a
// list.
func psychLookup(root *yaml.Node, pointer string) (*yaml.Node, int) {
	n, line := root, root.Line
	for tok := range load.SplitPointer(pointer) {
		n = load.Deref(n)
		var next *yaml.Node
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k := load.Deref(n.Content[i]); k.Value == tok {
					next, line = n.Content[i+1], k.Line
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return nil, line
		}
		n = next
	}
	return n, line
}

// isEventPath reports whether a corpus or definitions path holds an event:
// GitLab's layout keeps them under config/events, ours under
// definitions/events.
func isEventPath(path string) bool {
	return slices.Contains(strings.Split(filepath.ToSlash(path), "/"), "events")
}
