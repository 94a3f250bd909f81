// Package generator is the entry point to usagekit's definition tooling: it
// loads event and metric definition files, validates them against the JSON
// Schemas and the cross-file rules, and returns the typed model that code
// generation, documentation and the CLI read.
//
//	set, err := generator.Load("definitions")
//	if err != nil {
//		list, _ := diag.From(err) // every problem, sorted, path:line:col
//		...
//	}
package generator

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/load"
	"github.com/usagekit/usagekit/generator/internal/parallel"
	"github.com/usagekit/usagekit/generator/internal/privacy"
	"github.com/usagekit/usagekit/generator/internal/productgroups"
	"github.com/usagekit/usagekit/generator/internal/validate"
	"github.com/usagekit/usagekit/generator/model"
)

// Result is the outcome of checking a set of definition files, for reports.
type Result struct {
	// Files is the number of YAML files read: definitions and product
	// group lists (product_groups.yml).
	Files int
	// Paths are the files read, relative to the working directory when
	// they lie below it, sorted.
	Paths []string
	// Events and Metrics count the definition files of each kind that
	// decoded. Metrics counts files, before time-frame expansion.
	Events, Metrics int
	// Set is the model. It is never nil, but when Diagnostics is not empty
	// it may be incomplete and is not fit for code generation.
	Set *model.Set
	// Diagnostics is every problem found, sorted by path, line and column.
	Diagnostics diag.List
}

// Err returns nil when the definitions have no errors (warnings do not
// count) and a *diag.Error listing the errors otherwise.
func (r *Result) Err() error { return r.Diagnostics.Err() }

// LoadResult loads and validates the definition files under paths
// (directories or files) and reports everything it found, the privacy
// rules' findings included (warnings unless the privacy.yml that applies
// raises them). It never fails as a whole: unreadable paths are
// diagnostics like any other problem.
func LoadResult(paths ...string) *Result {
	return LoadResultWith(nil, paths...)
}

// Overlay is a definition that is not on disk: a file about to be written,
// checked together with the definitions it joins.
type Overlay struct {
	// Path is where the file would be, as diagnostics name it.
	Path string
	Data []byte
}

// LoadResultWith is LoadResult with the overlays read as if they were
// files at their paths (replacing a file of the same path), so that
// usagekit new checks what it writes with the very rules that will judge
// it once written.
func LoadResultWith(overlays []Overlay, paths ...string) *Result {
	var files []load.File
	var walkDiags diag.List
	if len(paths) > 0 || len(overlays) == 0 {
		files, walkDiags = load.Files(paths...)
	}
	data := map[string][]byte{}
	for _, o := range overlays {
		data[filepath.Clean(o.Path)] = o.Data
		if !slices.ContainsFunc(files, func(f load.File) bool { return filepath.Clean(f.FSPath) == filepath.Clean(o.Path) }) {
			files = append(files, load.File{Path: o.Path, FSPath: o.Path})
		}
	}
	res := &Result{Files: len(files)}
	for _, f := range files {
		res.Paths = append(res.Paths, f.Path)
	}
	slices.Sort(res.Paths)
	// Product group lists are not definitions: each definition is checked
	// against the list nearest above it (productgroups.Resolver), and a list
	// named or walked into is checked even when no definition uses it.
	// privacy.yml files are found the same way, for the privacy rules.
	resolver := productgroups.NewResolver()
	privacyRules := privacy.NewResolver()
	defs := files[:0:0]
	for _, f := range files {
		switch {
		case productgroups.IsList(f.Path):
			resolver.Read(f.FSPath)
		case privacy.IsConfig(f.Path):
			privacyRules.Read(f.FSPath)
		default:
			defs = append(defs, f)
		}
	}
	lists := make([]*productgroups.List, len(defs))
	for i, f := range defs {
		var err error
		if lists[i], err = resolver.For(f.FSPath); err != nil {
			walkDiags.Add(f.Path, 0, 0, "internal", "%v", err)
		}
	}
	parts, kinds := checkFiles(defs, lists, data)
	for _, k := range kinds {
		switch k {
		case load.Event:
			res.Events++
		case load.Metric:
			res.Metrics++
		}
	}
	set, diags := validate.Link(parts)
	set.ProductGroups = productGroups(resolver.Projects())
	res.Set = set
	diags = append(diags, resolver.Diagnostics()...)
	diags = append(diags, privacy.Check(set, privacyConfigs(privacyRules, defs))...)
	diags = append(diags, privacyRules.Diagnostics()...)
	res.Diagnostics = append(walkDiags, diags...).Sort()
	return res
}

// privacyConfigs returns the privacy rules of each definition file of
// files, by the path the model names it with.
func privacyConfigs(r *privacy.Resolver, files []load.File) privacy.ConfigFor {
	fsPaths := make(map[string]string, len(files))
	for _, f := range files {
		fsPaths[f.Path] = f.FSPath
	}
	return func(path string) *privacy.Config {
		if p, ok := fsPaths[path]; ok {
			return r.For(p)
		}
		return r.For(path)
	}
}

// checkFiles reads, decodes and checks each definition against its schema
// and product group list, and turns it into its part of the model, one
// goroutine per file; a file's YAML tree is dropped right after, so memory
// stays flat however many files there are. data holds the overlays by path.
func checkFiles(defs []load.File, lists []*productgroups.List, data map[string][]byte) ([]validate.Part, []load.Kind) {
	parts := make([]validate.Part, len(defs))
	kinds := make([]load.Kind, len(defs))
	parallel.Each(len(defs), func(i int) {
		var doc *load.Document
		var diags diag.List
		if d, ok := data[filepath.Clean(defs[i].FSPath)]; ok {
			doc, diags = load.Parse(defs[i].Path, d)
		} else {
			doc, diags = load.ReadFile(defs[i])
		}
		if doc != nil && lists[i] != nil {
			kinds[i] = doc.Kind
			parts[i] = validate.CheckDocumentWith(doc, lists[i])
		}
		parts[i].Diagnostics = append(diags, parts[i].Diagnostics...)
	})
	return parts, kinds
}

// productGroups joins the project lists read into the model's groups,
// sorted by name; a group in two lists keeps the first description given.
func productGroups(lists []*productgroups.List) []model.ProductGroup {
	var out []model.ProductGroup
	seen := map[string]int{}
	for _, l := range lists {
		for _, g := range l.Groups {
			if i, ok := seen[g.Name]; ok {
				if out[i].Description == "" {
					out[i].Description = g.Description
				}
				continue
			}
			seen[g.Name] = len(out)
			out = append(out, model.ProductGroup{
				Pos:  model.Pos{File: l.Path, Line: g.Line, Col: g.Col},
				Name: g.Name, Description: g.Description,
			})
		}
	}
	slices.SortFunc(out, func(a, b model.ProductGroup) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// ErrNoDefinitions is returned by Load when the paths hold no definition
// file: a mistyped or empty path must not pass as a clean run.
var ErrNoDefinitions = errors.New("generator: no definitions found")

// Load loads and validates the definition files under paths and returns the
// model. When any file has a problem it returns a *diag.Error carrying every
// problem of the run; diag.From recovers the list. When the paths hold no
// definition at all it returns ErrNoDefinitions.
func Load(paths ...string) (*model.Set, error) {
	res := LoadResult(paths...)
	if err := res.Err(); err != nil {
		return nil, err
	}
	if res.Events+res.Metrics == 0 {
		return nil, fmt.Errorf("%w in %s: want .yml files of events (under events/) and metrics (under metrics/)", ErrNoDefinitions, strings.Join(paths, ", "))
	}
	return res.Set, nil
}
