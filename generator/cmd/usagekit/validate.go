package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/report"
)

func init() {
	register(command{
		name:    "validate",
		summary: "check definitions and report every problem as path:line:col: message",
		usage: `usagekit validate [--format FORMAT] [--fail-on error|warning|never] [PATH...]

Loads every .yml and .yaml file under the PATHs (directories or files;
default definitions), checks each against the JSON Schemas in schema/ and
the rules that span files, and reports every problem of the run at once,
sorted by file and line, with paths relative to the current directory.
Both usagekit's layout (definitions/events, definitions/metrics/...) and
GitLab's (config/events, config/metrics/counts_28d/...) are understood.
The rules that span files see only the files given: check a metric
together with the events it counts.

A definition's product_group must be one of the groups in the
product_groups.yml nearest above it (a YAML list of names, or a mapping of
name to description; usually at the root of the definitions), or of
GitLab's groups when there is none. That file is checked too.

Some findings are warnings (path:line:col: warning: message): the privacy
rules' defaults, which a privacy.yml beside product_groups.yml can raise,
lower or turn off. They are reported but do not fail the run.

  --format FORMAT  the report format (default text): ` + strings.Join(report.Formats(), ", ") + `
  --fail-on LEVEL  the least severity that fails the run: error (default),
                   warning, or never

Exit status: 0 nothing at or above --fail-on, 1 findings that fail the
run, 2 bad usage or no definition files in the PATHs.`,
		run: runValidate,
	})
}

func runValidate(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("validate", flag.ContinueOnError)
	fl.SetOutput(stderr)
	format := fl.String("format", "text", "the report `format`: "+strings.Join(report.Formats(), ", "))
	var failOn diag.FailOn
	fl.Var(&failOn, "fail-on", "the least `severity` that fails the run: error, warning or never")
	if err := parseFlags(fl, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if report.Summary(*format) == "" {
		fmt.Fprintf(stderr, "usagekit validate: unknown format %q; known formats: %s\n", *format, strings.Join(report.Formats(), ", "))
		return exitUsage
	}
	paths := fl.Args()
	if len(paths) == 0 {
		paths = []string{"definitions"}
	}
	res := generator.LoadResult(paths...)
	if res.Files == 0 {
		for _, d := range res.Diagnostics {
			fmt.Fprintln(stderr, d.String())
		}
		fmt.Fprintf(stderr, "usagekit validate: no definition files in %s: want .yml files of events (under events/) and metrics (under metrics/)\n", strings.Join(paths, ", "))
		return exitUsage
	}
	if err := report.Write(stdout, *format, res); err != nil {
		fmt.Fprintf(stderr, "usagekit validate: %v\n", err)
		return exitUsage
	}
	if res.Diagnostics.Fails(failOn) {
		return exitProblems
	}
	return exitOK
}
