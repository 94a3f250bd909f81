package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/internal/docs"
	"github.com/usagekit/usagekit/generator/internal/tracking"
)

func init() {
	register(command{
		name:    "docs",
		summary: "write the metrics dictionary (Markdown and a searchable HTML page)",
		usage: `usagekit docs --out DIR [--packages PATTERN]... [PATH...]

Writes DIR/index.md, one DIR/groups/<product group>.md per product group
(every group of the project's product_groups.yml, with its description,
when there is one) and DIR/index.html, a single self-contained page listing every event and metric
with search and filters. PATH defaults to "definitions". Exits 1 when the
definitions have problems, listing them.

  --packages PATTERN  Go packages to find call sites in, as usagekit status
                      does (repeatable, e.g. ./...): each group's page lists
                      where its events are tracked, and the HTML page shows
                      it with each event`,
		run: runDocs,
	})
}

func runDocs(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write the dictionary to (required)")
	var patterns stringList
	fs.Var(&patterns, "packages", "Go packages whose call sites the dictionary shows (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	if *out == "" {
		fmt.Fprintln(stderr, "usagekit docs: --out DIR is required")
		return exitUsage
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{"definitions"}
	}
	set, err := generator.Load(paths...)
	if err != nil {
		return loadFailed(stderr, "docs", "no dictionary was written", err)
	}
	var opts docs.Options
	if len(patterns) > 0 {
		rep, err := tracking.Scan(set, tracking.Options{Patterns: patterns, Stderr: stderr})
		if err != nil {
			fmt.Fprintf(stderr, "usagekit docs: %v\n", err)
			return exitUsage
		}
		opts.Calls = map[string][]string{}
		for action, sites := range rep.Sites {
			for _, s := range sites {
				opts.Calls[action] = append(opts.Calls[action], s.String())
			}
		}
	}
	files, err := docs.GenerateWith(set, opts)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit docs: %v\n", err)
		return exitUsage
	}
	for _, f := range files {
		p := filepath.Join(*out, filepath.FromSlash(f.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			fmt.Fprintf(stderr, "usagekit docs: %v\n", err)
			return exitUsage
		}
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			fmt.Fprintf(stderr, "usagekit docs: %v\n", err)
			return exitUsage
		}
	}
	fmt.Fprintf(stdout, "wrote %d files to %s (%d events, %d metrics)\n", len(files), *out, len(set.Events), len(set.Metrics))
	return exitOK
}

// stringList is a repeatable string flag.
type stringList []string

// String joins the values, for the flag package.
func (l *stringList) String() string { return strings.Join(*l, " ") }

// Set adds one value.
func (l *stringList) Set(s string) error {
	*l = append(*l, s)
	return nil
}
