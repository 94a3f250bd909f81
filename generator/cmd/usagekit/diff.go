package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/diff"
	"github.com/usagekit/usagekit/generator/internal/privacy"
	"github.com/usagekit/usagekit/generator/internal/validate"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/generator/report"
)

func init() {
	register(command{
		name:    "diff",
		summary: "report breaking changes to definitions since a git revision",
		usage: `usagekit diff --base REV [--format FORMAT] [--fail-on error|warning|never] [PATH...]

Compares the definitions under PATH (default "definitions") at revision REV
with the working tree, reading REV with git ls-tree and git show (nothing is
checked out), and reports every breaking change at the line that made it:
a key_path changed or deleted without going through status: removed, an
event deleted while a metric names it, an identifier or property removed or
its type changed, an enum narrowed, a time_frame or unique changed under the
same key_path, a removed definition without milestone_removed and
removed_by_url. Problems in the working tree's definitions are reported too.
Base files that no longer load are reported on stderr and skipped.
A property added since REV with classification: personal is a warning
(personal-added), as are the privacy rules' other defaults.

  --fail-on LEVEL  the least severity that fails the run: error (default),
                   warning, or never

Exit status: 0 nothing at or above --fail-on, 1 breaking changes or
problems, 2 usage or git errors.`,
		run: runDiff,
	})
}

func runDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "", "git revision to compare with, e.g. origin/main (required)")
	format := fs.String("format", "text", "output format: "+formatList())
	var failOn diag.FailOn
	fs.Var(&failOn, "fail-on", "the least `severity` that fails the run: error, warning or never")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	if *base == "" {
		fmt.Fprintln(stderr, "usagekit diff: --base REV is required")
		return exitUsage
	}
	if !slices.Contains(formatNames(), *format) {
		fmt.Fprintf(stderr, "usagekit diff: unknown format %q; use one of %s\n", *format, formatList())
		return exitUsage
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"definitions"}
	}

	b, err := diff.Extract(*base, paths)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit %v\n", err) // err starts with "diff: "
		if errors.Is(err, diff.ErrUnknownRevision) {
			// The usual cause in CI: a shallow clone without the target branch.
			fmt.Fprintf(stderr, "usagekit diff: in a CI clone, fetch the base first, e.g. git fetch --depth=1 origin main\n")
		}
		return exitUsage
	}
	defer b.Close()

	baseSet := loadBase(b, stderr)
	head := generator.LoadResult(paths...)
	findings := append(diag.List{}, head.Diagnostics...)
	findings = append(findings, diff.Pinpoint(diff.Compare(baseSet, head.Set))...)
	rules := privacy.NewResolver() // its mistakes are head's diagnostics already
	findings = append(findings, privacy.Added(baseSet, head.Set, func(path string) *privacy.Config { return rules.For(path) })...)
	findings = findings.Sort()

	if err := writeFindings(stdout, *format, head, findings); err != nil {
		fmt.Fprintf(stderr, "usagekit diff: %v\n", err)
		return exitUsage
	}
	if findings.Fails(failOn) {
		if *format != "text" {
			n, what := len(findings.Errors()), plural(len(findings.Errors()), "problem", "problems")
			if n == 0 { // failing on warnings alone
				n, what = len(findings), plural(len(findings), "warning", "warnings")
			}
			fmt.Fprintf(stderr, "usagekit diff: %d %s since %s\n", n, what, *base)
		}
		return exitProblems
	}
	return exitOK
}

// loadBase loads the base definitions, leaving out files that no longer
// load at the base so they do not hide the comparison of the others; their
// problems go to stderr, positioned at the working-tree path. Problems of
// the rules that span files (a metric naming an event that no longer
// loads) leave nothing out: the file itself is fine and still compares.
func loadBase(b *diff.Base, stderr io.Writer) *model.Set {
	files := b.Files
	for len(files) > 0 {
		res := generator.LoadResult(files...)
		bad := map[string]bool{}
		for _, d := range res.Diagnostics {
			if validate.SpansFiles(d.Rule) {
				continue
			}
			bad[absPath(d.Path)] = true
			d.Path = b.Display(d.Path)
			at := "at " + b.Rev + ": "
			if strings.HasPrefix(d.Path, b.Rev+":") {
				at = "" // a file deleted since is named REV:path already
			}
			fmt.Fprintf(stderr, "usagekit diff: %s%s (skipped)\n", at, d)
		}
		var keep []string
		for _, f := range files {
			if !bad[absPath(f)] {
				keep = append(keep, f)
			}
		}
		if len(keep) == len(files) {
			// Problems not tied to one file: nothing more to leave out.
			return relabel(b, res.Set)
		}
		files = keep
	}
	return &model.Set{}
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// relabel rewrites the positions of base definitions from the temporary
// copy to the working-tree paths, so they compare with and read like the
// working tree's.
func relabel(b *diff.Base, s *model.Set) *model.Set {
	fix := func(p *model.Pos) { p.File = b.Display(p.File) }
	for _, e := range s.Events {
		e.File = b.Display(e.File)
		fix(&e.Pos)
		for _, p := range e.Properties {
			fix(&p.Pos)
		}
	}
	for _, m := range s.Metrics {
		m.File = b.Display(m.File)
		fix(&m.Pos)
		fix(&m.TimeFramePos)
		fix(&m.DatabasePos)
		for i := range m.Sources {
			src := &m.Sources[i]
			fix(&src.Pos)
			for j := range src.Filter {
				fix(&src.Filter[j].Pos)
			}
		}
	}
	return s
}

func formatNames() []string { return report.Formats() }

func formatList() string { return strings.Join(report.Formats(), ", ") }

// writeFindings writes the findings through the report registry, as a run
// over the working tree's files whose problems are the findings.
func writeFindings(w io.Writer, format string, head *generator.Result, findings diag.List) error {
	r := *head
	r.Diagnostics = findings
	return report.Write(w, format, &r)
}
