package privacy

import (
	"os"
	"path/filepath"
	"sync"

	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/load"
)

// Resolver finds the privacy.yml that applies to each definition file
// (the nearest above it, up to the directory holding .git) and reads each
// once. It is safe for concurrent use; the zero value is not: call
// NewResolver.
type Resolver struct {
	wd string

	mu      sync.Mutex
	nearest load.Nearest       // the file applying to each directory
	configs map[string]*Config // absolute rules file → its config
	diags   diag.List
}

// NewResolver returns a resolver that shows files relative to the working
// directory.
func NewResolver() *Resolver {
	r := &Resolver{nearest: load.Nearest{Name: FileName}, configs: map[string]*Config{}}
	r.wd, _ = os.Getwd()
	return r
}

// IsConfig reports whether the file at path is a rules file rather than a
// definition, by its name.
func IsConfig(path string) bool { return filepath.Base(path) == FileName }

// For returns the config that applies to the definition file at fsPath,
// or nil when no privacy.yml lies above it (every rule at its default).
func (r *Resolver) For(fsPath string) *Config {
	dir, err := filepath.Abs(filepath.Dir(fsPath))
	if err != nil {
		dir = filepath.Clean(filepath.Dir(fsPath))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if file := r.nearest.Find(dir); file != "" {
		return r.read(file)
	}
	return nil
}

// Read reads the rules file at fsPath, so a file named on the command line
// or walked into is checked even when no definition lies below it.
func (r *Resolver) Read(fsPath string) *Config {
	abs, err := filepath.Abs(fsPath)
	if err != nil {
		abs = filepath.Clean(fsPath)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.read(abs)
}

// Diagnostics returns the mistakes found in the rules files read so far.
func (r *Resolver) Diagnostics() diag.List {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append(diag.List(nil), r.diags...)
}

func (r *Resolver) read(abs string) *Config {
	if c, ok := r.configs[abs]; ok {
		return c
	}
	display := load.Display(r.wd, abs)
	data, err := load.ReadConfig(abs)
	var c *Config
	if err != nil {
		c = &Config{Path: display}
		r.diags.Add(display, 0, 0, ConfigRule, "%s", err)
	} else {
		var diags diag.List
		c, diags = Parse(display, data)
		r.diags = append(r.diags, diags...)
	}
	r.configs[abs] = c
	return c
}
