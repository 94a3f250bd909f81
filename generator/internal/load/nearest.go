package load

import (
	"os"
	"path/filepath"
)

// Nearest finds, for a directory, the file called Name in it or in the
// nearest directory above it, stopping after the directory that holds
// .git (a file outside the repository does not apply to it) or at the
// file system's root: how product_groups.yml and privacy.yml apply to the
// definitions below them. Answers are cached per directory. It is not safe
// for concurrent use; its users hold a lock.
type Nearest struct {
	Name string
	dirs map[string]string // absolute directory → the file applying to it, "" for none
}

// Find returns the path of the file applying to the absolute directory
// dir, or "" when there is none.
func (n *Nearest) Find(dir string) string {
	if file, ok := n.dirs[dir]; ok {
		return file
	}
	if n.dirs == nil {
		n.dirs = map[string]string{}
	}
	file := ""
	candidate := filepath.Join(dir, n.Name)
	if info, err := os.Stat(candidate); err == nil && info.Mode().IsRegular() {
		file = candidate
	} else if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		if parent := filepath.Dir(dir); parent != dir {
			file = n.Find(parent)
		}
	}
	n.dirs[dir] = file
	return file
}
