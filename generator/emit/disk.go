package emit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Changes says how a directory differs from the files Emit returned. Names
// are file names within the directory, sorted.
type Changes struct {
	// Stale files exist with other content.
	Stale []string
	// Missing files do not exist.
	Missing []string
	// Extra files carry the usagekit header but are no longer generated,
	// typically because their definition was deleted.
	Extra []string
}

// Empty reports whether the directory matches.
func (c Changes) Empty() bool { return len(c.Stale)+len(c.Missing)+len(c.Extra) == 0 }

// Diff compares dir with files without changing anything. A missing dir
// means every file is missing.
func Diff(dir string, files []File) (Changes, error) {
	var c Changes
	for _, f := range files {
		old, err := os.ReadFile(filepath.Join(dir, f.Name))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			c.Missing = append(c.Missing, f.Name)
		case err != nil:
			return Changes{}, fmt.Errorf("emit: comparing with %s: %w", dir, err)
		case !bytes.Equal(old, f.Data):
			c.Stale = append(c.Stale, f.Name)
		}
	}
	extra, err := extraFiles(dir, files)
	if err != nil {
		return Changes{}, err
	}
	c.Extra = extra
	return c, nil
}

// Write brings dir in line with files: it writes the stale and missing
// files (each through a temporary file and a rename, so a reader never sees
// half a file) and removes the extra ones, which all carry the usagekit
// header. Files that already match are not touched, so their modification
// times, and the build cache, stay valid. It returns what it changed.
func Write(dir string, files []File) (Changes, error) {
	c, err := Diff(dir, files)
	if err != nil {
		return Changes{}, err
	}
	if c.Empty() {
		return c, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Changes{}, fmt.Errorf("emit: creating %s: %w", dir, err)
	}
	write := map[string]bool{}
	for _, n := range slices.Concat(c.Stale, c.Missing) {
		write[n] = true
	}
	for _, f := range files {
		if !write[f.Name] {
			continue
		}
		if err := writeFile(filepath.Join(dir, f.Name), f.Data); err != nil {
			return Changes{}, err
		}
	}
	for _, name := range c.Extra {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			return Changes{}, fmt.Errorf("emit: removing a stale generated file: %w", err)
		}
	}
	return c, nil
}

func writeFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), ".usagekit-*.tmp")
	if err != nil {
		return fmt.Errorf("emit: writing %s: %w", name, err)
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), 0o644)); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("emit: writing %s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("emit: writing %s: %w", name, err)
	}
	return nil
}

// extraFiles lists the .go files of dir that start with the usagekit header
// and are not among files. Hand-written files (doc.go, tests) never carry
// the header and are never listed.
func extraFiles(dir string, files []File) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("emit: listing %s: %w", dir, err)
	}
	emitted := make(map[string]bool, len(files))
	for _, f := range files {
		emitted[f.Name] = true
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".go") || emitted[name] {
			continue
		}
		head, err := readHead(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		if IsGenerated(head) {
			out = append(out, name)
		}
	}
	return out, nil
}

// readHead returns the first line of a file, at most 4 KiB.
func readHead(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("emit: %w", err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("emit: reading %s: %w", name, err)
	}
	return buf[:n], nil
}

// WriteFile writes one generated file that lives outside the package
// directory (the TypeScript client), unless it already holds data. It
// returns "created", "updated", or "" when the file was up to date.
func WriteFile(name string, data []byte) (string, error) {
	old, err := os.ReadFile(name)
	state := "updated"
	switch {
	case errors.Is(err, os.ErrNotExist):
		state = "created"
	case err != nil:
		return "", fmt.Errorf("emit: reading %s: %w", name, err)
	case bytes.Equal(old, data):
		return "", nil
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return "", fmt.Errorf("emit: creating %s: %w", filepath.Dir(name), err)
	}
	return state, writeFile(name, data)
}
