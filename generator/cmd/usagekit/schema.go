package main

import (
	"fmt"
	"io"

	"flag"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/model"
	"github.com/usagekit/usagekit/generator/wireschema"
)

func init() {
	register(command{
		name:    "schema",
		summary: "print the JSON Schema of the usage ping payload or of event records",
		usage: `usagekit schema payload|records [--definitions DIR]

Prints, from the definitions, the JSON Schema of what an instance sends:

  payload   the usage ping: every active or broken metric nested by
            key_path, its value of its value_type or -1, the instance facts
  records   an event record: one branch per internal event, with the
            identifiers it declares and its typed properties

A collector validates what it receives with them.

  --definitions DIR  the definitions (default definitions)

Exit status: 0 printed, 1 the definitions have problems, 2 bad usage.`,
		run: runSchema,
	})
}

func runSchema(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	defs := fs.String("definitions", "definitions", "the definitions `dir`ectory")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	makers := map[string]func(*model.Set) ([]byte, error){"payload": wireschema.Payload, "records": wireschema.Records}
	if fs.NArg() != 1 || makers[fs.Arg(0)] == nil {
		fmt.Fprintln(stderr, "usagekit schema: say which: usagekit schema payload or usagekit schema records")
		return exitUsage
	}
	set, err := generator.Load(*defs)
	if err != nil {
		return loadFailed(stderr, "schema", "nothing was printed", err)
	}
	out, err := makers[fs.Arg(0)](set)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit schema: %v\n", err)
		return exitUsage
	}
	stdout.Write(out) //nolint:errcheck // nothing to do about a closed stdout
	return exitOK
}
