package productgroups

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/load"
)

// Resolver finds the list of product groups that applies to each
// definition file and reads every list once. It is safe for concurrent
// use. The zero value is not usable; call NewResolver.
type Resolver struct {
	wd     string
	gitlab *List
	err    error

	mu      sync.Mutex
	nearest load.Nearest      // the file applying to each directory
	given   map[string]string // the same by directory as given (not absolute)
	lists   map[string]*List  // list file → the list
	diags   diag.List
}

// NewResolver returns a resolver whose lists are shown relative to the
// working directory.
func NewResolver() *Resolver {
	r := &Resolver{nearest: load.Nearest{Name: FileName}, given: map[string]string{}, lists: map[string]*List{}}
	r.wd, _ = os.Getwd()
	r.gitlab, r.err = GitLab()
	return r
}

// IsList reports whether the file at path is a product group list rather
// than a definition, by its name.
func IsList(path string) bool { return filepath.Base(path) == FileName }

// For returns the list that applies to the definition file at fsPath: the
// product_groups.yml nearest above it, or GitLab's list when there is
// none.
func (r *Resolver) For(fsPath string) (*List, error) {
	if r.err != nil {
		return nil, r.err
	}
	given := filepath.Dir(fsPath)
	r.mu.Lock()
	defer r.mu.Unlock()
	// Files of one run share few directories: the answer is kept by the
	// directory as given too, so most files cost one map lookup.
	file, ok := r.given[given]
	if !ok {
		dir, err := filepath.Abs(given)
		if err != nil {
			dir = filepath.Clean(given)
		}
		file = r.nearest.Find(dir)
		r.given[given] = file
	}
	if file != "" {
		return r.read(file), nil
	}
	return r.gitlab, nil
}

// Read reads the list file at fsPath (once, however often it is asked
// for), so a list named on the command line is checked even when no
// definition uses it.
func (r *Resolver) Read(fsPath string) *List {
	abs, err := filepath.Abs(fsPath)
	if err != nil {
		abs = filepath.Clean(fsPath)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.read(abs)
}

// Diagnostics returns the problems found in the lists read so far.
func (r *Resolver) Diagnostics() diag.List {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append(diag.List(nil), r.diags...)
}

// Projects returns the project lists read so far, sorted by path.
func (r *Resolver) Projects() []*List {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*List
	for _, l := range r.lists {
		out = append(out, l)
	}
	sortByPath(out)
	return out
}

// read parses the list file at abs, once.
func (r *Resolver) read(abs string) *List {
	if l, ok := r.lists[abs]; ok {
		return l
	}
	display := load.Display(r.wd, abs)
	var l *List
	data, err := load.ReadConfig(abs)
	if err != nil {
		l = &List{Path: display, Project: true, broken: true}
		add(&r.diags, display, 0, 0, "%s", err)
	} else {
		var diags diag.List
		l, diags = Parse(display, data)
		r.diags = append(r.diags, diags...)
	}
	r.lists[abs] = l
	return l
}

func sortByPath(ls []*List) {
	slices.SortFunc(ls, func(a, b *List) int { return strings.Compare(a.Path, b.Path) })
}
