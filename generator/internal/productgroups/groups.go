// Package groups holds the lists of product groups that definitions are
// checked against: a project's own list, product_groups.yml, or GitLab's
// list (schema/v1/product_groups.json) when the project has none.
//
// A product_groups.yml holds either a YAML list of group names or a mapping
// of group name to description:
//
//	payments: Checkout, invoices and refunds.
//	search: Code and issue search.
//
// A definition file is checked against the product_groups.yml nearest
// above it: in its own directory or a parent, up to the root of the
// repository (the directory holding .git). Usually there is one, at the
// root of the definitions directory. Only without one is GitLab's list
// used, so GitLab's definitions keep GitLab's verdicts.
package productgroups

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/schema"
)

// FileName is the name of a project's list of product groups.
const FileName = "product_groups.yml"

// gitlabFile is GitLab's list, in the schema directory.
const gitlabFile = "v1/product_groups.json"

// NamePattern is what a group name looks like: lowercase letters and
// digits, words joined by _ or - (GitLab's names, such as source_code and
// 5-min-app, all fit).
var NamePattern = regexp.MustCompile(`^[a-z0-9]+([_-][a-z0-9]+)*$`)

// nameWords says NamePattern in words, for messages.
const nameWords = "lowercase letters and digits, words joined by _ or -"

// Group is one product group.
type Group struct {
	Name        string
	Description string // empty when the list gives none
	Line, Col   int    // of the name in the list file; 0 for GitLab's list
}

// List is a list of product groups.
type List struct {
	// Path is the file the list was read from, as shown in messages:
	// relative to the working directory for a project's list,
	// schema/v1/product_groups.json for GitLab's.
	Path string
	// Project is false for GitLab's list.
	Project bool
	// Groups are sorted by name, without duplicates.
	Groups []Group
	// broken is set when the file could not be read as a list at all; its
	// definitions are then not checked, so the one problem is reported
	// once, in the list file, rather than in every definition.
	broken bool
}

// Has reports whether name is in the list.
func (l *List) Has(name string) bool {
	_, ok := slices.BinarySearchFunc(l.Groups, name, func(g Group, n string) int { return strings.Compare(g.Name, n) })
	return ok
}

// Names returns the group names, sorted.
func (l *List) Names() []string {
	out := make([]string, len(l.Groups))
	for i, g := range l.Groups {
		out[i] = g.Name
	}
	return out
}

// maxListed is the longest list a message spells out.
const maxListed = 12

// Check returns "" when name is a group of the list, else what to tell the
// author: which list was used and, when a group is near enough to be the
// one meant, that group.
func (l *List) Check(name string) string {
	if l.broken || l.Has(name) {
		return ""
	}
	var msg string
	switch {
	case !l.Project:
		msg = fmt.Sprintf("%q is not one of GitLab's %d product groups (schema/%s)", name, len(l.Groups), gitlabFile)
	case len(l.Groups) <= maxListed:
		msg = fmt.Sprintf("%q is not one of the product groups listed in %s: %s", name, l.Path, strings.Join(l.Names(), ", "))
	default:
		msg = fmt.Sprintf("%q is not one of the %d product groups listed in %s", name, len(l.Groups), l.Path)
	}
	if s := l.Suggest(name); s != "" {
		return msg + fmt.Sprintf(" (did you mean %q?)", s)
	}
	if !l.Project {
		msg += "; a project with its own groups lists them in " + FileName + " beside its definitions"
	}
	return msg
}

// Suggest returns the group nearest to a mistyped name, or "" when none is
// near enough to be what was meant. Older GitLab files write groups as
// labels ("group::source code"), which are read as the name they stand for.
func (l *List) Suggest(name string) string {
	text := strings.ToLower(strings.TrimPrefix(name, "group::"))
	text = strings.ReplaceAll(text, " ", "_")
	return diag.Nearest(text, l.Names())
}

// GitLab returns GitLab's list of product groups, the enum of
// schema/v1/product_groups.json, read once; callers share it and must not
// change it. The embedded file is checked by the package's tests, so the
// error is only a safeguard.
func GitLab() (*List, error) { return gitlab() }

var gitlab = sync.OnceValues(readGitLab)

func readGitLab() (*List, error) {
	data, err := fs.ReadFile(schema.FS(), gitlabFile)
	if err != nil {
		return nil, fmt.Errorf("groups: reading schema/%s: %w", gitlabFile, err)
	}
	var doc struct {
		Enum []string `json:"enum"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("groups: decoding schema/%s: %w", gitlabFile, err)
	}
	if len(doc.Enum) == 0 {
		return nil, fmt.Errorf("groups: schema/%s lists no groups", gitlabFile)
	}
	l := &List{Path: "schema/" + gitlabFile}
	for _, n := range doc.Enum {
		l.Groups = append(l.Groups, Group{Name: n})
	}
	slices.SortFunc(l.Groups, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return l, nil
}

// add is a shorthand for a list-file diagnostic.
func add(l *diag.List, path string, line, col int, format string, args ...any) {
	l.Add(path, line, col, Rule, format, args...)
}

// Rule is the rule name of problems in a product group list file.
const Rule = "product-groups"

// CheckRule is the rule name of a definition whose product group is not
// in its list.
const CheckRule = "product-group"
