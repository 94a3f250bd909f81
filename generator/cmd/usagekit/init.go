package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/emit"
	"github.com/usagekit/usagekit/generator/internal/privacy"
	"github.com/usagekit/usagekit/generator/internal/productgroups"
	"github.com/usagekit/usagekit/schema"
)

func init() {
	register(command{
		name:    "init",
		summary: "set up a Go module to use usagekit: definitions, schemas, the generated package, a CI job",
		usage: `usagekit init [--definitions DIR] [--package DIR] [--group NAME]

Run at the root of a Go module that has usagekit as a tool
(go get -tool github.com/usagekit/usagekit/generator/cmd/usagekit@latest).
It writes:

  DIR/product_groups.yml        the product groups definitions may name
                                (one to start with: --group)
  DIR/privacy.yml               the privacy rules, each at its default, to
                                raise, lower or excuse
  DIR/schema/v1/*.json          usagekit's JSON Schemas, for editors; usagekit
                                new starts each file with a line pointing at them
  PACKAGE/doc.go                the generated package's doc comment and its
                                //go:generate go tool usagekit generate line
  usagekit.gitlab-ci.yml        a job that validates, diffs and checks that
                                the generated code is up to date, and a job
                                (usagekit-status) that checks which events
                                the code tracks

A file that is already there is left as it is, so running init again
changes nothing. Then it prints the next commands.

  --definitions DIR  the definitions directory (default definitions)
  --package DIR      the generated package's directory (default internal/usage)
  --group NAME       the first product group (default: the module's last
                     path element)

Exit status: 0 done, 2 bad usage or not at the root of a Go module.`,
		run: runInit,
	})
}

// toolPath is the import path go get -tool and go tool know usagekit by.
const toolPath = "github.com/usagekit/usagekit/generator/cmd/usagekit"

func runInit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defs := fs.String("definitions", "definitions", "the definitions `dir`ectory")
	pkgDir := fs.String("package", filepath.Join("internal", "usage"), "the generated package's `dir`ectory")
	group := fs.String("group", "", "the first product `group`")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "usagekit init: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q; see 'usagekit help init'", fs.Arg(0))
	}
	mod, err := readModule()
	if err != nil {
		return fail("%v", err)
	}
	if *group == "" {
		*group = groupName(path.Base(mod.path))
	}
	if !productgroups.NamePattern.MatchString(*group) {
		return fail("--group %q: a product group is lowercase letters and digits, words joined by _ or -", *group)
	}
	name := filepath.Base(filepath.Clean(*pkgDir))
	if err := emit.CheckPackage(name); err != nil {
		return fail("--package %s: %v", *pkgDir, err)
	}
	files, err := initFiles(*defs, *pkgDir, name, *group)
	if err != nil {
		return fail("%v", err)
	}
	for _, f := range files {
		what, err := writeNew(f.path, f.data)
		if err != nil {
			return fail("%v", err)
		}
		fmt.Fprintf(stdout, "%s: %s\n", f.path, what)
	}
	if !hasTool(mod) {
		fmt.Fprintf(stdout, "\ngo.mod has no tool directive for usagekit yet; add it:\n  go get -tool %s@latest\n", toolPath)
	}
	fmt.Fprintf(stdout, `
Next:
  go tool usagekit new event NAME --description ... --product-group %s --milestone 1.0 --introduced-by-url ...
  go tool usagekit new metric --event NAME --description ... --milestone 1.0 --introduced-by-url ...
  go generate ./%s
Add "include: {local: usagekit.gitlab-ci.yml}" to .gitlab-ci.yml to run the checks in merge requests.
`, *group, filepath.ToSlash(*pkgDir))
	return exitOK
}

// initFile is a file init writes.
type initFile struct {
	path string
	data []byte
}

func initFiles(defs, pkgDir, pkg, group string) ([]initFile, error) {
	rel, err := filepath.Rel(pkgDir, defs)
	if err != nil {
		return nil, fmt.Errorf("--package %s and --definitions %s: %w", pkgDir, defs, err)
	}
	files := []initFile{
		{filepath.Join(defs, "product_groups.yml"), []byte(fmt.Sprintf(
			"# The product groups (teams) that own definitions: a list of names, or a\n"+
				"# mapping of name to description. Every definition's product_group is one of them.\n"+
				"%s: The team that owns the first definitions.\n", group))},
		{filepath.Join(defs, privacy.FileName), privacy.DefaultFile()},
		{filepath.Join(pkgDir, "doc.go"), []byte(fmt.Sprintf(`// Package %s is the typed usage tracking and metrics API generated from the
// event and metric definitions in %s: one Track function per event and
// one calculator per metric.
//
// Every other file of this package is generated: edit the definitions and
// run "go generate" here.
package %s

//go:generate go tool usagekit generate --definitions %s --out .
`, pkg, filepath.ToSlash(rel), pkg, filepath.ToSlash(rel)))},
		{"usagekit.gitlab-ci.yml", []byte(fmt.Sprintf(`# usagekit's checks of the definitions, for merge requests. Include it from
# .gitlab-ci.yml: include: {local: usagekit.gitlab-ci.yml}
usagekit:
  image: golang:1.26
  script:
    - go tool usagekit validate --format codequality %[1]s > gl-code-quality-report.json
    - git fetch --depth=1 origin "$CI_DEFAULT_BRANCH"
    - go tool usagekit diff --base "origin/$CI_DEFAULT_BRANCH" %[1]s
    - go tool usagekit generate --check --definitions %[1]s --out %[2]s
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-report.json
# Which events the code really tracks. A job of its own: GitLab takes one
# Code Quality report per job.
usagekit-status:
  image: golang:1.26
  script:
    - go tool usagekit status --definitions %[1]s --format codequality ./... > gl-code-quality-status.json
  artifacts:
    when: always
    reports:
      codequality: gl-code-quality-status.json
`, filepath.ToSlash(defs), filepath.ToSlash(pkgDir)))},
	}
	err = fs.WalkDir(schema.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(schema.FS(), p)
		if err != nil {
			return err
		}
		files = append(files, initFile{filepath.Join(defs, "schema", filepath.FromSlash(p)), data})
		return nil
	})
	return files, err
}

// writeNew writes data to a new file and says what it did; a file already
// there is kept, so init can run again.
func writeNew(p string, data []byte) (string, error) {
	if old, err := os.ReadFile(p); err == nil {
		if bytes.Equal(old, data) {
			return "unchanged", nil
		}
		return "exists, kept as it is", nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		return "", err
	}
	return "created", nil
}

// goMod is what init needs of go.mod: the module path and the tools.
type goMod struct {
	path  string
	tools []string
}

// readModule reads go.mod in the current directory: its module line and
// its tool directives (single, or a tool ( ... ) block).
func readModule() (*goMod, error) {
	data, err := os.ReadFile("go.mod")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("no go.mod here: run it at the root of a Go module (go mod init ...)")
	}
	if err != nil {
		return nil, err
	}
	var m goMod
	inTools := false
	for line := range strings.Lines(string(data)) {
		line, _, _ = strings.Cut(line, "//")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case inTools && f[0] == ")":
			inTools = false
		case inTools:
			m.tools = append(m.tools, strings.Trim(f[0], `"`))
		case f[0] == "module" && len(f) > 1:
			m.path = strings.Trim(f[1], `"`)
		case f[0] == "tool" && len(f) > 1 && f[1] == "(":
			inTools = true
		case f[0] == "tool" && len(f) > 1:
			m.tools = append(m.tools, strings.Trim(f[1], `"`))
		}
	}
	if m.path == "" {
		return nil, errors.New("go.mod names no module")
	}
	return &m, nil
}

func hasTool(mod *goMod) bool {
	return slices.Contains(mod.tools, toolPath)
}

// groupName turns a module's last path element into a product group name:
// lower case, runs of other characters as one underscore.
func groupName(s string) string {
	var b strings.Builder
	sep := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			sep = false
			continue
		}
		sep = true
	}
	if b.Len() == 0 {
		return "core"
	}
	return b.String()
}
