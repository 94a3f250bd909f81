package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/diag"
)

// Kind says what a document defines.
type Kind uint8

// Kinds of document.
const (
	Unknown Kind = iota
	Event
	Metric
)

func (k Kind) String() string {
	switch k {
	case Event:
		return "event"
	case Metric:
		return "metric"
	}
	return "unknown"
}

// Limits on what one document may expand to. Definitions are small flat
// mappings; these bounds only stop hostile input (a "billion laughs" of
// nested aliases, or nesting deep enough to exhaust the stack).
const (
	// MaxExpandedNodes is how many values aliases may add to a document.
	MaxExpandedNodes = 10_000
	// MaxDepth is the deepest nesting of mappings and lists accepted.
	MaxDepth = 64
)

// Document is one decoded definition file.
type Document struct {
	// Path is the file as reported in diagnostics.
	Path string
	Kind Kind
	// Root is the top-level mapping node.
	Root *yaml.Node
	// Value is Root as JSON-compatible values: map[string]any, []any,
	// string, int64, float64, bool and nil. Schemas validate this.
	Value map[string]any

	// keys indexes the mappings of more than smallMapping pairs: mapping
	// node → key → pair number. Validation looks up the position of every
	// value it reports on or models; scanning a mapping of thousands of
	// keys for each of them made validation quadratic.
	keys map[*yaml.Node]map[string]int
}

// smallMapping is the most pairs a mapping may hold and still be searched
// key by key; a scan of so few keys costs less than hashing.
const smallMapping = 16

// Lookup finds the node at a JSON pointer ("" is the root, "/events/0/name"
// the name of the first event). key is the mapping key of the last step, or
// nil when the last step is a list index or the root. Both are nil when the
// pointer leads nowhere. Aliases are followed, in keys as in values.
func (d *Document) Lookup(ptr string) (key, value *yaml.Node) {
	value = d.Root
	for tok := range SplitPointer(ptr) {
		value = Deref(value)
		switch value.Kind {
		case yaml.MappingNode:
			i := d.pair(value, tok)
			if i < 0 {
				return nil, nil
			}
			key, value = value.Content[2*i], value.Content[2*i+1]
		case yaml.SequenceNode:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(value.Content) {
				return nil, nil
			}
			key, value = nil, value.Content[i]
		default:
			return nil, nil
		}
	}
	if value != nil {
		value = Deref(value)
	}
	return key, value
}

// pair returns the number of the pair of mapping m whose key is name, or
// -1. Parse refuses duplicate keys, so there is at most one.
func (d *Document) pair(m *yaml.Node, name string) int {
	if index, ok := d.keys[m]; ok {
		if i, ok := index[name]; ok {
			return i
		}
		return -1
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := Deref(m.Content[i]); k.Kind == yaml.ScalarNode && k.Value == name {
			return i / 2
		}
	}
	return -1
}

// Deref follows aliases to the node they stand for. An alias whose anchor
// is unknown stays as it is.
func Deref(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// Parse decodes one file's bytes. path is used for diagnostics and, through
// its directories, to decide the document's Kind.
func Parse(path string, data []byte) (*Document, diag.List) {
	var diags diag.List
	if !utf8.Valid(data) {
		line, col, b := firstInvalidUTF8(data)
		diags.Add(path, line, col, "yaml", "invalid UTF-8 (byte 0x%02x); definition files must be UTF-8 text", b)
		return nil, diags
	}
	var doc yaml.Node
	if more := secondDocument(data); !more {
		// The common case: one document, parsed from memory.
		if err := yaml.Unmarshal(data, &doc); err != nil {
			return nil, syntaxError(path, data, err)
		}
		if doc.Kind == 0 {
			diags.Add(path, 0, 0, "yaml", "file is empty; expected a mapping with an action (event) or a key_path (metric)")
			return nil, diags
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		if err := dec.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				diags.Add(path, 0, 0, "yaml", "file is empty; expected a mapping with an action (event) or a key_path (metric)")
				return nil, diags
			}
			return nil, syntaxError(path, data, err)
		}
		var extra yaml.Node
		if err := dec.Decode(&extra); err == nil {
			diags.Add(path, extra.Line, extra.Column, "yaml", "a second YAML document starts here; a definition file holds exactly one")
			return nil, diags
		} else if !errors.Is(err, io.EOF) {
			return nil, syntaxError(path, data, err)
		}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	root = Deref(root)
	if root.Kind != yaml.MappingNode {
		diags.Add(path, root.Line, root.Column, "yaml", "the top level is %s; expected a mapping with an action (event) or a key_path (metric)", describe(root))
		return nil, diags
	}
	c := converter{path: path, diags: &diags}
	v := c.value(root, 0, false)
	if len(diags) > 0 {
		return nil, diags
	}
	d := &Document{Path: path, Root: root, Value: v.(map[string]any), keys: c.keys}
	d.Kind = kindOf(path, d.Value)
	if d.Kind == Unknown {
		diags.Add(path, root.Line, root.Column, "kind", "cannot tell whether this is an event or a metric: put it under an events/ or metrics/ directory, or give it an action or a key_path")
		return nil, diags
	}
	return d, nil
}

// syntaxError reports a go-yaml error at its line and column.
func syntaxError(path string, data []byte, err error) diag.List {
	return diag.List{SyntaxError(path, data, err)}
}

// secondDocument reports whether data may hold more than one YAML document:
// a line after the first that starts with a document marker (--- or ...).
// Only then is the slower stream decoder needed to find out; yaml.Unmarshal
// would silently read the first document alone.
func secondDocument(data []byte) bool {
	for _, marker := range [][]byte{[]byte("---"), []byte("...")} {
		for i := 1; i < len(data); {
			j := bytes.Index(data[i:], marker)
			if j < 0 {
				break
			}
			if breakBefore(data, i+j) {
				return true
			}
			i += j + 1
		}
	}
	return false
}

// kindOf decides what a document defines: the nearest events or metrics
// directory on its path, else its keys.
func kindOf(p string, v map[string]any) Kind {
	for dir := path.Dir(p); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		switch path.Base(dir) {
		case "events":
			return Event
		case "metrics":
			return Metric
		}
	}
	_, action := v["action"]
	_, keyPath := v["key_path"]
	switch {
	case action && !keyPath:
		return Event
	case keyPath && !action:
		return Metric
	}
	return Unknown
}

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return fmt.Sprintf("a scalar (%s)", quoteShort(n.Value))
	}
	return "empty"
}

func quoteShort(s string) string {
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return strconv.Quote(s)
}

// firstInvalidUTF8 returns the position and value of the first byte that is
// not valid UTF-8. Columns count characters.
func firstInvalidUTF8(data []byte) (line, col int, b byte) {
	line, col = 1, 1
	for i := 0; i < len(data); {
		if n := breakAt(data, i); n > 0 {
			line, col = line+1, 1
			i += n
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line, col, data[i]
		}
		col++
		i += size
	}
	return line, col, 0
}

// converter turns yaml.Node trees into JSON-compatible values, reporting
// duplicate keys, non-scalar keys and runaway alias expansion.
type converter struct {
	path     string
	diags    *diag.List
	expanded int                           // values produced through aliases
	alias    *yaml.Node                    // the outermost alias being expanded
	stopped  bool                          // a limit was hit; stop producing values
	keys     map[*yaml.Node]map[string]int // see Document.keys
}

func (c *converter) value(n *yaml.Node, depth int, viaAlias bool) any {
	if c.stopped {
		return nil
	}
	if depth > MaxDepth {
		c.diags.Add(c.path, n.Line, n.Column, "yaml", "nesting deeper than %d levels", MaxDepth)
		c.stopped = true
		return nil
	}
	if viaAlias {
		c.expanded++
		if c.expanded > MaxExpandedNodes {
			c.diags.Add(c.path, c.alias.Line, c.alias.Column, "yaml", "alias *%s takes this file beyond %d values; refused (anchors and aliases may not multiply a definition's size)", c.alias.Value, MaxExpandedNodes)
			c.stopped = true
			return nil
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil
		}
		if !viaAlias {
			c.alias = n
		}
		return c.value(n.Alias, depth+1, true)
	case yaml.MappingNode:
		return c.mapping(n, depth, viaAlias)
	case yaml.SequenceNode:
		s := make([]any, len(n.Content))
		for i, e := range n.Content {
			s[i] = c.value(e, depth+1, viaAlias)
		}
		return s
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil
}

// mapping converts a mapping, reporting its duplicate and non-scalar keys.
// The keys of a large mapping are indexed for Document.Lookup; the
// index also finds where a duplicated key came first.
func (c *converter) mapping(n *yaml.Node, depth int, viaAlias bool) map[string]any {
	pairs := len(n.Content) / 2
	m := make(map[string]any, pairs)
	var index map[string]int
	if pairs > smallMapping {
		index = make(map[string]int, pairs)
	}
	for i := 0; i < pairs; i++ {
		k, v := Deref(n.Content[2*i]), n.Content[2*i+1]
		if k.Kind != yaml.ScalarNode {
			c.diags.Add(c.path, k.Line, k.Column, "yaml", "a mapping key must be a plain value, not %s", describe(k))
			continue
		}
		if _, dup := m[k.Value]; dup {
			if !viaAlias {
				c.diags.Add(c.path, k.Line, k.Column, "yaml", "duplicate key %q (first at line %d)", k.Value, firstKey(n, index, k.Value).Line)
			}
		} else if index != nil {
			index[k.Value] = i
		}
		m[k.Value] = c.value(v, depth+1, viaAlias)
	}
	// A mapping reached through an alias was indexed where its anchor is.
	if index != nil && !viaAlias {
		if c.keys == nil {
			c.keys = map[*yaml.Node]map[string]int{}
		}
		c.keys[n] = index
	}
	return m
}

// firstKey is the first key of mapping n named name, through index when n
// has one.
func firstKey(n *yaml.Node, index map[string]int, name string) *yaml.Node {
	if i, ok := index[name]; ok {
		return Deref(n.Content[2*i])
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := Deref(n.Content[i]); k.Kind == yaml.ScalarNode && k.Value == name {
			return k
		}
	}
	return nil
}

// scalar resolves a scalar the way YAML 1.2's core schema does (go-yaml's
// tag resolution), keeping strings for anything that is not a plain number,
// boolean or null. Timestamps stay strings: JSON has no date type.
func scalar(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		if b, err := strconv.ParseBool(n.Value); err == nil {
			return b
		}
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int":
		if i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64); err == nil {
			return i
		}
		var i int64
		if n.Decode(&i) == nil {
			return i
		}
		var f float64
		if n.Decode(&f) == nil {
			return f
		}
	case "!!float":
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
		var f float64
		if n.Decode(&f) == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
	}
	return n.Value
}
