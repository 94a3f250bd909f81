package validate

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/internal/schemacheck"
	"github.com/usagekit/usagekit/schema"
)

// checkSchema validates one document. A panic in the validator becomes a
// diagnostic for the file rather than ending the run.
func checkSchema(set *schemacheck.Set, d *load.Document) (diags diag.List) {
	defer diag.Recover(&diags, d.Path, "validating this file")
	var errs []*jsonschema.ValidationError
	if d.Kind == load.Metric {
		errs = set.CheckMetric(d.Value)
	} else {
		errs = set.CheckEvent(d.Value)
	}
	if len(errs) == 0 {
		return nil
	}
	m := mapper{doc: d, set: set}
	for _, ve := range errs {
		m.visit(ve, "", "")
	}
	return firstProblems(d.Path, m.found)
}

// maxSchemaProblems is the most schema problems listed for one file. A
// file with thousands (a list of properties pasted in the wrong shape, one
// mistake repeated on every entry) gains nothing from a line for each: the
// first show the mistake, and the rest would bury the problems of every
// other file and stall the editors and CI logs that show them.
const maxSchemaProblems = 100

// firstProblems turns a file's schema problems into diagnostics: the
// first maxSchemaProblems, by position, and one that says how many more
// there are, where the first of them is. Only the messages listed are
// formatted, but those of problems at the same position, to drop
// duplicates as diag.List.Sort does.
func firstProblems(path string, found []problem) diag.List {
	slices.SortStableFunc(found, func(a, b problem) int {
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col))
	})
	var out diag.List
	var more int
	var moreAt problem
	for i := 0; i < len(found); {
		j := i + 1
		for j < len(found) && found[j].line == found[i].line && found[j].col == found[i].col {
			j++
		}
		distinct := 1
		var msgs []string
		if j-i > 1 || len(out) < maxSchemaProblems {
			for _, p := range found[i:j] {
				msgs = append(msgs, fmt.Sprintf(p.format, p.args...))
			}
			slices.Sort(msgs)
			msgs = slices.Compact(msgs)
			distinct = len(msgs)
		}
		for k := range distinct {
			if len(out) < maxSchemaProblems {
				out = append(out, diag.Diagnostic{Path: path, Line: found[i].line, Col: found[i].col, Rule: "schema", Message: msgs[k]})
				continue
			}
			if more == 0 {
				moreAt = found[i]
			}
			more++
		}
		i = j
	}
	if more > 0 {
		out.Add(path, moreAt.line, moreAt.col, "schema", "%d more schema problems from here on are not listed; a file lists its first %d, and fixing those usually fixes the rest", more, maxSchemaProblems)
	}
	return out
}

// problem is a schema problem found, with its message not yet formatted.
type problem struct {
	line, col int
	format    string
	args      []any
}

// mapper turns a tree of schema errors into positioned diagnostics whose
// messages say what is wrong and what is allowed.
type mapper struct {
	doc   *load.Document
	set   *schemacheck.Set
	found []problem
	// schemas caches set.At: the errors of a large file point at a few
	// keywords many times over.
	schemas map[string]any
}

func (m *mapper) add(n *yaml.Node, format string, args ...any) {
	line, col := 0, 0
	if n != nil {
		line, col = n.Line, n.Column
	}
	m.found = append(m.found, problem{line: line, col: col, format: format, args: args})
}

// schemaMap returns the schema object at an absolute keyword location.
func (m *mapper) schemaMap(loc string) map[string]any {
	s, _ := m.at(loc).(map[string]any)
	return s
}

// at is m.set.At, remembered.
func (m *mapper) at(loc string) any {
	if v, ok := m.schemas[loc]; ok {
		return v
	}
	if m.schemas == nil {
		m.schemas = map[string]any{}
	}
	v := m.set.At(loc)
	m.schemas[loc] = v
	return v
}

// holder is the location of the schema that holds the keyword at loc.
func holder(loc string) string {
	if i := strings.LastIndexByte(loc, '/'); i >= 0 {
		return loc[:i]
	}
	return loc
}

func keyword(loc string) string { return loc[strings.LastIndexByte(loc, '/')+1:] }

// visit walks the error tree. xerr is the innermost x-error annotation of
// the schemas on the way down: it words every failure below it.
func (m *mapper) visit(e *jsonschema.ValidationError, xerr, xat string) {
	if e.InstanceLocation == groupPtr && !m.wrongType(e) {
		return // checkGroup words it, naming the list that applies
	}
	for _, loc := range []string{holder(e.AbsoluteKeywordLocation), e.AbsoluteKeywordLocation} {
		s := m.schemaMap(loc)
		if x, ok := s["x-error"].(string); ok {
			xerr = x
			xat, _ = s["x-at"].(string)
		}
	}
	kw := keyword(e.KeywordLocation)
	if xerr != "" && (len(e.Causes) == 0 || kw == "anyOf" || kw == "oneOf") {
		ptr := e.InstanceLocation
		if xat != "" {
			// Point at the key that made the rule apply (status:
			// removed), not at the start of the mapping.
			if k, _ := m.doc.Lookup(ptr + "/" + xat); k != nil {
				m.add(k, "%s%s", where(ptr), xerr)
				return
			}
		}
		_, n := m.doc.Lookup(ptr)
		m.add(n, "%s%s", where(ptr), xerr)
		return
	}
	if (kw == "anyOf" || kw == "oneOf") && len(e.Causes) > 0 {
		m.alternatives(e)
		return
	}
	if len(e.Causes) == 0 {
		m.leaf(e)
		return
	}
	for _, c := range e.Causes {
		m.visit(c, xerr, xat)
	}
}

// alternatives reports a failed anyOf or oneOf. When the value has the type
// of exactly one alternative, that alternative's errors are the useful ones;
// otherwise the value has none of the types, which is what to say.
func (m *mapper) alternatives(e *jsonschema.ValidationError) {
	var fitting []*jsonschema.ValidationError
	var types []string
	for _, c := range e.Causes {
		if t := m.typeMismatch(c, e.InstanceLocation); t != nil {
			types = append(types, t...)
			continue
		}
		fitting = append(fitting, c)
	}
	if len(fitting) == 1 {
		m.visit(fitting[0], "", "")
		return
	}
	_, n := m.doc.Lookup(e.InstanceLocation)
	if len(fitting) == 0 && len(types) > 0 {
		if n != nil && n.Kind == yaml.ScalarNode && n.Value != "" {
			m.add(n, "%s%s is %s; expected %s", where(e.InstanceLocation), show(n), load.KindOf(n), orList(names(types)))
		} else {
			m.add(n, "%sexpected %s, not %s", where(e.InstanceLocation), orList(names(types)), load.KindOf(n))
		}
		return
	}
	m.add(n, "%s%s", where(e.InstanceLocation), e.Message)
}

// wrongType reports whether e fails only because the value has the wrong
// type (in every alternative, for an anyOf).
func (m *mapper) wrongType(e *jsonschema.ValidationError) bool {
	if keyword(e.KeywordLocation) == "type" {
		return true
	}
	if len(e.Causes) == 0 {
		return false
	}
	for _, c := range e.Causes {
		if m.typeMismatch(c, e.InstanceLocation) == nil && !m.wrongType(c) {
			return false
		}
	}
	return true
}

// typeMismatch returns the expected types when branch c fails because the
// value at loc has the wrong type, or nil.
func (m *mapper) typeMismatch(c *jsonschema.ValidationError, loc string) []string {
	if c.InstanceLocation == loc && keyword(c.KeywordLocation) == "type" {
		return typeList(m.at(c.AbsoluteKeywordLocation))
	}
	for _, cc := range c.Causes {
		if t := m.typeMismatch(cc, loc); t != nil {
			return t
		}
	}
	return nil
}

// maxListed is the longest enum a message spells out; longer ones are
// referred to by file.
const maxListed = 12

// leaf words one failed keyword.
func (m *mapper) leaf(e *jsonschema.ValidationError) {
	_, n := m.doc.Lookup(e.InstanceLocation)
	at := where(e.InstanceLocation)
	sch := m.at(e.AbsoluteKeywordLocation)
	hold := m.schemaMap(holder(e.AbsoluteKeywordLocation))
	switch keyword(e.KeywordLocation) {
	case "type":
		want := typeList(sch)
		hint := ""
		if slices.Contains(want, "string") && n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() != "!!str" && n.ShortTag() != "!!null" {
			hint = fmt.Sprintf(" (quote it: %q)", n.Value)
		}
		if n != nil && (n.Kind != yaml.ScalarNode || n.ShortTag() == "!!null" && n.Value == "") {
			m.add(n, "%sexpected %s, not %s", at, orList(names(want)), load.KindOf(n))
			return
		}
		m.add(n, "%s%s is %s; expected %s%s", at, show(n), load.KindOf(n), orList(names(want)), hint)
	case "enum":
		vals, _ := sch.([]any)
		if len(vals) > maxListed {
			file := strings.TrimPrefix(holder(e.AbsoluteKeywordLocation), schema.Base)
			file, _, _ = strings.Cut(file, "#")
			m.add(n, "%s%s is not one of the %d values listed in schema/%s%s", at, show(n), len(vals), file, closest(n, vals))
			return
		}
		m.add(n, "%s%s is not one of %s", at, show(n), plainList(vals))
	case "const":
		m.add(n, "%s%s is not allowed; the only allowed value is %s", at, show(n), plain(sch))
	case "required":
		obj, _ := schemacheck.Resolve(m.doc.Value, e.InstanceLocation).(map[string]any)
		req, _ := sch.([]any)
		for _, r := range req {
			name, _ := r.(string)
			if _, ok := obj[name]; !ok {
				m.add(n, "%smissing required key %q", at, name)
			}
		}
	case "additionalProperties":
		props, _ := hold["properties"].(map[string]any)
		allowed := slices.Sorted(maps.Keys(props))
		if n != nil && n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if _, ok := props[k.Value]; !ok {
					m.add(k, "%sunknown key %q; allowed: %s", at, k.Value, strings.Join(allowed, ", "))
				}
			}
		}
	case "pattern":
		if words, ok := hold["x-pattern"].(string); ok {
			m.add(n, "%s%s must be %s", at, show(n), words)
		} else {
			m.add(n, "%s%s does not match the pattern %s", at, show(n), plain(sch))
		}
	case "format":
		m.add(n, "%s%s is not a valid %s", at, show(n), strings.ToUpper(plain(sch)))
	case "uniqueItems":
		m.duplicateItem(n, at)
	case "minItems":
		m.add(n, "%smust list at least %s", at, plural(sch, "entry", "entries"))
	case "minLength":
		m.add(n, "%smust not be empty", at)
	case "not":
		m.add(n, "%sis not allowed here", at)
	default:
		m.add(n, "%s%s", at, e.Message)
	}
}

// closest suggests the enum value nearest to a mistyped string, if one is
// near enough to be what was meant.
func closest(n *yaml.Node, vals []any) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	names := make([]string, 0, len(vals))
	for _, v := range vals {
		if s, ok := v.(string); ok {
			names = append(names, s)
		}
	}
	return diag.Suggest(n.Value, names)
}

// duplicateItem reports the second occurrence of the first repeated item.
func (m *mapper) duplicateItem(n *yaml.Node, at place) {
	if n == nil || n.Kind != yaml.SequenceNode {
		m.add(n, "%sitems must be unique", at)
		return
	}
	seen := map[string]bool{}
	for _, c := range n.Content {
		if c.Kind == yaml.ScalarNode {
			if seen[c.Value] {
				m.add(c, "%s%s is listed twice; list each value once", at, show(c))
				return
			}
			seen[c.Value] = true
		}
	}
	m.add(n, "%sitems must be unique", at)
}

// where is the place a JSON pointer names, for messages; see place.
func where(ptr string) place { return place(ptr) }

// place is a JSON pointer that prints as the dotted path a reader knows
// from the file (events[0].unique), followed by ": ", or "" for the top
// level. It is rendered when a message is formatted, which only the listed
// problems of a file are.
type place string

func (p place) String() string {
	ptr := string(p)
	if ptr == "" {
		return ""
	}
	var b strings.Builder
	for tok := range load.SplitPointer(ptr) {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String() + ": "
}

// show renders a node's value for a message: strings quoted, other scalars
// as written, collections by kind.
func show(n *yaml.Node) string {
	if n == nil {
		return "the value"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "the mapping"
	case yaml.SequenceNode:
		return "the list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!timestamp", "!!binary":
			return strconv.Quote(n.Value)
		case "!!null":
			if n.Value == "" {
				return "the empty value"
			}
		}
		return n.Value
	}
	return "the value"
}

func typeList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// typeNames words JSON Schema type names for a reader of YAML.
var typeNames = map[string]string{
	"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
	"integer": "an integer", "boolean": "a boolean", "null": "nothing (an empty value)",
}

// names words JSON Schema type names for a reader of YAML.
func names(types []string) []string {
	out := make([]string, 0, len(types))
	for _, t := range types {
		w := typeNames[t]
		if w == "" {
			w = t
		}
		if !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

func orList(s []string) string {
	switch len(s) {
	case 0:
		return "another type"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

func plain(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(v)
}

func plainList(vals []any) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = plain(v)
	}
	return strings.Join(s, ", ")
}

func plural(v any, one, many string) string {
	f, _ := v.(float64)
	if f == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%v %s", f, many)
}
