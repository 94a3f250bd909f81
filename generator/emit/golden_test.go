package emit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/format"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/internal/golden"
	"github.com/usagekit/usagekit/internal/tstest"
)

// Each case is generator/testdata/<case>/: definitions/ holds the input;
// want/<file>.golden the expected files (kept out of the build as .golden),
// or errors.txt the expected diagnostics, one per line, paths relative to
// the case.
const testdata = "../testdata"

func cases(t *testing.T) []string {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(testdata, "*", "definitions"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden cases under %s (%v)", testdata, err)
	}
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Dir(d))
	}
	return out
}

// generateCase loads and emits one case as the generate command would.
func generateCase(dir string) ([]emit.File, error) {
	defs := filepath.Join(dir, "definitions")
	set, err := generator.Load(defs)
	if err != nil {
		return nil, err
	}
	return emit.Emit(set, emit.Options{Package: "generated", Root: defs, RootName: "definitions"})
}

// tsGolden is the name of each case's TypeScript client among its goldens.
const tsGolden = "usage.ts"

// typeScriptCase generates one case's TypeScript client as the generate
// command would with --ts.
func typeScriptCase(dir string) ([]byte, error) {
	defs := filepath.Join(dir, "definitions")
	set, err := generator.Load(defs)
	if err != nil {
		return nil, err
	}
	return emit.TypeScript(set, emit.Options{Package: "generated", Root: defs, RootName: "definitions"})
}

func TestGolden(t *testing.T) {
	for _, dir := range cases(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			files, err := generateCase(dir)
			if err != nil {
				list, ok := diag.From(err)
				if !ok {
					t.Fatal(err)
				}
				var b strings.Builder
				for _, d := range list {
					d.Path = strings.TrimPrefix(filepath.ToSlash(d.Path), filepath.ToSlash(dir)+"/")
					b.WriteString(strings.ReplaceAll(d.String(), filepath.ToSlash(dir)+"/", "") + "\n")
				}
				golden.Check(t, filepath.Join(dir, "errors.txt"), []byte(b.String()))
				syncGoldens(t, filepath.Join(dir, "want"), nil)
				return
			}
			if golden.Updating() {
				os.Remove(filepath.Join(dir, "errors.txt"))
			} else if _, err := os.Stat(filepath.Join(dir, "errors.txt")); err == nil {
				t.Errorf("generation succeeded but errors.txt expects diagnostics")
			}
			for _, f := range files {
				golden.Check(t, filepath.Join(dir, "want", f.Name+".golden"), f.Data)
				// gofmt must find nothing to change, doc comments included.
				if again, err := format.Source(f.Data); err != nil || !bytes.Equal(again, f.Data) {
					t.Errorf("%s: formatting it again changes it (%v)", f.Name, err)
				}
			}
			ts, err := typeScriptCase(dir)
			if err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join(dir, "want", tsGolden+".golden"), ts)
			syncGoldens(t, filepath.Join(dir, "want"), append(files, emit.File{Name: tsGolden, Data: ts}))
		})
	}
}

// syncGoldens reports (or with -update removes) golden files that the case
// no longer produces.
func syncGoldens(t *testing.T, dir string, files []emit.File) {
	t.Helper()
	goldens, _ := filepath.Glob(filepath.Join(dir, "*.golden"))
	for _, g := range goldens {
		name := strings.TrimSuffix(filepath.Base(g), ".golden")
		if slices.ContainsFunc(files, func(f emit.File) bool { return f.Name == name }) {
			continue
		}
		if golden.Updating() {
			os.Remove(g)
			continue
		}
		t.Errorf("%s is no longer generated", g)
	}
	if golden.Updating() && len(files) == 0 {
		os.Remove(dir)
	}
}

// TestGoldenCompiles type-checks and vets every expected package with the
// real runtime packages, mapping the .golden files to .go names through a
// build overlay so that they never enter the module's own build.
func TestGoldenCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go vet")
	}
	gotool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	overlay := map[string]string{}
	var pkgs []string
	for _, dir := range cases(t) {
		goldens, _ := filepath.Glob(filepath.Join(dir, "want", "*.go.golden"))
		if len(goldens) == 0 {
			continue
		}
		abs, err := filepath.Abs(filepath.Join(dir, "want"))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range goldens {
			overlay[filepath.Join(abs, strings.TrimSuffix(filepath.Base(g), ".golden"))] = filepath.Join(abs, filepath.Base(g))
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(filepath.Join(dir, "want")))
	}
	if len(pkgs) == 0 {
		t.Fatal("no golden packages to compile")
	}
	data, err := json.Marshal(map[string]any{"Replace": overlay})
	if err != nil {
		t.Fatal(err)
	}
	ovl := filepath.Join(t.TempDir(), "overlay.json")
	if err := os.WriteFile(ovl, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(gotool, append([]string{"vet", "-overlay", ovl}, pkgs...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go vet of the golden packages: %v\n%s", err, out)
	}
}

// TestGoldensAreNotGo keeps expected output out of the module's build: a
// .go file under want/ would be compiled by go vet ./... and break it as
// soon as the runtime changes.
func TestGoldensAreNotGo(t *testing.T) {
	err := filepath.WalkDir(testdata, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			t.Errorf("%s: golden output must end in .golden", path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

// TestGoldenTypeScriptCompiles type-checks the TypeScript client of every
// case with tsc --strict, so that any name a definition may use gives a
// module that compiles.
func TestGoldenTypeScriptCompiles(t *testing.T) {
	tstest.TSC(t)
	tmp := t.TempDir()
	var files []string
	for _, dir := range cases(t) {
		src := filepath.Join(dir, "want", tsGolden+".golden")
		data, err := os.ReadFile(src)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(dir) + ".ts"
		if err := os.WriteFile(filepath.Join(tmp, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	if len(files) == 0 {
		t.Fatal("no TypeScript goldens")
	}
	// One run for all: each file is a module with a scope of its own, and a
	// run per file would cost seconds each.
	out, ok := tstest.Run(t, tmp, append([]string{"--noEmit", "--isolatedModules"}, files...)...)
	if !ok {
		t.Fatalf("tsc of the TypeScript goldens:\n%s", out)
	}
}
