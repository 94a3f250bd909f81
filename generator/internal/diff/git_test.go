package diff

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// gitRepo creates a repository in a temporary directory with one commit
// holding files, and returns its directory.
func gitRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	writeFiles(t, dir, files)
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "-m", "base")
	return dir
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func TestExtract(t *testing.T) {
	repo := gitRepo(t, map[string]string{
		"definitions/events/a.yml":   "action: a\n",
		"definitions/metrics/m.yaml": "key_path: m\n",
		"definitions/README.md":      "not a definition\n",
		"other/x.yml":                "x: 1\n",
	})
	// The working tree moves on; the base must come from the commit.
	writeFiles(t, repo, map[string]string{"definitions/events/a.yml": "action: changed\n", "definitions/events/b.yml": "action: b\n"})
	run(t, repo, "rm", "-q", "definitions/metrics/m.yaml")
	t.Chdir(filepath.Join(repo, "definitions"))

	b, err := Extract("HEAD", []string{"."})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var got []string
	for _, f := range b.Files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b.Display(f)+"="+strings.TrimSpace(string(data)))
	}
	slices.Sort(got)
	// m.yaml is gone from the working tree: it is named as git names it at
	// the base, by its path in the repository.
	want := []string{"HEAD:definitions/metrics/m.yaml=key_path: m", "events/a.yml=action: a"}
	if !slices.Equal(got, want) {
		t.Errorf("base files = %q, want %q", got, want)
	}
	if status := run(t, repo, "status", "--porcelain"); !strings.Contains(status, "D  definitions/metrics/m.yaml") {
		t.Errorf("working tree changed by Extract: %s", status)
	}
	dir := b.Dir
	b.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Close left %s behind", dir)
	}
}

func TestExtractPathNewSinceBase(t *testing.T) {
	repo := gitRepo(t, map[string]string{"a.yml": "x: 1\n"})
	if err := os.Mkdir(filepath.Join(repo, "new"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(repo)
	b, err := Extract("HEAD", []string{"new"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if len(b.Files) != 0 {
		t.Errorf("files = %v, want none", b.Files)
	}
}

func TestExtractErrors(t *testing.T) {
	repo := gitRepo(t, map[string]string{"a.yml": "x: 1\n"})
	outside := t.TempDir()
	t.Chdir(repo)
	tests := []struct {
		name  string
		rev   string
		paths []string
		is    error
		want  string
	}{
		{"unknown revision", "no-such-branch", []string{"."}, ErrUnknownRevision, `diff: unknown revision "no-such-branch"`},
		{"revision that is an option", "--all", []string{"."}, ErrUnknownRevision, `diff: unknown revision "--all"`},
		{"revision naming a file", "HEAD:a.yml", []string{"."}, ErrUnknownRevision, `diff: unknown revision "HEAD:a.yml"`},
		{"path outside", "HEAD", []string{outside}, ErrOutsideRepository, "diff: path outside the repository: " + outside + " is not under "},
		{"relative path outside", "HEAD", []string{"../elsewhere"}, ErrOutsideRepository, "diff: path outside the repository: ../elsewhere is not under "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Extract(tt.rev, tt.paths)
			if err == nil {
				b.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.is) || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("err = %v, want %v starting %q", err, tt.is, tt.want)
			}
		})
	}
}

func TestExtractNotARepository(t *testing.T) {
	t.Chdir(t.TempDir())
	t.Setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(mustGetwd(t)))
	_, err := Extract("HEAD", []string{"."})
	if err == nil || !strings.HasPrefix(err.Error(), "diff: not in a git repository: ") {
		t.Errorf("err = %v", err)
	}
}

func mustGetwd(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// TestExtractBringsProductGroupLists: the lists above the paths compared
// decide the base definitions' groups, so they are extracted too; lists
// beside the paths are not.
func TestExtractBringsProductGroupLists(t *testing.T) {
	repo := gitRepo(t, map[string]string{
		"product_groups.yml":             "- top\n",
		"definitions/product_groups.yml": "- payments\n",
		"definitions/events/a.yml":       "action: a\n",
		"other/product_groups.yml":       "- other\n",
	})
	t.Chdir(repo)
	b, err := Extract("HEAD", []string{"definitions/events", "definitions/events/a.yml"})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var got []string
	for _, f := range b.Files {
		got = append(got, b.Display(f))
	}
	slices.Sort(got)
	want := []string{"definitions/events/a.yml", "definitions/product_groups.yml", "product_groups.yml"}
	if !slices.Equal(got, want) {
		t.Errorf("base files = %q, want %q", got, want)
	}
}
