package productgroups

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/load"
)

// shape is the one sentence that says what the file holds.
const shape = "a list of product group names, or a mapping of group name to description"

// Parse reads a product group list. path is the file as shown in messages.
// Every problem is reported, at its line and column; the groups that are
// well written are kept, so one bad entry does not make every definition
// that uses another group fail too.
func Parse(path string, data []byte) (*List, diag.List) {
	l := &List{Path: path, Project: true}
	var diags diag.List
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		d := load.SyntaxError(path, data, err)
		add(&diags, path, d.Line, d.Col, "%s", d.Message)
		l.broken = true
		return l, diags
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	root = load.Deref(root)
	switch {
	case root.Kind == 0 || root.Kind == yaml.DocumentNode:
		add(&diags, path, 0, 0, "file is empty; expected %s", shape)
	case root.Kind == yaml.SequenceNode:
		for _, n := range root.Content {
			n = load.Deref(n)
			if name, ok := nameOf(&diags, path, n, "a list item"); ok {
				l.Groups = append(l.Groups, Group{Name: name, Line: n.Line, Col: n.Column})
			}
		}
	case root.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := load.Deref(root.Content[i]), load.Deref(root.Content[i+1])
			name, ok := nameOf(&diags, path, k, "a key")
			if !ok {
				continue
			}
			desc, ok := description(&diags, path, name, v)
			if ok {
				l.Groups = append(l.Groups, Group{Name: name, Description: desc, Line: k.Line, Col: k.Column})
			}
		}
	default:
		add(&diags, path, root.Line, root.Column, "the top level is %s; expected %s", load.KindOf(root), shape)
	}
	if root.Kind != yaml.SequenceNode && root.Kind != yaml.MappingNode {
		l.broken = true
		return l, diags
	}
	if len(root.Content) == 0 {
		add(&diags, path, root.Line, root.Column, "the list names no product groups; name at least one")
		l.broken = true
		return l, diags
	}
	first := map[string]Group{}
	kept := l.Groups[:0]
	for _, g := range l.Groups {
		if f, dup := first[g.Name]; dup {
			add(&diags, path, g.Line, g.Col, "%s is listed twice (first at line %d); list each group once", strconv.Quote(g.Name), f.Line)
			continue
		}
		first[g.Name] = g
		kept = append(kept, g)
	}
	l.Groups = kept
	slices.SortFunc(l.Groups, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return l, diags
}

// nameOf reads a group name from n, reporting why it is not one. what
// names the place for messages (a list item, a key).
func nameOf(diags *diag.List, path string, n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		add(diags, path, n.Line, n.Column, "%s is %s; expected a product group name", what, load.KindOf(n))
		return "", false
	}
	if n.ShortTag() != "!!str" {
		shown := n.Value
		if shown == "" || n.ShortTag() == "!!null" {
			shown = what
		}
		add(diags, path, n.Line, n.Column, "%s is %s; expected a product group name", shown, load.KindOf(n))
		return "", false
	}
	if !NamePattern.MatchString(n.Value) {
		add(diags, path, n.Line, n.Column, "%s is not a product group name: use %s", strconv.Quote(n.Value), nameWords)
		return "", false
	}
	return n.Value, true
}

// description reads the description of group name from v: a string, or
// nothing.
func description(diags *diag.List, path, name string, v *yaml.Node) (string, bool) {
	switch {
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null":
		return "", true
	case v.Kind == yaml.ScalarNode && v.ShortTag() == "!!str":
		return strings.TrimSpace(v.Value), true
	}
	add(diags, path, v.Line, v.Column, "%s: the description is %s; expected a string (or nothing)", name, load.KindOf(v))
	return "", false
}
