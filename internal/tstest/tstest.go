// Package tstest runs the TypeScript compiler that npm installs from the
// module's package-lock.json, for the tests of the generated browser
// client.
package tstest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Flags are the compiler options every check uses: strict, for browsers
// of the last few years, with the DOM's types.
var Flags = []string{"--strict", "--target", "ES2020", "--lib", "ES2020,DOM", "--module", "ES2020",
	"--moduleResolution", "bundler", "--forceConsistentCasingInFileNames"}

// ModuleRoot is the directory of go.mod, found upwards from the test's
// working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TSC returns the path of tsc under the module's node_modules, or skips
// the test with the command that installs it.
func TSC(t testing.TB) string {
	t.Helper()
	root := ModuleRoot(t)
	tsc := filepath.Join(root, "node_modules", ".bin", "tsc")
	if _, err := os.Stat(tsc); err != nil {
		t.Skipf("TypeScript is not installed; run npm ci in %s (Node 18 or newer; .ci/run does it)", root)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("TypeScript needs Node on PATH (Debian package nodejs)")
	}
	return tsc
}

// Run runs tsc with Flags, then args, in dir, and returns its output and
// whether it succeeded.
func Run(t testing.TB, dir string, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(TSC(t), append(append([]string{}, Flags...), args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("running tsc: %v", err)
		}
	}
	return string(out), err == nil
}
