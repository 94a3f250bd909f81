package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/emit"
)

func init() {
	register(command{
		name:    "generate",
		summary: "generate typed Go code from the definitions (--check: fail when it is stale)",
		usage: `usagekit generate [--definitions DIR] [--out DIR] [--package NAME] [--ts FILE] [--check]

Validates the definitions and writes one Go file per event and per metric
definition, plus usagekit_gen.go, into the output directory. Files that are
already up to date are left alone; generated files whose definition is gone
are removed (only files starting with the usagekit header). With --ts, it
also writes the TypeScript client of the events to FILE.

  --definitions DIR  the definitions directory (default definitions)
  --out DIR          the package directory to write (default generated)
  --package NAME     the package name (default: the package of the Go files
                     already in --out, else the directory's name)
  --ts FILE          also write the browser client, a TypeScript module
                     with one track function per event (for example
                     generated/usage.ts)
  --check            write nothing: list the stale, missing and leftover
                     files and exit 1 when there are any

Exit status: 0 success, 1 problems in the definitions or stale code (with
--check), 2 bad usage or an I/O error.`,
		run: runGenerate,
	})
}

func runGenerate(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("generate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	defs := fl.String("definitions", "definitions", "the definitions `directory`")
	out := fl.String("out", "generated", "the package `directory` to write")
	pkg := fl.String("package", "", "the package `name` (default: the existing package in --out, else its directory name)")
	check := fl.Bool("check", false, "write nothing; exit 1 when the generated files are stale")
	tsFile := fl.String("ts", "", "also write the TypeScript client to this `file`")
	if err := parseFlags(fl, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fl.NArg() > 0 {
		fmt.Fprintf(stderr, "usagekit generate: unexpected argument %q; see 'usagekit help generate'\n", fl.Arg(0))
		return exitUsage
	}
	if fi, err := os.Stat(*defs); err != nil || !fi.IsDir() {
		fmt.Fprintf(stderr, "usagekit generate: --definitions %s is not a directory\n", *defs)
		return exitUsage
	}
	name := *pkg
	if name == "" {
		var err error
		if name, err = packageName(*out); err != nil {
			fmt.Fprintf(stderr, "usagekit generate: %v\n", err)
			return exitUsage
		}
	}

	if err := emit.CheckPackage(name); err != nil {
		fmt.Fprintf(stderr, "usagekit generate: %v\n", err)
		return exitUsage
	}
	if os.Getenv("GOGC") == "" {
		// A run allocates a lot of short-lived syntax trees and lives for a
		// second or so: collecting less often cuts its CPU time by a fifth.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	set, err := generator.Load(*defs)
	if err != nil {
		return loadFailed(stderr, "generate", "nothing was written", err)
	}
	opts := emit.Options{Package: name, Root: *defs, RootName: rootName(*defs)}
	files, err := emit.Emit(set, opts)
	if err != nil {
		return loadFailed(stderr, "generate", "nothing was written", err)
	}
	if files, err = emit.WithRecordSchema(set, files); err != nil {
		fmt.Fprintf(stderr, "usagekit generate: %v\n", err)
		return exitUsage
	}
	var ts []byte
	if *tsFile != "" {
		if ts, err = emit.TypeScript(set, opts); err != nil {
			return loadFailed(stderr, "generate", "nothing was written", err)
		}
	}

	if *check {
		c, err := emit.Diff(*out, files)
		if err != nil {
			fmt.Fprintf(stderr, "usagekit generate: %v\n", err)
			return exitUsage
		}
		tsState := ""
		if *tsFile != "" {
			switch old, err := os.ReadFile(*tsFile); {
			case errors.Is(err, os.ErrNotExist):
				tsState = "missing"
			case err != nil:
				fmt.Fprintf(stderr, "usagekit generate: %v\n", err)
				return exitUsage
			case !bytes.Equal(old, ts):
				tsState = "stale"
			}
		}
		if c.Empty() && tsState == "" {
			return exitOK
		}
		list(stdout, *out, c.Stale, "stale")
		list(stdout, *out, c.Missing, "missing")
		list(stdout, *out, c.Extra, "no longer generated")
		if tsState != "" {
			fmt.Fprintf(stdout, "%s: %s\n", *tsFile, tsState)
		}
		fix := fmt.Sprintf("usagekit generate --definitions %s --out %s", *defs, *out)
		if *pkg != "" {
			fix += " --package " + *pkg
		}
		if *tsFile != "" {
			fix += " --ts " + *tsFile
		}
		fmt.Fprintf(stdout, "generated code is out of date; run: %s\n", fix)
		return exitProblems
	}
	c, err := emit.Write(*out, files)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit generate: %v\n", err)
		return exitUsage
	}
	list(stdout, *out, c.Stale, "updated")
	list(stdout, *out, c.Missing, "created")
	list(stdout, *out, c.Extra, "removed")
	if *tsFile != "" {
		state, err := emit.WriteFile(*tsFile, ts)
		if err != nil {
			fmt.Fprintf(stderr, "usagekit generate: %v\n", err)
			return exitUsage
		}
		if state != "" {
			fmt.Fprintf(stdout, "%s: %s\n", *tsFile, state)
		}
	}
	return exitOK
}

func list(w io.Writer, dir string, names []string, what string) {
	for _, n := range names {
		fmt.Fprintf(w, "%s: %s\n", filepath.Join(dir, n), what)
	}
}

// rootName is how file headers name the definitions directory: its last
// element, so that "definitions", "../definitions" and an absolute path give
// the same output.
func rootName(dir string) string {
	if abs, err := filepath.Abs(dir); err == nil {
		return filepath.Base(abs)
	}
	return filepath.Base(dir)
}

// packageName is the package clause of the first hand-written Go file in
// dir (doc.go declares it), or else dir's name when that is an identifier.
func packageName(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), filepath.Join(dir, n), nil, parser.PackageClauseOnly)
		if err != nil {
			continue
		}
		return f.Name.Name, nil
	}
	base := rootName(dir)
	if !token.IsIdentifier(base) {
		return "", fmt.Errorf("cannot use the directory name %q as a package name; pass --package", base)
	}
	return base, nil
}
