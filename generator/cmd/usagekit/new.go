package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/groups"
	"github.com/usagekit/usagekit/generator/scaffold"
)

func init() {
	register(command{
		name:    "new",
		summary: "create a new event or metric definition file",
		usage: `usagekit new event NAME [flags]
usagekit new metric --event NAME [flags]

Writes a schema-valid definition under --dir (default "definitions"), named
and placed as GitLab does, never overwriting a file, and prints the Go call
to add and a test to write. Flags that are missing are asked for when stdin
is a terminal; otherwise the command fails naming them, so CI never hangs.

new event flags:
  --description TEXT         what happened (required)
  --product-group NAME       owning group (required): one of the groups in
                             the product_groups.yml nearest above --dir, or
                             of GitLab's groups when there is none
  --milestone X.Y            release that introduces it (required)
  --introduced-by-url URL    merge request adding it (required)
  --identifiers LIST         user, project, namespace,
                             feature_enabled_by_namespace_ids (default user,project,namespace)
  --property NAME[:TYPE][=DESCRIPTION]
                             an additional property; repeatable. Built-ins:
                             label, property, value; custom ones need label
                             and property, or value
  --product-categories LIST, --tiers LIST (default free,premium,ultimate)

new metric flags:
  --event NAME               event counted; repeatable (required)
  --description TEXT         what the number means (required)
  --milestone X.Y            (required)
  --introduced-by-url URL    (required)
  --unique user.id|project.id|namespace.id
                             count distinct values rather than events
  --time-frame LIST          7d, 28d, all (default 7d,28d for unique
                             counts, 7d,28d,all for totals)
  --name NAME                key_path name (default count_distinct_<id>_from_<event>
                             or count_total_<event>; required for several events)
  --product-group, --product-categories, --tiers
                             default to the first event's
  --data-category CATEGORY   default optional`,
		run: runNew,
	})
}

// Interactive input. Tests replace them to act as a terminal.
var (
	newStdin      io.Reader = os.Stdin
	stdinTerminal           = func() bool {
		fi, err := os.Stdin.Stat()
		if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
			return false
		}
		// /dev/null is a character device too, and the usual stdin in CI.
		null, err := os.Stat(os.DevNull)
		return err != nil || !os.SameFile(fi, null)
	}
)

// listFlag is a repeatable flag that also splits on commas.
type listFlag struct {
	vals []string
	set  bool
}

func (l *listFlag) String() string { return strings.Join(l.vals, ",") }

func (l *listFlag) Set(s string) error {
	l.set = true
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			l.vals = append(l.vals, v)
		}
	}
	return nil
}

// list returns nil when the flag was not given, so defaults apply.
func (l *listFlag) list() []string {
	if !l.set {
		return nil
	}
	if l.vals == nil {
		return []string{}
	}
	return l.vals
}

// prompter fills in missing required values, asking when stdin is a
// terminal and collecting the names of the missing flags otherwise.
type prompter struct {
	interactive bool
	in          *bufio.Reader
	out         io.Writer
	missing     []string
}

// need asks for *v when it is empty; flagName names it in errors.
func (p *prompter) need(v *string, flagName, question string) {
	if strings.TrimSpace(*v) != "" {
		return
	}
	if !p.interactive {
		p.missing = append(p.missing, flagName)
		return
	}
	for strings.TrimSpace(*v) == "" {
		fmt.Fprintf(p.out, "%s: ", question)
		line, err := p.in.ReadString('\n')
		*v = strings.TrimSpace(line)
		if err != nil {
			if *v == "" {
				p.missing = append(p.missing, flagName)
			}
			return
		}
	}
}

func (p *prompter) err(cmd string) error {
	if len(p.missing) == 0 {
		return nil
	}
	why := "stdin is not a terminal, so nothing is asked"
	if p.interactive {
		why = "input ended"
	}
	return fmt.Errorf("usagekit new %s: missing required %s: %s (%s)", cmd, plural(len(p.missing), "flag", "flags"), strings.Join(p.missing, ", "), why)
}

func runNew(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "event" && args[0] != "metric") {
		fmt.Fprintln(stderr, "usagekit new: say what to create: usagekit new event NAME or usagekit new metric --event NAME")
		return exitUsage
	}
	p := &prompter{interactive: stdinTerminal(), in: bufio.NewReader(newStdin), out: stderr}
	if args[0] == "event" {
		return newEvent(args[1:], p, stdout, stderr)
	}
	return newMetric(args[1:], p, stdout, stderr)
}

func newEvent(args []string, p *prompter, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("new event", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o scaffold.EventOptions
	var ids, props, cats, tiers listFlag
	dir := fs.String("dir", "definitions", "definitions directory")
	fs.StringVar(&o.Description, "description", "", "")
	fs.StringVar(&o.ProductGroup, "product-group", "", "")
	fs.StringVar(&o.Milestone, "milestone", "", "")
	fs.StringVar(&o.IntroducedByURL, "introduced-by-url", "", "")
	fs.Var(&ids, "identifiers", "")
	fs.Var(&props, "property", "")
	fs.Var(&cats, "product-categories", "")
	fs.Var(&tiers, "tiers", "")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		o.Action = fs.Arg(0)
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "usagekit new event: unexpected arguments %q\n", fs.Args()[1:])
		return exitUsage
	}
	p.need(&o.Action, "NAME", "Event name (action, e.g. export_issues)")
	p.need(&o.Description, "--description", "Description (what happened)")
	p.need(&o.ProductGroup, "--product-group", groupQuestion(*dir))
	p.need(&o.Milestone, "--milestone", "Milestone (e.g. 17.4)")
	p.need(&o.IntroducedByURL, "--introduced-by-url", "Introduced by URL (the merge request)")
	if err := p.err("event"); err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	o.Identifiers = ids.list()
	if o.Identifiers == nil {
		o.Identifiers = []string{"user", "project", "namespace"}
	}
	for _, spec := range props.vals {
		o.Properties = append(o.Properties, parseProperty(spec))
	}
	o.ProductCategories, o.Tiers = cats.list(), tiers.list()
	f, err := scaffold.Event(*dir, o)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit new event: %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return exitUsage
	}
	if code := createAndCheck(scaffold.WithSchemaLine(f, "event"), *dir, stdout, stderr); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "\n%s", scaffold.EventSnippet(o))
	return exitOK
}

// groupQuestion asks for a product group, naming the choices when the
// project's list is short enough to read in a line.
func groupQuestion(dir string) string {
	list, err := groups.NewResolver().For(filepath.Join(dir, "events", "x.yml"))
	if err != nil || !list.Project || len(list.Groups) == 0 || len(list.Groups) > 8 {
		return "Product group"
	}
	return "Product group (" + strings.Join(list.Names(), ", ") + ")"
}

// parseProperty reads NAME[:TYPE][=DESCRIPTION].
func parseProperty(spec string) scaffold.Property {
	var p scaffold.Property
	spec, p.Description, _ = strings.Cut(spec, "=")
	p.Name, p.Type, _ = strings.Cut(spec, ":")
	return p
}

func newMetric(args []string, p *prompter, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("new metric", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o scaffold.MetricOptions
	var events, frames, cats, tiers listFlag
	dir := fs.String("dir", "definitions", "definitions directory")
	fs.Var(&events, "event", "")
	fs.StringVar(&o.Unique, "unique", "", "")
	fs.Var(&frames, "time-frame", "")
	fs.StringVar(&o.Name, "name", "", "")
	fs.StringVar(&o.Description, "description", "", "")
	fs.StringVar(&o.ProductGroup, "product-group", "", "")
	fs.Var(&cats, "product-categories", "")
	fs.StringVar(&o.Milestone, "milestone", "", "")
	fs.StringVar(&o.IntroducedByURL, "introduced-by-url", "", "")
	fs.Var(&tiers, "tiers", "")
	fs.StringVar(&o.DataCategory, "data-category", "", "")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "usagekit new metric: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	var event string
	if len(events.vals) == 0 {
		p.need(&event, "--event", "Event to count")
		if event != "" {
			events.vals = []string{event}
		}
	}
	p.need(&o.Description, "--description", "Description (what the number means)")
	p.need(&o.Milestone, "--milestone", "Milestone (e.g. 17.4)")
	p.need(&o.IntroducedByURL, "--introduced-by-url", "Introduced by URL (the merge request)")
	if err := p.err("metric"); err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	o.Events, o.TimeFrames, o.ProductCategories, o.Tiers = events.vals, frames.list(), cats.list(), tiers.list()
	res := generator.LoadResult(*dir)
	if e := res.Set.Event(o.Events[0]); p.interactive && o.ProductCategories == nil && e != nil && len(e.ProductCategories) == 0 {
		// Active metrics need categories; the event has none to inherit.
		var answer string
		p.need(&answer, "--product-categories", "Product categories (comma-separated)")
		if err := p.err("metric"); err != nil {
			fmt.Fprintln(stderr, err)
			return exitUsage
		}
		cats.Set(answer)
		o.ProductCategories = cats.list()
	}
	f, keys, err := scaffold.Metric(*dir, res.Set, o)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit new metric: %s\n", strings.ReplaceAll(err.Error(), "\n", "\n  "))
		return exitUsage
	}
	if code := createAndCheck(scaffold.WithSchemaLine(f, "metric"), *dir, stdout, stderr); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "key_path: %s\n\n%s", strings.Join(keys, ", "), scaffold.MetricSnippet(keys, o.Events))
	return exitOK
}

// createAndCheck writes f and validates the definitions again, reporting
// problems in the new file (for example one the scaffold could not foresee,
// like a key_path that is already taken).
func createAndCheck(f scaffold.File, dir string, stdout, stderr io.Writer) int {
	if err := f.Create(); err != nil {
		fmt.Fprintf(stderr, "usagekit new: %v\n", err)
		return exitProblems
	}
	fmt.Fprintf(stdout, "created %s\n", f.Path)
	res := generator.LoadResult(dir)
	bad := 0
	for _, d := range res.Diagnostics {
		if filepath.Clean(d.Path) == filepath.Clean(f.Path) {
			fmt.Fprintln(stderr, d)
			bad++
		}
	}
	if bad > 0 {
		fmt.Fprintf(stderr, "usagekit new: %s has %d %s; edit it or delete it and try again\n", f.Path, bad, plural(bad, "problem", "problems"))
		return exitProblems
	}
	return exitOK
}
