package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generateIn runs "usagekit generate" with args inside dir.
func generateIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(dir)
	var out, errb bytes.Buffer
	code = run(append([]string{"generate"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// copyDefinitions copies a golden case's definitions into dir/definitions.
func copyDefinitions(t *testing.T, from, dir string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(dir, "definitions", rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestGenerateCommand(t *testing.T) {
	src, err := filepath.Abs("../../testdata/basic/definitions")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	copyDefinitions(t, src, dir)

	// A first --check finds everything missing and names the fix.
	code, out, errs := generateIn(t, dir, "--check")
	if code != exitProblems || !strings.Contains(out, "generated/usagekit_gen.go: missing\n") ||
		!strings.HasSuffix(out, "generated code is out of date; run: usagekit generate --definitions definitions --out generated\n") {
		t.Fatalf("check before generating: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "generated")); !os.IsNotExist(err) {
		t.Fatalf("--check wrote something: %v", err)
	}

	code, out, errs = generateIn(t, dir)
	if code != exitOK || !strings.Contains(out, "generated/event_open_page_gen.go: created\n") || errs != "" {
		t.Fatalf("generate: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	// The output is the golden case's, byte for byte.
	want, err := os.ReadFile("../../testdata/basic/want/event_open_page_gen.go.golden")
	if err == nil {
		got, _ := os.ReadFile(filepath.Join(dir, "generated", "event_open_page_gen.go"))
		if !bytes.Equal(got, want) {
			t.Errorf("generated event_open_page_gen.go differs from the golden file")
		}
	}
	if code, out, _ = generateIn(t, dir, "--check"); code != exitOK || out != "" {
		t.Fatalf("check after generating: exit %d, stdout %q", code, out)
	}
	if code, out, _ = generateIn(t, dir); code != exitOK || out != "" {
		t.Fatalf("second generate: exit %d, stdout %q (nothing should change)", code, out)
	}

	// A hand-written file fixes the package name; a changed definition and
	// a deleted one make the output stale.
	must(t, os.WriteFile(filepath.Join(dir, "generated", "doc.go"), []byte("// Package generated is hand-written.\npackage generated\n"), 0o644))
	def := filepath.Join(dir, "definitions", "metrics", "uuid.yml")
	data, err := os.ReadFile(def)
	must(t, err)
	must(t, os.WriteFile(def, bytes.Replace(data, []byte("The instance identifier."), []byte("The instance UUID."), 1), 0o644))
	must(t, os.Remove(filepath.Join(dir, "definitions", "metrics", "pages.yml")))

	code, out, _ = generateIn(t, dir, "--check")
	wantOut := "generated/metric_uuid_gen.go: stale\n" +
		"generated/usagekit_gen.go: stale\n" +
		"generated/metric_counts-pages_gen.go: no longer generated\n" +
		"generated code is out of date; run: usagekit generate --definitions definitions --out generated\n"
	if code != exitProblems || out != wantOut {
		t.Fatalf("check after editing: exit %d\nstdout:\n%s\nwant:\n%s", code, out, wantOut)
	}
	code, out, _ = generateIn(t, dir)
	wantOut = "generated/metric_uuid_gen.go: updated\n" +
		"generated/usagekit_gen.go: updated\n" +
		"generated/metric_counts-pages_gen.go: removed\n"
	if code != exitOK || out != wantOut {
		t.Fatalf("generate after editing: exit %d\nstdout:\n%s\nwant:\n%s", code, out, wantOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "generated", "doc.go")); err != nil {
		t.Errorf("doc.go was removed: %v", err)
	}
}

// TestGenerateFromElsewhere runs the command as go:generate does, from the
// output directory, and expects the same bytes as a run from the root.
func TestGenerateFromElsewhere(t *testing.T) {
	src, err := filepath.Abs("../../testdata/basic/definitions")
	must(t, err)
	dir := t.TempDir()
	copyDefinitions(t, src, dir)
	if code, _, errs := generateIn(t, dir); code != exitOK {
		t.Fatalf("generate: %d %s", code, errs)
	}
	if code, out, errs := generateIn(t, filepath.Join(dir, "generated"), "--definitions", "../definitions", "--out", ".", "--check"); code != exitOK {
		t.Fatalf("check from generated/: exit %d\n%s%s", code, out, errs)
	}
	abs := filepath.Join(dir, "definitions")
	if code, out, errs := generateIn(t, t.TempDir(), "--definitions", abs, "--out", filepath.Join(dir, "generated"), "--check"); code != exitOK {
		t.Fatalf("check with absolute paths: exit %d\n%s%s", code, out, errs)
	}
}

func TestGenerateProblems(t *testing.T) {
	src, err := filepath.Abs("../../testdata/collisions/definitions")
	must(t, err)
	dir := t.TempDir()
	copyDefinitions(t, src, dir)
	code, out, errs := generateIn(t, dir)
	if code != exitProblems || out != "" ||
		!strings.Contains(errs, "definitions/metrics/metrics.yml:1:1: metric metrics maps to the Go package-level name Metrics, already used by the generated Metrics; rename one of them\n") ||
		!strings.HasSuffix(errs, "usagekit generate: 7 problems in the definitions; nothing was written\n") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "generated")); !os.IsNotExist(err) {
		t.Errorf("something was written: %v", err)
	}

	// An invalid definition is reported by the validator, positioned.
	must(t, os.WriteFile(filepath.Join(dir, "definitions", "events", "bad.yml"), []byte("action: bad\nunknown_key: 1\n"), 0o644))
	code, _, errs = generateIn(t, dir)
	if code != exitProblems || !strings.Contains(errs, "definitions/events/bad.yml:") {
		t.Fatalf("invalid definition: exit %d\nstderr:\n%s", code, errs)
	}
}

func TestGenerateUsage(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "definitions"), 0o755))
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--nope"}, exitUsage, "flag provided but not defined: -nope"},
		{[]string{"extra"}, exitUsage, `usagekit generate: unexpected argument "extra"; see 'usagekit help generate'`},
		{[]string{"--definitions", "missing"}, exitUsage, "usagekit generate: --definitions missing is not a directory"},
		{[]string{"--out", "my-out"}, exitUsage, `usagekit generate: cannot use the directory name "my-out" as a package name; pass --package`},
		{[]string{"--package", "my-pkg"}, exitUsage, `usagekit generate: emit: package name "my-pkg" is not a Go identifier`},
		{[]string{"-h"}, exitOK, "--check"},
		{nil, exitUsage, "usagekit generate: no definitions found in definitions: want .yml files of events (under events/) and metrics (under metrics/)\n"},
	} {
		code, out, errs := generateIn(t, dir, tc.args...)
		if tc.code == exitOK {
			errs = out // help goes to stdout
		}
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("generate %v: exit %d, stderr:\n%s\nwant exit %d and %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestGenerateTypeScript writes the TypeScript client with --ts, byte for
// byte the golden case's, and --check finds it stale after an edit.
func TestGenerateTypeScript(t *testing.T) {
	src, err := filepath.Abs("../../testdata/basic/definitions")
	must(t, err)
	want, err := os.ReadFile("../../testdata/basic/want/usage.ts.golden")
	must(t, err)
	dir := t.TempDir()
	copyDefinitions(t, src, dir)

	code, out, errs := generateIn(t, dir, "--ts", "web/usage.ts")
	if code != exitOK || !strings.HasSuffix(out, "web/usage.ts: created\n") || errs != "" {
		t.Fatalf("generate --ts: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	got, err := os.ReadFile(filepath.Join(dir, "web", "usage.ts"))
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Errorf("web/usage.ts differs from the golden file")
	}
	if code, out, _ = generateIn(t, dir, "--check", "--ts", "web/usage.ts"); code != exitOK || out != "" {
		t.Fatalf("check after generating: exit %d, stdout %q", code, out)
	}
	must(t, os.WriteFile(filepath.Join(dir, "web", "usage.ts"), append(got, "// edited\n"...), 0o644))
	code, out, _ = generateIn(t, dir, "--check", "--ts", "web/usage.ts")
	wantOut := "web/usage.ts: stale\n" +
		"generated code is out of date; run: usagekit generate --definitions definitions --out generated --ts web/usage.ts\n"
	if code != exitProblems || out != wantOut {
		t.Fatalf("check after editing: exit %d\nstdout:\n%s\nwant:\n%s", code, out, wantOut)
	}
	if code, out, _ = generateIn(t, dir, "--ts", "web/usage.ts"); code != exitOK || out != "web/usage.ts: updated\n" {
		t.Fatalf("generate after editing: exit %d, stdout %q", code, out)
	}
}
