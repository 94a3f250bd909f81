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
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
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
	return c.run(rest, stdout, stderr)
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
