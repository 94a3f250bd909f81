package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/usagekit/usagekit/generator"
	"github.com/usagekit/usagekit/generator/diag"
	"github.com/usagekit/usagekit/generator/internal/livecheck"
	"github.com/usagekit/usagekit/generator/report"
	"github.com/usagekit/usagekit/runtime/record/natssink"
)

func init() {
	register(command{
		name:    "live-check",
		summary: "check event records against the definitions, and which events were seen",
		usage: `usagekit live-check [--definitions DIR] (--file PATH|- | --nats URL --stream NAME [--follow]) [--format FORMAT] [--min-coverage PERCENT]

Reads event records in their JSON form, one a line as the JSON-lines and
JetStream sinks write them, and checks each against the definitions: an
event that is not defined, removed or not an internal event; an identifier
missing or not declared; a property not declared, of the wrong type or not
in its enum. In the text format each problem is printed as it is found,
as SOURCE:LINE: message; then, at the end of the input or on an interrupt,
a coverage table of every active internal event with how many records of it
were seen.

Run an application's integration tests with a JSON-lines record sink
(runtime/record/jsonl) and check the file in CI; --min-coverage fails the
check when too few of the defined events were seen.

  --definitions DIR     the definitions (default definitions)
  --file PATH           read records from a JSON-lines file; - is standard input
  --nats URL            read records from a JetStream stream on this NATS server
  --stream NAME         the stream (default USAGEKIT_RECORDS)
  --follow              with --nats, keep reading new records until interrupted;
                        without it the check ends at the stream's last record
  --format FORMAT       text (default), json, codequality, junit or github
  --min-coverage PCT    fail when fewer than PCT percent of the active
                        internal events were seen (default 0)

Exit status: 0 no problems, 1 problems found or coverage below the minimum,
2 bad usage, definitions that do not load, or input that cannot be read.`,
		run: runLiveCheck,
	})
}

// liveFormats are live-check's formats: text and json of its own, and the
// merge-request formats validate writes.
var liveFormats = []string{"text", "json", "codequality", "junit", "github"}

type liveCheck struct {
	checker *livecheck.Checker
	format  string
	stdout  io.Writer
	diags   diag.List
	source  string // for junit: what was read
}

func runLiveCheck(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("live-check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	defs := fl.String("definitions", "definitions", "the definitions `dir`")
	file := fl.String("file", "", "a JSON-lines `file` of records; - is standard input")
	natsURL := fl.String("nats", "", "a NATS `url` whose stream holds records")
	stream := fl.String("stream", "USAGEKIT_RECORDS", "the JetStream `stream`")
	follow := fl.Bool("follow", false, "keep reading the stream until interrupted")
	format := fl.String("format", "text", "the report `format`: "+strings.Join(liveFormats, ", "))
	minCoverage := fl.Float64("min-coverage", 0, "the least `percent` of active internal events that must be seen")
	if err := parseFlags(fl, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	switch {
	case fl.NArg() > 0:
		fmt.Fprintf(stderr, "usagekit live-check: unexpected argument %q; records come from --file or --nats\n", fl.Arg(0))
		return exitUsage
	case (*file == "") == (*natsURL == ""):
		fmt.Fprintln(stderr, "usagekit live-check: give one of --file PATH (- for standard input) and --nats URL")
		return exitUsage
	case *follow && *natsURL == "":
		fmt.Fprintln(stderr, "usagekit live-check: --follow reads a stream: give --nats URL")
		return exitUsage
	case !slices.Contains(liveFormats, *format):
		fmt.Fprintf(stderr, "usagekit live-check: unknown format %q; known formats: %s\n", *format, strings.Join(liveFormats, ", "))
		return exitUsage
	case *minCoverage < 0 || *minCoverage > 100:
		fmt.Fprintf(stderr, "usagekit live-check: --min-coverage %g: want a percentage from 0 to 100\n", *minCoverage)
		return exitUsage
	}
	set, err := generator.Load(*defs)
	if err != nil {
		return loadFailed(stderr, "live-check", "no record was checked", err)
	}
	lc := &liveCheck{checker: livecheck.New(set), format: *format, stdout: stdout}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *file != "" {
		err = lc.readFile(ctx, *file)
	} else {
		err = lc.readStream(ctx, *natsURL, *stream, *follow)
	}
	if err != nil {
		fmt.Fprintf(stderr, "usagekit live-check: %v\n", err)
		return exitUsage
	}
	if err := lc.finish(); err != nil {
		fmt.Fprintf(stderr, "usagekit live-check: %v\n", err)
		return exitUsage
	}
	if covered := lc.checker.Covered(); covered < *minCoverage {
		fmt.Fprintf(stderr, "usagekit live-check: %.1f%% of the active internal events were seen; --min-coverage is %g%%\n", covered, *minCoverage)
		return exitProblems
	}
	if len(lc.diags) > 0 {
		return exitProblems
	}
	return exitOK
}

// check checks one line of input and reports its problems.
func (lc *liveCheck) check(path string, line int, b []byte) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return
	}
	for _, p := range lc.checker.Check(b) {
		lc.report(diag.Diagnostic{Path: path, Line: line, Message: p.Message, Rule: p.Rule})
	}
}

// report keeps a problem, and prints it at once in text.
func (lc *liveCheck) report(d diag.Diagnostic) {
	lc.diags = append(lc.diags, d)
	if lc.format == "text" {
		fmt.Fprintln(lc.stdout, d.String())
	}
}

// readFile checks the records of a JSON-lines file, or of standard input
// for "-", to its end or until ctx ends.
func (lc *liveCheck) readFile(ctx context.Context, path string) error {
	var r io.Reader
	lc.source = path
	if path == "-" {
		r, lc.source = os.Stdin, "stdin"
	} else {
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for line := 1; sc.Scan() && ctx.Err() == nil; line++ {
		lc.check(lc.source, line, sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", lc.source, err)
	}
	return nil
}

// readStream checks the records of a JetStream stream from its first
// message: to the last message it held at the start, or, following, until
// ctx ends. Problems are placed at STREAM/SEQUENCE:LINE.
func (lc *liveCheck) readStream(ctx context.Context, url, stream string, follow bool) error {
	lc.source = stream
	nc, err := nats.Connect(url, nats.Name("usagekit live-check"), nats.MaxReconnects(-1))
	if err != nil {
		return fmt.Errorf("NATS at %s: %w", url, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("JetStream at %s: %w", url, err)
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return fmt.Errorf("stream %s at %s: %w", stream, url, err)
	}
	last := s.CachedInfo().State.LastSeq
	if !follow && s.CachedInfo().State.Msgs == 0 {
		return nil
	}
	// An ordered consumer: no state on the server, every message in order.
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return fmt.Errorf("reading stream %s: %w", stream, err)
	}
	for ctx.Err() == nil {
		m, err := cons.Next(jetstream.FetchMaxWait(time.Second))
		if errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, nats.ErrTimeout) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("reading stream %s: %w", stream, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("reading stream %s: %w", stream, err)
		}
		seq := md.Sequence.Stream
		path := fmt.Sprintf("%s/%d", stream, seq)
		lines, err := natssink.Lines(m.Headers(), m.Data(), nil)
		if err != nil {
			lc.report(diag.Diagnostic{Path: path, Message: err.Error(), Rule: "unreadable-message"})
		}
		for line, b := range bytes.Split(lines, []byte("\n")) {
			lc.check(path, line+1, b)
		}
		if !follow && seq >= last {
			break
		}
	}
	return nil
}

// finish writes what is written at the end: the coverage table and
// summary in text, the whole report in the other formats.
func (lc *liveCheck) finish() error {
	c := lc.checker
	switch lc.format {
	case "text":
		tw := tabwriter.NewWriter(lc.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "event\tstatus\trecords")
		for _, row := range c.Coverage() {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", row.Event, row.Status, row.Count)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintln(lc.stdout, lc.summary())
		return err
	case "json":
		out := struct {
			Version     int                  `json:"version"`
			Records     int                  `json:"records"`
			Bad         int                  `json:"bad_records"`
			Covered     float64              `json:"coverage_percent"`
			Problems    int                  `json:"problems"`
			Diagnostics diag.List            `json:"diagnostics"`
			Coverage    []livecheck.Coverage `json:"coverage"`
		}{1, c.Records(), c.Bad(), c.Covered(), len(lc.diags), append(diag.List{}, lc.diags...), c.Coverage()}
		enc := json.NewEncoder(lc.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "codequality":
		return report.WriteCodeQuality(lc.stdout, lc.diags)
	case "junit":
		return report.WriteJUnit(lc.stdout, []string{lc.source}, lc.diags)
	case "github":
		return report.WriteGitHub(lc.stdout, lc.diags)
	}
	return nil
}

// summary is the text format's last line.
func (lc *liveCheck) summary() string {
	c := lc.checker
	seen, all := 0, 0
	for _, row := range c.Coverage() {
		switch row.Status {
		case "seen":
			seen++
			all++
		case "never seen":
			all++
		}
	}
	return fmt.Sprintf("checked %d %s: %d with problems, %d %s; %d of %d events seen (%.1f%%)",
		c.Records(), plural(c.Records(), "record", "records"), c.Bad(), len(lc.diags), plural(len(lc.diags), "problem", "problems"),
		seen, all, c.Covered())
}
