package load

import (
	"errors"
	"io"
	"io/fs"
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

// ReadConfig reads a project file that applies to definitions
// (product_groups.yml, privacy.yml), bounded as definition files are. Its
// errors say what is wrong without repeating the path, which the caller's
// diagnostic gives.
func ReadConfig(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, errors.New(pathErrorText(err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, errors.New(pathErrorText(err))
	}
	if len(data) > MaxFileSize {
		return nil, errors.New("file is larger than 1 MiB, the limit")
	}
	return data, nil
}

func pathErrorText(err error) string {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	case errors.As(err, &pe):
		return pe.Err.Error()
	}
	return err.Error()
}

// Display is how a file's absolute path abs is shown: relative to the
// working directory wd when it lies below it, as definition paths are.
func Display(wd, abs string) string {
	if wd != "" {
		if rel, err := filepath.Rel(wd, abs); err == nil && filepath.IsLocal(rel) {
			return filepath.ToSlash(rel)
		}
	}
	return filepath.ToSlash(abs)
}
