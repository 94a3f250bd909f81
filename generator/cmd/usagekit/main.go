// Command usagekit validates event and metric definitions, generates typed Go
// code from them, and computes or sends a usage ping.
//
// Usage:
//
//	usagekit <command> [flags] [arguments]
//
// Run "usagekit help" for the list of commands.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/usagekit/usagekit/generator/diag"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes shared by every command.
const (
	exitOK       = 0 // success, no problems
	exitProblems = 1 // the definitions (or the diff, or the check) have problems
	exitUsage    = 2 // the command line is wrong, or the tool could not run
)

// command is one subcommand. Each lives in its own file and registers itself
// from init, so commands can be added without touching this file.
type command struct {
	name    string
	summary string // one line, for "usagekit help"
	usage   string // the synopsis and flags, for "usagekit help <name>"
	run     func(args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

// run executes the command line args (without the program name) and returns
// the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		printHelp(stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 {
			c, ok := commands[rest[0]]
			if !ok {
				fmt.Fprintf(stderr, "usagekit: unknown command %q; run 'usagekit help' for the list\n", rest[0])
				return exitUsage
			}
			fmt.Fprintf(stdout, "%s\n\n%s\n", c.summary, strings.TrimSpace(c.usage))
			return exitOK
		}
		printHelp(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "usagekit: unknown command %q; run 'usagekit help' for the list\n", name)
		return exitUsage
	}
	if wantsHelp(rest) {
		fmt.Fprintf(stdout, "%s\n\n%s\n", c.summary, strings.TrimSpace(c.usage))
		return exitOK
	}
	return c.run(rest, stdout, stderr)
}

// wantsHelp reports whether a command's arguments ask for its help: -h,
// -help or --help anywhere before a "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "usagekit validates product-usage definitions and generates typed Go code from them.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: usagekit <command> [flags] [arguments]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-10s %s\n", "help", "show this list, or a command's flags with 'usagekit help <command>'")
}

// parseFlags parses args with fs, accepting flags anywhere among the
// arguments, as users of other command-line tools expect: "validate config
// --format json" is "validate --format json config". A "--" ends the flags.
func parseFlags(fs *flag.FlagSet, args []string) error {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		f := fs.Lookup(name)
		if hasValue || f == nil || isBoolFlag(f) {
			continue
		}
		if i+1 == len(args) {
			// Parsed as is, the flag would take the "--" below as its value.
			err := fmt.Errorf("flag needs an argument: -%s", name)
			fmt.Fprintln(fs.Output(), err)
			return err
		}
		i++
		flags = append(flags, args[i])
	}
	return fs.Parse(append(append(flags, "--"), positional...))
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// loadFailed reports why loading definitions failed and returns the exit
// code: every problem and a count (exit 1), or, for no definitions at all
// or a failure to run, one line (exit 2). then says what did not happen.
func loadFailed(stderr io.Writer, cmd, then string, err error) int {
	list, ok := diag.From(err)
	if !ok {
		fmt.Fprintf(stderr, "usagekit %s: %s\n", cmd, strings.TrimPrefix(err.Error(), "generator: "))
		return exitUsage
	}
	for _, d := range list {
		fmt.Fprintln(stderr, d.String())
	}
	fmt.Fprintf(stderr, "usagekit %s: %d %s in the definitions; %s\n", cmd, len(list), plural(len(list), "problem", "problems"), then)
	return exitProblems
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
