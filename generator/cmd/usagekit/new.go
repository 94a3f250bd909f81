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
	"github.com/usagekit/usagekit/generator/internal/productgroups"
	"github.com/usagekit/usagekit/generator/internal/scaffold"
	"github.com/usagekit/usagekit/generator/model"
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

// repeatFlag is a repeatable flag whose values are kept whole, commas and
// all (a property's description may have commas).
type repeatFlag struct{ vals []string }

func (r *repeatFlag) String() string     { return strings.Join(r.vals, " ") }
func (r *repeatFlag) Set(s string) error { r.vals = append(r.vals, s); return nil }

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
// terminal and collecting the names of the missing flags otherwise. An
// answer is checked as soon as it is given, with the rules the whole file
// will meet, and asked again while it is wrong. Once input ends, nothing
// more is asked.
type prompter struct {
	interactive bool
	in          *bufio.Reader
	out         io.Writer
	missing     []string
	ended       bool
}

// need asks for *v when it is empty; flagName names it in errors. check,
// when set, says what is wrong with an answer ("" for nothing).
func (p *prompter) need(v *string, flagName, question string, check func() string) {
	if strings.TrimSpace(*v) != "" {
		return
	}
	if !p.interactive || p.ended {
		p.missing = append(p.missing, flagName)
		return
	}
	for {
		fmt.Fprintf(p.out, "%s: ", question)
		line, err := p.in.ReadString('\n')
		*v = strings.TrimSpace(line)
		if err != nil {
			p.ended = true
			if *v == "" {
				p.missing = append(p.missing, flagName)
				return
			}
		}
		if *v == "" {
			continue
		}
		problem := ""
		if check != nil {
			problem = check()
		}
		if problem == "" || p.ended {
			return
		}
		fmt.Fprintln(p.out, problem)
		*v = ""
	}
}

// optional asks once for a value that may stay empty, when stdin is a
// terminal that has not ended.
func (p *prompter) optional(v *string, question string) {
	if !p.interactive || p.ended {
		return
	}
	fmt.Fprintf(p.out, "%s: ", question)
	line, err := p.in.ReadString('\n')
	*v = strings.TrimSpace(line)
	p.ended = err != nil
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

// answerCheck checks an answer by building the file with what is known so
// far (build fills the rest with stand-ins) and keeping the problems of
// the field it answers: those whose message starts with the field's path
// (the validator names it first, as in "milestone: ..." or
// "events[0].name: ...").
func answerCheck(dir, field string, build func() (scaffold.File, error)) func() string {
	return func() string {
		f, err := build()
		if err != nil {
			return err.Error()
		}
		var msgs []string
		for _, d := range scaffold.Check(f, dir).Errors() {
			if strings.HasPrefix(d.Message, field) {
				msgs = append(msgs, d.Message)
			}
		}
		return strings.Join(msgs, "\n")
	}
}

// standIn fills the required fields not answered yet with values that pass,
// so that checking one answer reports that answer's problems only.
func standIn(v, s string) string {
	if strings.TrimSpace(v) == "" {
		return s
	}
	return v
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
	var ids, cats, tiers listFlag
	var props repeatFlag
	dir := fs.String("dir", "definitions", "definitions directory")
	fs.StringVar(&o.Description, "description", "", "what happened")
	fs.StringVar(&o.ProductGroup, "product-group", "", "the owning product group")
	fs.StringVar(&o.Milestone, "milestone", "", "the release that introduces it")
	fs.StringVar(&o.IntroducedByURL, "introduced-by-url", "", "the merge request that adds it")
	fs.Var(&ids, "identifiers", "identifiers, comma-separated")
	fs.Var(&props, "property", "an additional property: NAME[:TYPE][(V1|V2)][=DESCRIPTION]")
	fs.Var(&cats, "product-categories", "product categories, comma-separated")
	fs.Var(&tiers, "tiers", "tiers, comma-separated")
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
	o.Identifiers = ids.list()
	if o.Identifiers == nil {
		o.Identifiers = []string{"user", "project", "namespace"}
	}
	for _, spec := range props.vals {
		prop, err := scaffold.ParseProperty(spec)
		if err != nil {
			fmt.Fprintf(stderr, "usagekit new event: --property %q: %v\n", spec, err)
			return exitUsage
		}
		o.Properties = append(o.Properties, prop)
	}
	o.ProductCategories, o.Tiers = cats.list(), tiers.list()
	trial := func() (scaffold.File, error) {
		t := o
		t.Action = standIn(t.Action, "new_event")
		t.Description = standIn(t.Description, "A new event.")
		t.ProductGroup = standIn(t.ProductGroup, firstGroup(*dir))
		t.Milestone = standIn(t.Milestone, "1.0")
		t.IntroducedByURL = standIn(t.IntroducedByURL, "https://example.com")
		return scaffold.Event(*dir, t)
	}
	p.need(&o.Action, "NAME", "Event name (action, e.g. export_issues)", answerCheck(*dir, "action:", trial))
	p.need(&o.Description, "--description", "Description (what happened)", nil)
	p.need(&o.ProductGroup, "--product-group", groupQuestion(*dir), answerCheck(*dir, "product_group:", trial))
	p.need(&o.Milestone, "--milestone", "Milestone (e.g. 17.4)", answerCheck(*dir, "milestone:", trial))
	p.need(&o.IntroducedByURL, "--introduced-by-url", "Introduced by URL (the merge request)", answerCheck(*dir, "introduced_by_url:", trial))
	if o.ProductCategories == nil {
		// Optional for an event, but its metrics inherit them and an
		// active metric needs them.
		var answer string
		p.optional(&answer, "Product categories, comma-separated (its metrics inherit them; empty for none)")
		if answer != "" {
			cats.Set(answer)
			o.ProductCategories = cats.list()
		}
	}
	if err := p.err("event"); err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	f, err := scaffold.Event(*dir, o)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit new event: %v\n", err)
		return exitUsage
	}
	if code := checkAndCreate(scaffold.WithSchemaLine(f, "event"), *dir, stdout, stderr); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "\n%s", scaffold.EventSnippet(o, scaffold.FindTarget(*dir)))
	return exitOK
}

// firstGroup is a product group that passes for a file under dir: the
// first of the project's list, or one of GitLab's.
func firstGroup(dir string) string {
	list, err := productgroups.NewResolver().For(filepath.Join(dir, "events", "x.yml"))
	if err != nil || len(list.Groups) == 0 {
		return "analytics_instrumentation"
	}
	return list.Groups[0].Name
}

// groupQuestion asks for a product group, naming the choices when the
// project's list is short enough to read in a line.
func groupQuestion(dir string) string {
	list, err := productgroups.NewResolver().For(filepath.Join(dir, "events", "x.yml"))
	if err != nil || !list.Project || len(list.Groups) == 0 || len(list.Groups) > 8 {
		return "Product group"
	}
	return "Product group (" + strings.Join(list.Names(), ", ") + ")"
}

func newMetric(args []string, p *prompter, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("new metric", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o scaffold.MetricOptions
	var events, frames, cats, tiers listFlag
	dir := fs.String("dir", "definitions", "definitions directory")
	fs.Var(&events, "event", "an event counted; repeatable")
	fs.StringVar(&o.Unique, "unique", "", "count distinct user.id, project.id or namespace.id")
	fs.Var(&frames, "time-frame", "time frames, comma-separated")
	fs.StringVar(&o.Name, "name", "", "the key_path's name")
	fs.StringVar(&o.Description, "description", "", "what the number means")
	fs.StringVar(&o.ProductGroup, "product-group", "", "the owning product group")
	fs.Var(&cats, "product-categories", "product categories, comma-separated")
	fs.StringVar(&o.Milestone, "milestone", "", "the release that introduces it")
	fs.StringVar(&o.IntroducedByURL, "introduced-by-url", "", "the merge request that adds it")
	fs.Var(&tiers, "tiers", "tiers, comma-separated")
	fs.StringVar(&o.DataCategory, "data-category", "", "operational, optional, subscription or standard")
	if err := parseFlags(fs, args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "usagekit new metric: unexpected arguments %q\n", fs.Args())
		return exitUsage
	}
	res := generator.LoadResult(*dir)
	o.TimeFrames, o.ProductCategories, o.Tiers = frames.list(), cats.list(), tiers.list()
	var event string
	trial := func() (scaffold.File, []string, error) {
		t := o
		t.Events = events.vals
		if len(t.Events) == 0 {
			t.Events = []string{standIn(event, "x")}
		}
		t.Description = standIn(t.Description, "A new metric.")
		t.Milestone = standIn(t.Milestone, "1.0")
		t.IntroducedByURL = standIn(t.IntroducedByURL, "https://example.com")
		return scaffold.Metric(*dir, res.Set, t)
	}
	fileOnly := func() (scaffold.File, error) { f, _, err := trial(); return f, err }
	if len(events.vals) == 0 {
		p.need(&event, "--event", "Event to count", answerCheck(*dir, "events[0]", fileOnly))
		if event != "" {
			events.vals = []string{event}
		}
	}
	p.need(&o.Description, "--description", "Description (what the number means)", nil)
	p.need(&o.Milestone, "--milestone", "Milestone (e.g. 17.4)", answerCheck(*dir, "milestone:", fileOnly))
	p.need(&o.IntroducedByURL, "--introduced-by-url", "Introduced by URL (the merge request)", answerCheck(*dir, "introduced_by_url:", fileOnly))
	if e := firstEvent(res, events.vals); o.ProductCategories == nil && e != nil && len(e.ProductCategories) == 0 {
		// Active metrics need categories, and the event has none to inherit.
		var answer string
		p.need(&answer, "--product-categories", "Product categories, comma-separated (event "+e.Action+" has none to inherit)", nil)
		if answer != "" {
			cats.Set(answer)
			o.ProductCategories = cats.list()
		}
	}
	if err := p.err("metric"); err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	o.Events = events.vals
	f, keys, err := scaffold.Metric(*dir, res.Set, o)
	if err != nil {
		fmt.Fprintf(stderr, "usagekit new metric: %v\n", strings.TrimPrefix(err.Error(), "scaffold: "))
		return exitUsage
	}
	if code := checkAndCreate(scaffold.WithSchemaLine(f, "metric"), *dir, stdout, stderr); code != exitOK {
		return code
	}
	fmt.Fprintf(stdout, "key_path: %s\n\n%s", strings.Join(keys, ", "), scaffold.MetricSnippet(keys, o.Events, scaffold.FindTarget(*dir)))
	return exitOK
}

// firstEvent is the definition of the first event named, or nil.
func firstEvent(res *generator.Result, names []string) *model.Event {
	if len(names) == 0 {
		return nil
	}
	return res.Set.Event(names[0])
}

// checkAndCreate validates f among the definitions under dir, with the
// rules every definition meets, and writes it only when it has no error:
// a failed new leaves nothing behind. Warnings are shown and do not stop
// it, as they do not fail validate.
func checkAndCreate(f scaffold.File, dir string, stdout, stderr io.Writer) int {
	found := scaffold.Check(f, dir)
	for _, d := range found.Warnings() {
		fmt.Fprintln(stderr, d)
	}
	if problems := found.Errors(); len(problems) > 0 {
		for _, d := range problems {
			fmt.Fprintln(stderr, d)
		}
		fmt.Fprintf(stderr, "usagekit new: %s would have %d %s; nothing was written\n", f.Path, len(problems), plural(len(problems), "problem", "problems"))
		return exitProblems
	}
	if err := f.Create(); err != nil {
		fmt.Fprintf(stderr, "usagekit new: %v\n", err)
		return exitProblems
	}
	fmt.Fprintf(stdout, "created %s\n", f.Path)
	return exitOK
}
