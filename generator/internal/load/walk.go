package load

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/diag"
)

// File is one definition file found by Files.
type File struct {
	// Path is the file as reported, relative to the working directory when
	// it lies below it.
	Path string
	// FSPath is the path to open.
	FSPath string
}

// isYAML reports whether name has a YAML extension. Other files in a tree
// (READMEs, JSON schemas, editor backups) are ignored.
func isYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yml" || ext == ".yaml"
}

// skipDir reports whether the walk leaves a directory out: GitLab keeps its
// JSON Schemas in schema/ folders next to the definitions, and hidden
// directories (.git, editor state) never hold definitions.
func skipDir(name string) bool {
	return name == "schema" || (len(name) > 1 && name[0] == '.')
}

// displayPath turns p into the path shown in messages: relative to the
// working directory when p lies below it, else p as given.
func displayPath(p, wd string) string {
	if filepath.IsAbs(p) && wd != "" {
		if rel, err := filepath.Rel(wd, p); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(filepath.Clean(p))
}

// Files collects the YAML files under paths (directories or files), sorted
// by Path, following symbolic links but refusing to enter a directory twice
// on the same branch (a symlink loop). Files named directly are taken
// whatever their extension; a file reached twice is listed once. Paths that
// do not exist and unreadable directories are diagnostics.
func Files(paths ...string) ([]File, diag.List) {
	var diags diag.List
	wd, _ := os.Getwd()
	var files []File
	seen := map[string]bool{}
	add := func(f File) {
		key := filepath.Clean(f.FSPath)
		if abs, err := filepath.Abs(key); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			files = append(files, f)
		}
	}
	for _, root := range paths {
		display := displayPath(root, wd)
		info, err := os.Stat(root)
		if err != nil {
			diags.Add(display, 0, 0, "path", "%s", statMessage(err))
			continue
		}
		if !info.IsDir() {
			add(File{Path: display, FSPath: root})
			continue
		}
		w := walker{diags: &diags, add: add}
		w.dir(root, display, []os.FileInfo{info})
	}
	slices.SortFunc(files, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	return files, diags
}

type walker struct {
	diags *diag.List
	add   func(File)
}

// dir walks one directory. ancestors holds the directories on the way down,
// so a link back to any of them is reported instead of followed forever.
func (w walker) dir(fsPath, display string, ancestors []os.FileInfo) {
	entries, err := os.ReadDir(fsPath)
	if err != nil {
		w.diags.Add(display, 0, 0, "path", "cannot read directory: %s", errText(err))
		return
	}
	for _, e := range entries {
		name := e.Name()
		childFS := filepath.Join(fsPath, name)
		childDisplay := display + "/" + name
		if display == "." {
			childDisplay = name
		}
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			info, err := os.Stat(childFS)
			if err != nil {
				if isYAML(name) || isLoopErr(err) {
					w.diags.Add(childDisplay, 0, 0, "path", "%s", statMessage(err))
				}
				continue
			}
			typ = info.Mode().Type()
			if info.IsDir() {
				if skipDir(name) {
					continue
				}
				if loops(info, ancestors) {
					w.diags.Add(childDisplay, 0, 0, "path", "symlink loop: the link leads back to a directory it is inside; not followed")
					continue
				}
				w.dir(childFS, childDisplay, append(ancestors[:len(ancestors):len(ancestors)], info))
				continue
			}
		}
		switch {
		case typ.IsDir():
			if skipDir(name) {
				continue
			}
			info, err := e.Info()
			if err != nil {
				w.diags.Add(childDisplay, 0, 0, "path", "%s", statMessage(err))
				continue
			}
			w.dir(childFS, childDisplay, append(ancestors[:len(ancestors):len(ancestors)], info))
		case typ.IsRegular() && isYAML(name):
			w.add(File{Path: childDisplay, FSPath: childFS})
		}
	}
}

// isLoopErr reports ELOOP, which os.Stat returns for a link that points at
// itself (directly or through other links).
func isLoopErr(err error) bool {
	return err != nil && strings.Contains(err.Error(), "too many levels of symbolic links")
}

// loops reports whether info is one of the directories already entered on
// this branch of the walk.
func loops(info os.FileInfo, ancestors []os.FileInfo) bool {
	return slices.ContainsFunc(ancestors, func(a os.FileInfo) bool { return os.SameFile(a, info) })
}

// statMessage words a failed stat without repeating the path, which the
// diagnostic already carries.
func statMessage(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case isLoopErr(err):
		return "symlink loop: too many levels of symbolic links"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	return errText(err)
}

// errText strips the "op path:" prefix of a *fs.PathError.
func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
