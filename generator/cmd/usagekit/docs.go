package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/internal/docs"
)

func init() {
	register(command{
		name:    "docs",
		summary: "write the metrics dictionary (Markdown and a searchable HTML page)",
		usage: `usagekit docs --out DIR [PATH...]

Writes DIR/index.md, one DIR/groups/<product group>.md per product group
(every group of the project's product_groups.yml, with its description,
when there is one) and DIR/index.html, a single self-contained page listing every event and metric
with search and filters. PATH defaults to "definitions". Exits 1 when the
definitions have problems, listing them.`,
		run: runDocs,
	})
}

func runDocs(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("docs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write the dictionary to (required)")
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
	files, err := docs.Generate(set)
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
