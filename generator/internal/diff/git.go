package diff

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"

	"github.com/usagekit/usagekit/generator/internal/productgroups"
)

// ErrUnknownRevision is returned when the base revision does not name a
// commit.
var ErrUnknownRevision = errors.New("diff: unknown revision")

// ErrOutsideRepository is returned for a path that is not inside the
// repository being compared.
var ErrOutsideRepository = errors.New("diff: path outside the repository")

// Base is a copy of definition files as they were at a revision, extracted
// into a temporary directory without touching the working tree.
type Base struct {
	// Rev is the revision as given; Commit the full commit id it named.
	Rev, Commit string
	// Root is the repository's top-level directory.
	Root string
	// Dir is the temporary directory holding the files; Files their paths
	// under Dir, which mirror their paths relative to Root.
	Dir   string
	Files []string
}

// Close deletes the temporary directory.
func (b *Base) Close() error { return os.RemoveAll(b.Dir) }

// Extract copies the .yml and .yaml files under paths (relative to the
// current directory, or absolute) as they were at rev into a new temporary
// directory, listing them with git ls-tree and reading them with one git
// cat-file --batch (git show, without a process per file). A path that did not
// exist at rev yields no files: everything there is an addition.
func Extract(rev string, paths []string) (*Base, error) {
	root, err := git("", "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("diff: not in a git repository: %w", err)
	}
	root = strings.TrimSpace(root)
	commit, err := git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%w %q", ErrUnknownRevision, rev)
	}
	b := &Base{Rev: rev, Commit: strings.TrimSpace(commit), Root: root}
	var rels []string
	for _, p := range paths {
		rel, err := repoPath(root, p)
		if err != nil {
			return nil, err
		}
		rels = append(rels, rel)
	}
	// The product group lists above the paths decide which groups the
	// base definitions may name, so they come along.
	specs := append([]string{}, rels...)
	for _, rel := range rels {
		specs = append(specs, listsAbove(rel)...)
	}
	out, err := git(root, append([]string{"ls-tree", "-r", "-z", "--name-only", "--full-tree", b.Commit, "--"}, specs...)...)
	if err != nil {
		return nil, fmt.Errorf("diff: list files at %s: %w", rev, err)
	}
	var names []string
	seen := map[string]bool{}
	for _, name := range strings.Split(out, "\x00") {
		// cat-file --batch reads one name a line; a newline in a file
		// name cannot be asked for, and no definition has one.
		if (strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml")) && !strings.Contains(name, "\n") && !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	dir, err := os.MkdirTemp("", "usagekit-diff-")
	if err != nil {
		return nil, fmt.Errorf("diff: %w", err)
	}
	b.Dir = dir
	if err := b.copyFiles(names); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// listsAbove returns the paths a product group list applying to rel could
// have: product_groups.yml in each directory above it, up to the
// repository's top level.
func listsAbove(rel string) []string {
	var out []string
	for dir := path.Dir(rel); ; dir = path.Dir(dir) {
		out = append(out, path.Join(dir, productgroups.FileName))
		if dir == "." || dir == "/" {
			return out
		}
	}
}

// copyFiles reads every named blob at the base commit through one git
// cat-file --batch process and writes it under b.Dir.
func (b *Base) copyFiles(names []string) error {
	if len(names) == 0 {
		return nil
	}
	var req bytes.Buffer
	for _, n := range names {
		req.WriteString(b.Commit + ":" + n + "\n")
	}
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir = b.Root
	cmd.Stdin = &req
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("diff: read files at %s: git cat-file: %w: %s", b.Rev, err, strings.TrimSpace(stderr.String()))
	}
	r := bufio.NewReader(bytes.NewReader(out))
	for _, name := range names {
		header, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("diff: read %s at %s: %w", name, b.Rev, err)
		}
		var sha, kind string
		var size int
		if _, err := fmt.Sscanf(header, "%s %s %d", &sha, &kind, &size); err != nil || kind != "blob" {
			return fmt.Errorf("diff: read %s at %s: unexpected git cat-file answer %q", name, b.Rev, strings.TrimSpace(header))
		}
		data := make([]byte, size+1) // the blob and its trailing newline
		if _, err := io.ReadFull(r, data); err != nil {
			return fmt.Errorf("diff: read %s at %s: %w", name, b.Rev, err)
		}
		dst := filepath.Join(b.Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("diff: %w", err)
		}
		if err := os.WriteFile(dst, data[:size], 0o644); err != nil {
			return fmt.Errorf("diff: %w", err)
		}
		b.Files = append(b.Files, dst)
	}
	return nil
}

// repoPath turns p into a slash-separated path relative to root, rejecting
// paths that leave the repository.
func repoPath(root, p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", fmt.Errorf("diff: %s: %w", p, err)
	}
	// The top level comes back with symlinks resolved; resolve abs too
	// when it exists so /tmp and /private/tmp style aliases agree.
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		abs = r
	} else if r, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(r, filepath.Base(abs))
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%w: %s is not under %s", ErrOutsideRepository, p, root)
	}
	if rel == "." {
		return ".", nil
	}
	return filepath.ToSlash(rel), nil
}

// Display maps a file of the extracted base back to the path the same file
// has in the working tree, relative to the current directory, so findings on
// base files read like findings on working files. A file the working tree
// no longer has is named as git names it at the base revision,
// REV:path/in/repository (git show takes it as is).
func (b *Base) Display(file string) string {
	if abs, err := filepath.Abs(file); err == nil {
		file = abs
	}
	rel, err := filepath.Rel(b.Dir, file)
	if err != nil || strings.HasPrefix(rel, "..") {
		return file
	}
	if _, err := os.Stat(filepath.Join(b.Root, rel)); err != nil {
		return b.Rev + ":" + filepath.ToSlash(rel)
	}
	wd, err := os.Getwd()
	if err != nil {
		return filepath.ToSlash(rel)
	}
	if r, err := filepath.EvalSymlinks(wd); err == nil {
		wd = r
	}
	out, err := filepath.Rel(wd, filepath.Join(b.Root, rel))
	if err != nil {
		return filepath.ToSlash(rel)
	}
	return out
}

func git(dir string, args ...string) (string, error) {
	out, err := gitBytes(dir, args...)
	return string(out), err
}

func gitBytes(dir string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return nil, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
		}
		return nil, fmt.Errorf("git %s: %w", args[0], err)
	}
	return out, nil
}
